package bksim

import (
	"fmt"
	"strings"

	"github.com/teamsync/teamsync/sync/model"
)

// AddMember adds a person to the organization outside the API, as when
// someone signs up or is provisioned through SSO between two runs. The
// audit log gets ORGANIZATION_MEMBER_CREATED with no actor; the member
// joined then, unless m.CreatedAt says otherwise.
func (s *Server) AddMember(m Member) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !validEmail(m.Email) {
		return fmt.Errorf("bksim: add member: %q is not an email address", m.Email)
	}
	if !oneOf(m.Role, "", RoleAdmin, RoleMember) {
		return fmt.Errorf("bksim: add member %q: role %q must be admin or member", m.Email, m.Role)
	}
	if s.st.memberByEmail(m.Email) != nil {
		return fmt.Errorf("bksim: add member: %q is already a member", m.Email)
	}
	mr := s.st.addMember(m)
	mr.createdAt = s.st.audit(EventMemberCreated, nil, mr)
	if !m.CreatedAt.IsZero() {
		mr.createdAt = m.CreatedAt.UTC()
	}
	return nil
}

// RemoveMember removes a person from the organization and all its teams
// outside the API, as when someone leaves. The audit log gets one
// ORGANIZATION_MEMBER_DELETED with no actor, whose subject node is null
// from then on; the memberships go with it and get no events of their own.
func (s *Server) RemoveMember(email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.st.memberByEmail(email)
	if m == nil {
		return fmt.Errorf("bksim: remove member: %q is not a member", email)
	}
	s.st.removeMember(m)
	s.st.audit(EventMemberDeleted, nil, m)
	return nil
}

// SetInvitationState moves the pending invitation for email to state
// (accepted, revoked or expired). Accepting makes the person a member with
// the invitation's role and adds them to its teams. The audit log gets
// ORGANIZATION_INVITATION_ACCEPTED, ORGANIZATION_MEMBER_CREATED and one
// TEAM_MEMBER_CREATED per team (by the person), or
// ORGANIZATION_INVITATION_REVOKED (no actor); an expiry writes nothing.
func (s *Server) SetInvitationState(email, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !oneOf(state, InvitationAccepted, InvitationRevoked, InvitationExpired) {
		return fmt.Errorf("bksim: invitation %q: state %q must be accepted, revoked or expired", email, state)
	}
	inv := s.st.pendingInvitation(email)
	if inv == nil {
		return fmt.Errorf("bksim: no pending invitation for %q", email)
	}
	inv.state = state
	switch state {
	case InvitationRevoked:
		s.st.audit(EventInvitationRevoked, nil, inv)
		return nil
	case InvitationExpired:
		return nil
	}
	m := s.st.memberByEmail(inv.email)
	if m == nil {
		m = s.st.addMember(Member{Email: strings.TrimSpace(inv.email), Role: inv.role})
		m.createdAt = s.st.audit(EventMemberCreated, m.user, m)
	}
	s.st.audit(EventInvitationAccepted, m.user, inv)
	for _, it := range inv.teams {
		if it.team.memberFor(m) == nil {
			s.st.audit(EventTeamMemberCreated, m.user, s.st.addTeamMember(it.team, m, it.role))
		}
	}
	return nil
}

// Hand is a person changing team memberships in Buildkite's web UI:
// outside teamsync, so a client learns of it only by reading, and written
// to the audit log under that person's name like any other change. Make
// one with ByHand.
type Hand struct {
	s     *Server
	actor string
}

// ByHand returns the hand of the organization member with email actor
// (typically an admin), for tests that change the organization as a person
// would between two runs.
func (s *Server) ByHand(actor string) Hand { return Hand{s: s, actor: actor} }

// AddTeamMember adds the member with email to team with role (member or
// maintainer), writing TEAM_MEMBER_CREATED.
func (h Hand) AddTeamMember(team, email, role string) error {
	return h.edit("add team member", team, email, func(s *store, t *teamRec, m *memberRec, tm *teamMemberRec) error {
		if tm != nil {
			return fmt.Errorf("%q is already in team %q", email, team)
		}
		if !oneOf(role, RoleMember, RoleMaintainer) {
			return fmt.Errorf("role %q must be member or maintainer", role)
		}
		s.audit(EventTeamMemberCreated, h.user(s), s.addTeamMember(t, m, role))
		return nil
	})
}

// SetTeamRole changes the role of the member with email in team, writing
// TEAM_MEMBER_UPDATED.
func (h Hand) SetTeamRole(team, email, role string) error {
	return h.edit("set team role", team, email, func(s *store, _ *teamRec, _ *memberRec, tm *teamMemberRec) error {
		if tm == nil {
			return fmt.Errorf("%q is not in team %q", email, team)
		}
		if !oneOf(role, RoleMember, RoleMaintainer) {
			return fmt.Errorf("role %q must be member or maintainer", role)
		}
		tm.role = role
		s.audit(EventTeamMemberUpdated, h.user(s), tm)
		return nil
	})
}

// RemoveTeamMember takes the member with email out of team, writing
// TEAM_MEMBER_DELETED (whose subject node is null from then on).
func (h Hand) RemoveTeamMember(team, email string) error {
	return h.edit("remove team member", team, email, func(s *store, _ *teamRec, _ *memberRec, tm *teamMemberRec) error {
		if tm == nil {
			return fmt.Errorf("%q is not in team %q", email, team)
		}
		s.removeTeamMember(tm)
		s.audit(EventTeamMemberDeleted, h.user(s), tm)
		return nil
	})
}

// RenameTeam renames team to name, which gives it the slug
// model.Slugify(name) and keeps its ID, as Buildkite's team settings do,
// writing TEAM_UPDATED.
func (h Hand) RenameTeam(team, name string) error {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	st := h.s.st
	if st.memberByEmail(h.actor) == nil {
		return fmt.Errorf("bksim: rename team by hand: %q is not a member of the organization", h.actor)
	}
	t := st.teamBySlug(team)
	if t == nil {
		return fmt.Errorf("bksim: rename team by hand: no team %q", team)
	}
	slug := model.Slugify(name)
	if slug == "" {
		return fmt.Errorf("bksim: rename team %q by hand: name %q has no letter or number", team, name)
	}
	if other := st.teamBySlug(slug); other != nil && other != t {
		return fmt.Errorf("bksim: rename team %q by hand: a team with the slug %q already exists", team, slug)
	}
	t.name, t.slug = strings.TrimSpace(name), slug
	st.audit(EventTeamUpdated, h.user(st), t)
	return nil
}

func (h Hand) user(s *store) *userRec { return s.memberByEmail(h.actor).user }

// edit runs one change under the server's lock once the actor, team and
// member are known.
func (h Hand) edit(what, team, email string, change func(*store, *teamRec, *memberRec, *teamMemberRec) error) error {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	st := h.s.st
	if st.memberByEmail(h.actor) == nil {
		return fmt.Errorf("bksim: %s by hand: %q is not a member of the organization", what, h.actor)
	}
	t := st.teamBySlug(team)
	if t == nil {
		return fmt.Errorf("bksim: %s by hand: no team %q", what, team)
	}
	m := st.memberByEmail(email)
	if m == nil {
		return fmt.Errorf("bksim: %s by hand: %q is not a member of the organization", what, email)
	}
	if err := change(st, t, m, t.memberFor(m)); err != nil {
		return fmt.Errorf("bksim: %s by hand: %w", what, err)
	}
	return nil
}
