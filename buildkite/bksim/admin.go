package bksim

import (
	"fmt"
	"slices"
	"strings"
)

// AddMember adds a person to the organization outside the API, as when
// someone signs up or is provisioned through SSO between two runs.
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
	s.st.addMember(m)
	return nil
}

// RemoveMember removes a person from the organization and all its teams
// outside the API, as when someone leaves.
func (s *Server) RemoveMember(email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.st.memberByEmail(email)
	if m == nil {
		return fmt.Errorf("bksim: remove member: %q is not a member", email)
	}
	for _, t := range s.st.teams {
		if tm := t.memberFor(m); tm != nil {
			s.st.removeTeamMember(tm)
		}
	}
	i := slices.Index(s.st.members, m)
	s.st.members = slices.Delete(s.st.members, i, i+1)
	delete(s.st.nodes, idOf(m))
	delete(s.st.nodes, idOf(m.user))
	return nil
}

// SetInvitationState moves the pending invitation for email to state
// (accepted, revoked or expired). Accepting makes the person a member with
// the invitation's role and adds them to its teams.
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
	if state != InvitationAccepted {
		return nil
	}
	m := s.st.memberByEmail(inv.email)
	if m == nil {
		m = s.st.addMember(Member{Email: strings.TrimSpace(inv.email), Role: inv.role})
	}
	for _, it := range inv.teams {
		if it.team.memberFor(m) == nil {
			s.st.addTeamMember(it.team, m, it.role)
		}
	}
	return nil
}
