package memory

import (
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/teamsync/teamsync/sync/model"
)

func TestFromEvents(t *testing.T) {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	st := &state{
		teams: map[string]model.Team{
			"web": {ID: "T-web", Members: map[string]model.TeamMember{"a@x.com": {ID: "TM-a"}}, Unlisted: []model.TeamMember{{ID: "TM-bot"}}},
			"api": {ID: "T-api", Members: map[string]model.TeamMember{"b@x.com": {ID: "TM-b"}}},
		},
		missing: map[string]bool{"new": true},
		mark:    t0,
		seen:    map[string]bool{"E0": true},
		own:     map[string]bool{"TM-mine": true},
	}
	inScope := func(s string) bool { return s == "web" || s == "api" || s == "new" || s == "later" }
	member := func(id string, s int, team string) model.AuditEvent {
		return model.AuditEvent{ID: id, OccurredAt: at(s), SubjectType: model.AuditSubjectTeamMember, SubjectID: "TM-" + id, Team: team}
	}
	gone := func(e model.AuditEvent, subject string) model.AuditEvent {
		e.Team, e.Gone, e.SubjectID = "", true, subject
		return e
	}
	tests := []struct {
		name        string
		events      []model.AuditEvent
		teams       []string
		invitations bool
		suspect     bool
		mark        time.Time
		seen        []string
	}{
		{name: "nothing new: the event at the mark again", events: []model.AuditEvent{{ID: "E0", OccurredAt: t0, SubjectType: model.AuditSubjectTeamMember, Team: "web"}},
			mark: t0, seen: []string{"E0"}},
		{name: "a membership names its team", events: []model.AuditEvent{member("E1", 1, "api")}, teams: []string{"api"}, mark: at(1), seen: []string{"E1"}},
		{name: "teams nobody manages are passed over", events: []model.AuditEvent{member("E1", 1, "marketing")}, mark: at(1), seen: []string{"E1"}},
		{name: "a managed team not read yet counts", events: []model.AuditEvent{member("E1", 1, "later")}, teams: []string{"later"}, mark: at(1), seen: []string{"E1"}},
		{name: "a deleted membership is found by its ID", events: []model.AuditEvent{gone(member("E1", 1, ""), "TM-b")}, teams: []string{"api"}, mark: at(1), seen: []string{"E1"}},
		{name: "an unlisted one too", events: []model.AuditEvent{gone(member("E1", 1, ""), "TM-bot")}, teams: []string{"web"}, mark: at(1), seen: []string{"E1"}},
		{name: "a deleted membership nobody knows: fingerprints", events: []model.AuditEvent{gone(member("E1", 1, ""), "TM-zzz")}, suspect: true, mark: at(1), seen: []string{"E1"}},
		{name: "teamsync's own known write is passed over", events: []model.AuditEvent{{ID: "E1", OccurredAt: at(1), Own: true, SubjectType: model.AuditSubjectTeamMember, SubjectID: "TM-mine", Team: "web"}},
			mark: at(1), seen: []string{"E1"}},
		{name: "its own token's other writes are not", events: []model.AuditEvent{{ID: "E1", OccurredAt: at(1), Own: true, SubjectType: model.AuditSubjectTeamMember, SubjectID: "TM-other", Team: "web"}},
			teams: []string{"web"}, mark: at(1), seen: []string{"E1"}},
		{name: "a deleted team is found by its ID", events: []model.AuditEvent{{ID: "E1", OccurredAt: at(1), SubjectType: model.AuditSubjectTeam, SubjectID: "T-api", Gone: true}},
			teams: []string{"api"}, mark: at(1), seen: []string{"E1"}},
		{name: "a renamed team is found by its ID", events: []model.AuditEvent{{ID: "E1", OccurredAt: at(1), SubjectType: model.AuditSubjectTeam, SubjectID: "T-api", TeamID: "T-api", Team: "api-old"}},
			teams: []string{"api"}, mark: at(1), seen: []string{"E1"}},
		{name: "a renamed team's membership too", events: []model.AuditEvent{{ID: "E1", OccurredAt: at(1), SubjectType: model.AuditSubjectTeamMember, SubjectID: "TM-new", TeamID: "T-web", Team: "web-old"}},
			teams: []string{"web"}, mark: at(1), seen: []string{"E1"}},
		{name: "renamed to another managed slug: both", events: []model.AuditEvent{{ID: "E1", OccurredAt: at(1), SubjectType: model.AuditSubjectTeam, SubjectID: "T-web", TeamID: "T-web", Team: "later"}},
			teams: []string{"later", "web"}, mark: at(1), seen: []string{"E1"}},
		{name: "a member who left: fingerprints and invitations", events: []model.AuditEvent{{ID: "E1", OccurredAt: at(1), SubjectType: model.AuditSubjectOrganizationMember, Gone: true}},
			invitations: true, suspect: true, mark: at(1), seen: []string{"E1"}},
		{name: "a member who joined: invitations", events: []model.AuditEvent{{ID: "E1", OccurredAt: at(1), SubjectType: model.AuditSubjectOrganizationMember}},
			invitations: true, mark: at(1), seen: []string{"E1"}},
		{name: "an invitation", events: []model.AuditEvent{{ID: "E1", OccurredAt: at(1), SubjectType: model.AuditSubjectOrganizationInvitation}},
			invitations: true, mark: at(1), seen: []string{"E1"}},
		{name: "the newest time is the next mark, with every event at it",
			events: []model.AuditEvent{member("E3", 2, "web"), member("E2", 2, "web"), member("E1", 1, "api")},
			teams:  []string{"api", "web"}, mark: at(2), seen: []string{"E2", "E3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fromEvents(tt.events, st, inScope)
			if got := slices.Sorted(maps.Keys(c.teams)); !slices.Equal(got, tt.teams) {
				t.Errorf("teams = %v, want %v", got, tt.teams)
			}
			if c.invitations != tt.invitations || (c.suspect != "") != tt.suspect {
				t.Errorf("invitations %v, suspect %q; want %v, %v", c.invitations, c.suspect, tt.invitations, tt.suspect)
			}
			if !c.mark.Equal(tt.mark) || !reflect.DeepEqual(slices.Sorted(maps.Keys(c.seen)), tt.seen) {
				t.Errorf("mark %s %v, want %s %v", c.mark, slices.Sorted(maps.Keys(c.seen)), tt.mark, tt.seen)
			}
		})
	}
}
