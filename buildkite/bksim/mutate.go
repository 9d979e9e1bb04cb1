package bksim

import (
	"fmt"
	"strings"

	"github.com/teamsync/teamsync/sync/model"
)

// mutationField runs one top-level mutation field. A failing field returns
// an error and changes nothing; see the package doc for the messages.
func (ex *execution) mutationField(field string, args map[string]any) (any, error) {
	in, _ := args["input"].(map[string]any)
	if in == nil {
		return nil, fmt.Errorf("Argument 'input' on Field '%s' is required", field)
	}
	switch field {
	case "teamCreate":
		return ex.teamCreate(in)
	case "teamMemberCreate":
		return ex.teamMemberCreate(in)
	case "teamMemberUpdate":
		return ex.teamMemberUpdate(in)
	case "teamMemberDelete":
		return ex.teamMemberDelete(in)
	case "organizationInvitationCreate":
		return ex.invitationCreate(in)
	case "organizationInvitationRevoke":
		return ex.invitationRevoke(in)
	case "organizationMemberDelete":
		return ex.memberDelete(in)
	}
	return nil, errNotImplemented("Mutation", field)
}

func (ex *execution) payload(typ string, in map[string]any, fields map[string]any) *record {
	fields["clientMutationId"] = in["clientMutationId"]
	return &record{typ: typ, fields: fields}
}

func (ex *execution) teamCreate(in map[string]any) (any, error) {
	orgID := stringArg(in, "organizationID")
	if ex.st.lookup("Organization", orgID) == nil {
		return nil, fmt.Errorf("No organization found with ID %q", orgID)
	}
	name := strings.TrimSpace(stringArg(in, "name"))
	if name == "" {
		return nil, fmt.Errorf("Name can't be blank")
	}
	slug := model.Slugify(name)
	if slug == "" {
		return nil, fmt.Errorf("Name must contain at least one letter or number")
	}
	if ex.st.teamBySlug(slug) != nil {
		return nil, fmt.Errorf("Name has already been taken (a team with the slug %q already exists)", slug)
	}
	if len(ex.st.teams) >= MaxTeams {
		return nil, fmt.Errorf("Organization has reached the limit of %d teams", MaxTeams)
	}
	privacy, err := enumArg(in, "privacy", PrivacySecret, PrivacySecret, PrivacyVisible)
	if err != nil {
		return nil, err
	}
	defaultRole, err := enumArg(in, "defaultMemberRole", RoleMember, RoleMember, RoleMaintainer)
	if err != nil {
		return nil, err
	}
	isDefault, _ := in["isDefaultTeam"].(bool)
	perms := map[string]bool{}
	for k, v := range in {
		if b, ok := v.(bool); ok && strings.HasPrefix(k, "membersCan") {
			perms[k] = b
		}
	}
	t := ex.st.addTeam(slug, name, stringArg(in, "description"), privacy, isDefault, defaultRole, perms)
	ex.st.audit(EventTeamCreated, ex.st.tokenUser(), t)
	ex.s.log.Debug("bksim: team created", "team", slug)
	return ex.payload("TeamCreatePayload", in, map[string]any{
		"teamEdge":     &edge{typ: "TeamEdge", cursor: encodeCursor(orderKey(nil, "NAME", t.seq, t.name)), node: t},
		"organization": ex.st.org,
	}), nil
}

func (ex *execution) teamMemberCreate(in map[string]any) (any, error) {
	teamID, userID := stringArg(in, "teamID"), stringArg(in, "userID")
	t, _ := ex.st.lookup("Team", teamID).(*teamRec)
	if t == nil {
		return nil, fmt.Errorf("No team found with ID %q", teamID)
	}
	u, _ := ex.st.lookup("User", userID).(*userRec)
	var m *memberRec
	if u != nil {
		m = ex.st.memberByEmail(u.email)
	}
	if m == nil {
		return nil, fmt.Errorf("No user found with ID %q in this organization", userID)
	}
	if t.memberFor(m) != nil {
		return nil, fmt.Errorf("User has already been added to this team")
	}
	role, err := enumArg(in, "role", t.defaultRole, RoleMember, RoleMaintainer)
	if err != nil {
		return nil, err
	}
	tm := ex.st.addTeamMember(t, m, role)
	ex.st.audit(EventTeamMemberCreated, ex.st.tokenUser(), tm)
	ex.s.log.Debug("bksim: team member added", "team", t.slug, "role", role)
	return ex.payload("TeamMemberCreatePayload", in, map[string]any{
		"teamMemberEdge": &edge{typ: "TeamMemberEdge", cursor: encodeCursor(orderKey(nil, "RECENTLY_CREATED", tm.seq, "")), node: tm},
		"team":           t,
	}), nil
}

