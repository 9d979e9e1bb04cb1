package memory

import (
	"context"

	"github.com/teamsync/teamsync/sync/apply"
	"github.com/teamsync/teamsync/sync/model"
)

// Track wraps the run's writer so that what each write did is remembered:
// a membership added (with the ID and createdAt Buildkite's answer gives),
// a role changed, a membership removed. Their audit events are then known
// and skipped, and the teams' fingerprints derive from memory as they
// should read. A write whose outcome is not known for sure (it failed, was
// already in effect, or its answer lacked the membership) leaves its team
// to be read again at the next run; so does a team teamsync creates, and
// an invitation leaves the invitations to be read again. org is the
// snapshot the run applies, whose IDs the writes use.
func (m *Memory) Track(org *model.Org, w apply.Writer) apply.Writer {
	t := &tracker{Writer: w, m: m,
		teamByID:    make(map[string]string),
		emailOf:     make(map[string]string),
		membership:  make(map[string]where),
		memberEmail: make(map[string]string),
	}
	for email, p := range org.Members {
		t.emailOf[p.UserID] = email
		t.memberEmail[p.ID] = email
	}
	for slug, team := range org.Teams {
		t.teamByID[team.ID] = slug
		for email, tm := range team.Members {
			t.membership[tm.ID] = where{team: slug, email: email}
		}
	}
	return t
}

// tracker is the Writer Track returns.
type tracker struct {
	apply.Writer
	m          *Memory
	teamByID   map[string]string // team ID → slug
	emailOf    map[string]string // user ID → email
	membership map[string]where  // TeamMember ID → where it is
	// memberEmail is the email of each OrganizationMember ID.
	memberEmail map[string]string
}

type where struct{ team, email string }

var _ apply.Writer = (*tracker)(nil)

func (t *tracker) CreateTeam(ctx context.Context, orgID string, nt model.NewTeam) (string, error) {
	id, err := t.Writer.CreateTeam(ctx, orgID, nt)
	t.update(func(st *state) {
		slug := model.Slugify(nt.Name)
		delete(st.missing, slug)
		st.dirty[slug] = true
	})
	return id, err
}

func (t *tracker) AddTeamMember(ctx context.Context, teamID, userID string, role model.Role) (model.TeamMember, error) {
	tm, err := t.Writer.AddTeamMember(ctx, teamID, userID, role)
	slug, email := t.teamByID[teamID], t.emailOf[userID]
	t.update(func(st *state) {
		team, ok := st.teams[slug]
		switch {
		case !ok:
		case err != nil || tm.ID == "" || email == "":
			st.dirty[slug] = true
		default:
			tm.Email = email
			team.Members[email] = tm
			st.own[tm.ID] = true
		}
	})
	return tm, err
}

func (t *tracker) UpdateTeamMember(ctx context.Context, teamMemberID string, role model.Role) error {
	err := t.Writer.UpdateTeamMember(ctx, teamMemberID, role)
	t.settle(teamMemberID, err, func(team model.Team, email string) {
		tm := team.Members[email]
		tm.Role = role
		team.Members[email] = tm
	})
	return err
}

func (t *tracker) RemoveTeamMember(ctx context.Context, teamMemberID string) error {
	err := t.Writer.RemoveTeamMember(ctx, teamMemberID)
	t.settle(teamMemberID, err, func(team model.Team, email string) { delete(team.Members, email) })
	return err
}

func (t *tracker) Invite(ctx context.Context, orgID, email string, teams []model.TeamAssignment) error {
	err := t.Writer.Invite(ctx, orgID, email, teams)
	t.update(func(st *state) { st.invitationsDirty = true })
	return err
}

// RemoveOrgMember takes the member out of every remembered team when the
// removal succeeded, so that its own audit event changes nothing; a
// removal whose outcome is not known leaves every team that held them to
// be read again.
func (t *tracker) RemoveOrgMember(ctx context.Context, memberID string) error {
	err := t.Writer.RemoveOrgMember(ctx, memberID)
	email := t.memberEmail[memberID]
	t.update(func(st *state) {
		for slug, team := range st.teams {
			if _, ok := team.Members[email]; !ok || email == "" {
				continue
			}
			if err != nil {
				st.dirty[slug] = true
				continue
			}
			delete(team.Members, email)
		}
		if err == nil && email != "" {
			st.own[memberID] = true
		}
		st.invitationsDirty = true
	})
	return err
}

// RevokeInvitation leaves the invitations to be read again.
func (t *tracker) RevokeInvitation(ctx context.Context, invitationID string) error {
	err := t.Writer.RevokeInvitation(ctx, invitationID)
	t.update(func(st *state) { st.invitationsDirty = true })
	return err
}

// settle records the outcome of a write to an existing membership: done
// applies to the remembered team when it succeeded; anything else leaves
// the team to be read again.
func (t *tracker) settle(teamMemberID string, err error, done func(team model.Team, email string)) {
	at, known := t.membership[teamMemberID]
	t.update(func(st *state) {
		team, ok := st.teams[at.team]
		_, member := team.Members[at.email]
		switch {
		case !known || !ok:
		case err != nil || !member:
			st.dirty[at.team] = true
		default:
			done(team, at.email)
			st.own[teamMemberID] = true
		}
	})
}

// update changes what is remembered, if anything is.
func (t *tracker) update(f func(*state)) {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if t.m.st != nil {
		f(t.m.st)
	}
}
