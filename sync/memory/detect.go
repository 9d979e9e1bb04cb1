package memory

import (
	"time"

	"github.com/teamsync/teamsync/sync/model"
)

// changes is what the audit log says may have changed since the last run.
type changes struct {
	teams       map[string]bool // remembered or in-scope teams an event names
	invitations bool            // the pending invitations may have changed
	// suspect, when set, says why the audit log alone cannot say which
	// teams changed, so every team's fingerprint must be read.
	suspect string
	events  int // events taken in (not seen before, not teamsync's own)

	mark time.Time       // the newest event's time: where the next run reads from
	seen map[string]bool // the events at mark
}

// fromEvents reads the audit log's events since st.mark (newest first) for
// what may have changed. It is pure: st is only read.
//
// An event about a membership or team names its team, by ID and slug,
// while the subject exists. A remembered team whose ID it names is read
// again by its remembered slug: renamed by hand, that slug then reads as
// missing, as a full read would find it. When it is gone (Buildkite answers its node as null), its team
// is found by the subject's ID among the remembered memberships and
// teams; when that fails nothing is guessed, and the teams' fingerprints
// decide instead. The same goes for a member who left the organization,
// whose memberships go with them. A member who joins, and any invitation
// event, make the pending invitations worth reading again. Events of
// teamsync's own writes whose outcome is remembered change nothing, and
// events already taken in at the last mark are skipped.
func fromEvents(events []model.AuditEvent, st *state, inScope func(string) bool) changes {
	c := changes{teams: make(map[string]bool), mark: st.mark, seen: make(map[string]bool)}
	for id := range st.seen {
		c.seen[id] = true
	}
	managed := func(slug string) bool { return slug != "" && (st.known(slug) || inScope(slug)) }
	for _, e := range events {
		switch {
		case e.OccurredAt.After(c.mark):
			c.mark, c.seen = e.OccurredAt, map[string]bool{e.ID: true}
		case e.OccurredAt.Equal(c.mark):
			c.seen[e.ID] = true
		}
		if st.seen[e.ID] || e.Own && st.own[e.SubjectID] {
			continue
		}
		c.events++
		switch e.SubjectType {
		case model.AuditSubjectTeamMember, model.AuditSubjectTeam:
			// A remembered team is known by its ID first: a rename
			// keeps the ID, and the event names the new slug.
			slug := st.teamByID(e.TeamID)
			if slug == "" && e.SubjectType == model.AuditSubjectTeam {
				slug = st.teamByID(e.SubjectID)
			}
			if slug != "" {
				c.teams[slug] = true
			}
			switch {
			case slug != "" && (e.Team == "" || e.Team == slug):
			case e.Team != "" && !e.Gone:
				if managed(e.Team) {
					c.teams[e.Team] = true
				}
			case slug == "":
				if slug = st.teamOf(e.SubjectType, e.SubjectID); slug == "" {
					c.suspect = "an audit event's " + subjectNoun(e.SubjectType) + " is gone and its team is not known"
				} else if managed(slug) {
					c.teams[slug] = true
				}
			}
		case model.AuditSubjectOrganizationMember:
			c.invitations = true
			if e.Gone {
				c.suspect = "a member left the organization, and their team memberships with them"
			}
		case model.AuditSubjectOrganizationInvitation:
			c.invitations = true
		}
	}
	return c
}

// teamByID finds the remembered team with GraphQL ID id, or "" when none
// has it.
func (st *state) teamByID(id string) string {
	if id == "" {
		return ""
	}
	for slug, t := range st.teams {
		if t.ID == id {
			return slug
		}
	}
	return ""
}

// teamOf finds the remembered team a membership or team ID belongs to, or
// "" when none does.
func (st *state) teamOf(subjectType, id string) string {
	for slug, t := range st.teams {
		if subjectType == model.AuditSubjectTeam {
			if t.ID == id {
				return slug
			}
			continue
		}
		for _, m := range t.Members {
			if m.ID == id {
				return slug
			}
		}
		for _, m := range t.Unlisted {
			if m.ID == id {
				return slug
			}
		}
	}
	return ""
}

func subjectNoun(subjectType string) string {
	if subjectType == model.AuditSubjectTeam {
		return "team"
	}
	return "team membership"
}
