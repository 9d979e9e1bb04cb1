package bksim

import "fmt"

// The mutations on the organization's people: removing a member and
// revoking an invitation. Buildkite lets only organization admins make
// them, so the token's user (the viewer) must be one.

// requireAdmin refuses a mutation when the token's user is not an
// organization admin; what names what the mutation does.
func (ex *execution) requireAdmin(what string) error {
	if !ex.viewerIsAdmin() {
		return fmt.Errorf("Only organization administrators can %s", what)
	}
	return nil
}

// viewerIsAdmin reports whether the token's user is an organization admin.
func (ex *execution) viewerIsAdmin() bool {
	u := ex.st.tokenUser()
	if u == nil {
		return false
	}
	m := ex.st.memberByEmail(u.email)
	return m != nil && m.role == RoleAdmin
}

// memberDelete removes a member from the organization and from every team,
// as RemoveMember does, under the token's user.
func (ex *execution) memberDelete(in map[string]any) (any, error) {
	if err := ex.requireAdmin("remove members from the organization"); err != nil {
		return nil, err
	}
	id := stringArg(in, "id")
	m, _ := ex.st.lookup("OrganizationMember", id).(*memberRec)
	if m == nil {
		return nil, fmt.Errorf("No OrganizationMember found with ID %q", id)
	}
	actor := ex.st.tokenUser() // before the removal, which may be the actor's own
	ex.st.removeMember(m)
	ex.st.audit(EventMemberDeleted, actor, m)
	ex.s.log.Debug("bksim: organization member removed")
	return ex.payload("OrganizationMemberDeletePayload", in, map[string]any{
		"deletedOrganizationMemberID": idOf(m),
		"organization":                ex.st.org,
		"user":                        m.user,
	}), nil
}

// invitationRevoke revokes a pending invitation; one that is no longer
// pending cannot be revoked.
func (ex *execution) invitationRevoke(in map[string]any) (any, error) {
	if err := ex.requireAdmin("revoke invitations"); err != nil {
		return nil, err
	}
	id := stringArg(in, "id")
	inv, _ := ex.st.lookup("OrganizationInvitation", id).(*inviteRec)
	if inv == nil {
		return nil, fmt.Errorf("No OrganizationInvitation found with ID %q", id)
	}
	switch inv.state {
	case InvitationRevoked:
		return nil, fmt.Errorf("This invitation has already been revoked")
	case InvitationAccepted:
		return nil, fmt.Errorf("This invitation has already been accepted")
	case InvitationExpired:
		return nil, fmt.Errorf("This invitation has expired")
	}
	inv.state = InvitationRevoked
	ex.st.audit(EventInvitationRevoked, ex.st.tokenUser(), inv)
	ex.s.log.Debug("bksim: invitation revoked")
	return ex.payload("OrganizationInvitationRevokePayload", in, map[string]any{
		"organization":               ex.st.org,
		"organizationInvitation":     inv,
		"organizationInvitationEdge": &edge{typ: "OrganizationInvitationEdge", cursor: encodeCursor(orderKey(nil, "RECENTLY_CREATED", inv.seq, "")), node: inv},
	}), nil
}
