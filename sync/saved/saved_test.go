package saved

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

func org() *model.Org {
	return &model.Org{
		Slug:    "acme",
		Members: map[string]model.Member{"a@acme.com": {UserID: "U1"}, "b@acme.com": {UserID: "U2"}},
		Teams: map[string]model.Team{"web": {ID: "T1", Members: map[string]model.TeamMember{
			"b@acme.com": {ID: "TM2", Email: "b@acme.com", Role: model.RoleMaintainer},
		}}},
		Invitations: map[string]model.Invitation{"i@acme.com": {Email: "i@acme.com"}},
	}
}

func TestStale(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change plan.Change
		want   string // "" holds
	}{
		{"add holds", plan.Change{Action: plan.ActionAddMember, Team: "web", Email: "a@acme.com", Role: model.RoleMember}, ""},
		{"add done", plan.Change{Action: plan.ActionAddMember, Team: "web", Email: "b@acme.com", Role: model.RoleMember}, `b@acme.com is in team "web" now, as maintainer`},
		{"add of someone who left", plan.Change{Action: plan.ActionAddMember, Team: "web", Email: "z@acme.com"}, "z@acme.com is not a member of the organization any more"},
		{"role holds", plan.Change{Action: plan.ActionUpdateRole, Team: "web", Email: "b@acme.com", FromRole: model.RoleMaintainer, Role: model.RoleMember}, ""},
		{"role changed", plan.Change{Action: plan.ActionUpdateRole, Team: "web", Email: "b@acme.com", FromRole: model.RoleMember, Role: model.RoleMaintainer}, `b@acme.com is maintainer in team "web" now, not member as planned`},
		{"remove done", plan.Change{Action: plan.ActionRemoveMember, Team: "web", Email: "a@acme.com", Role: model.RoleMember}, `a@acme.com is not in team "web" any more`},
		{"team gone", plan.Change{Action: plan.ActionAddMember, Team: "ios", Email: "a@acme.com"}, `team "ios" does not exist any more`},
		{"create holds", plan.Change{Action: plan.ActionCreateTeam, Team: "ios"}, ""},
		{"create done", plan.Change{Action: plan.ActionCreateTeam, Team: "web"}, `team "web" exists now`},
		{"invite pending", plan.Change{Action: plan.ActionInvite, Email: "i@acme.com"}, "i@acme.com has a pending invitation now"},
		{"invite joined", plan.Change{Action: plan.ActionInvite, Email: "a@acme.com"}, "a@acme.com is a member of the organization now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &File{Plan: plan.Plan{Version: 1, Organization: "acme", Changes: []plan.Change{tc.change}}}
			got := Stale(f, org()).Changes[0]
			want := ""
			if tc.want != "" {
				want = "no longer holds: " + tc.want
			}
			if got.Error != want || (want != "") != (got.Status == plan.StatusSkipped) {
				t.Fatalf("Stale = %q %q, want %q", got.Status, got.Error, want)
			}
			if f.Changes[0].Status != "" {
				t.Fatal("Stale changed its input")
			}
		})
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	p := &plan.Plan{Version: 1, Organization: "acme", Changes: []plan.Change{
		{Action: plan.ActionRemoveMember, Team: "web", Email: "b@acme.com", Role: model.RoleMaintainer},
	}}
	now := time.Date(2026, 12, 5, 16, 0, 0, 0, time.UTC)
	f := New(p, org(), MappingHash([]byte("teams: []\n")), now)
	var buf bytes.Buffer
	if err := Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	back, err := Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if back.Basis.Teams["web"] != TeamDigest(org(), "web") || !back.Basis.CreatedAt.Equal(now) {
		t.Fatalf("basis = %+v", back.Basis)
	}
	if err := Check(back, f.Basis.MappingSHA256, "acme", now.Add(time.Hour), DefaultMaxAge); err != nil {
		t.Fatal(err)
	}
	if err := Check(back, MappingHash([]byte("x")), "acme", now, DefaultMaxAge); err == nil || !strings.Contains(err.Error(), "the mapping changed") {
		t.Fatalf("Check with another mapping: %v", err)
	}
	o := org()
	o.Teams["web"].Members["a@acme.com"] = model.TeamMember{Email: "a@acme.com", Role: model.RoleMember}
	if got := ChangedTeams(back, o); len(got) != 1 || got[0] != "web" {
		t.Fatalf("ChangedTeams = %v", got)
	}
}