func (ex *execution) teamMemberUpdate(in map[string]any) (any, error) {
	id := stringArg(in, "id")
	tm, _ := ex.st.lookup("TeamMember", id).(*teamMemberRec)
	if tm == nil {
		return nil, fmt.Errorf("No TeamMember found with ID %q", id)
	}
	if in["role"] == nil {
		return nil, fmt.Errorf("Role can't be blank")
	}
	role, err := enumArg(in, "role", "", RoleMember, RoleMaintainer)
	if err != nil {
		return nil, err
	}
	tm.role = role
	ex.st.audit(EventTeamMemberUpdated, ex.st.tokenUser(), tm)
	ex.s.log.Debug("bksim: team member updated", "team", tm.team.slug, "role", role)
	return ex.payload("TeamMemberUpdatePayload", in, map[string]any{"teamMember": tm}), nil
}

func (ex *execution) teamMemberDelete(in map[string]any) (any, error) {
	id := stringArg(in, "id")
	tm, _ := ex.st.lookup("TeamMember", id).(*teamMemberRec)
	if tm == nil {
		return nil, fmt.Errorf("No TeamMember found with ID %q", id)
	}
	ex.st.removeTeamMember(tm)
	ex.st.audit(EventTeamMemberDeleted, ex.st.tokenUser(), tm)
	ex.s.log.Debug("bksim: team member removed", "team", tm.team.slug)
	return ex.payload("TeamMemberDeletePayload", in, map[string]any{
		"deletedTeamMemberID": id,
		"team":                tm.team,
	}), nil
}

// invitationCreate is all or nothing: one bad email or team fails the lot.
func (ex *execution) invitationCreate(in map[string]any) (any, error) {
	orgID := stringArg(in, "organizationID")
	if ex.st.lookup("Organization", orgID) == nil {
		return nil, fmt.Errorf("No organization found with ID %q", orgID)
	}
	role, err := enumArg(in, "role", RoleMember, RoleAdmin, RoleMember)
	if err != nil {
		return nil, err
	}
	type assignment struct {
		team *teamRec
		role string
	}
	var assigns []assignment
	rawTeams, _ := in["teams"].([]any)
	for _, rt := range rawTeams {
		tin, _ := rt.(map[string]any)
		id := stringArg(tin, "id")
		t, _ := ex.st.lookup("Team", id).(*teamRec)
		if t == nil {
			return nil, fmt.Errorf("No team found with ID %q", id)
		}
		r, err := enumArg(tin, "role", RoleMember, RoleMember, RoleMaintainer)
		if err != nil {
			return nil, err
		}
		assigns = append(assigns, assignment{team: t, role: r})
	}
	var emails []string
	seen := map[string]bool{}
	for _, e := range stringList(in["emails"]) {
		e = strings.TrimSpace(e)
		key := strings.ToLower(e)
		if seen[key] {
			continue
		}
		seen[key] = true
		switch {
		case !validEmail(e):
			return nil, fmt.Errorf("%q is not a valid email address", e)
		case ex.st.memberByEmail(e) != nil:
			return nil, fmt.Errorf("%s is already a member of this organization", e)
		case ex.st.pendingInvitation(e) != nil:
			return nil, fmt.Errorf("%s has already been invited (a pending invitation already exists)", e)
		}
		emails = append(emails, e)
	}
	if len(emails) == 0 {
		return nil, fmt.Errorf("Emails can't be blank")
	}
	if ex.st.pendingCount()+len(emails) > MaxPendingInvitations {
		return nil, fmt.Errorf("Your organization has reached its limit of %d pending invitations", MaxPendingInvitations)
	}
	var edges []object
	for _, e := range emails {
		var teams []*inviteTeamRec
		for _, a := range assigns {
			teams = append(teams, &inviteTeamRec{team: a.team, role: a.role})
		}
		inv := ex.st.addInvitation(e, InvitationPending, role, teams)
		ex.st.audit(EventInvitationCreated, ex.st.tokenUser(), inv)
		edges = append(edges, &edge{typ: "OrganizationInvitationEdge", cursor: encodeCursor(orderKey(nil, "RECENTLY_CREATED", inv.seq, "")), node: inv})
	}
	ex.s.log.Debug("bksim: invitations created", "count", len(emails))
	return ex.payload("OrganizationInvitationCreatePayload", in, map[string]any{
		"invitationEdges": edges,
		"organization":    ex.st.org,
	}), nil
}

// enumArg reads an enum input value, lower-cased; def when absent.
func enumArg(in map[string]any, name, def string, allowed ...string) (string, error) {
	v, ok := in[name]
	if !ok || v == nil {
		return def, nil
	}
	s, _ := v.(string)
	low := strings.ToLower(s)
	for _, a := range allowed {
		if low == a && s == strings.ToUpper(a) {
			return low, nil
		}
	}
	return "", fmt.Errorf("Argument '%s' has an invalid value (%v)", name, v)
}
