package bksim

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// errNotImplemented is the loud answer to any field or argument the
// simulator does not model, so a new query fails instead of reading null.
func errNotImplemented(typ, field string) error {
	return fmt.Errorf("simulator does not implement %s.%s", typ, field)
}

// checkArgs rejects arguments the simulator does not model on the fields
// that take arguments.
func checkArgs(typ, field string, args map[string]any) error {
	var allowed []string
	switch typ + "." + field {
	case "Query.organization":
		allowed = []string{"slug", "uuid"}
	case "Query.team":
		allowed = []string{"slug"}
	case "Query.node":
		allowed = []string{"id"}
	case "Organization.members":
		allowed = []string{"first", "after", "email", "search", "order", "role", "team"}
	case "Organization.teams":
		allowed = []string{"first", "after", "order", "search", "privacy", "user"}
	case "Organization.invitations":
		allowed = []string{"first", "after", "order", "state"}
	case "Organization.auditEvents":
		allowed = []string{"first", "after", "order", "occurredAtFrom", "occurredAtTo", "subjectType", "type"}
	case "Team.members":
		allowed = []string{"first", "after", "order", "role", "search"}
	case "OrganizationMember.teams":
		allowed = []string{"first", "after", "order"}
	case "OrganizationInvitation.teams":
		allowed = []string{"first"}
	case "Mutation.teamCreate", "Mutation.teamMemberCreate", "Mutation.teamMemberUpdate",
		"Mutation.teamMemberDelete", "Mutation.organizationInvitationCreate",
		"Mutation.organizationInvitationRevoke", "Mutation.organizationMemberDelete":
		allowed = []string{"input"}
	default:
		// Not a field with modelled arguments: resolve reports it if the
		// field itself is unmodelled (validation rejects stray arguments).
		return nil
	}
	names := make([]string, 0, len(args))
	for a := range args {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		if !slices.Contains(allowed, a) {
			return errNotImplemented(typ, field+"("+a+":)")
		}
	}
	return nil
}

// resolve answers one field of obj.
func (ex *execution) resolve(obj object, field string, args map[string]any) (any, error) {
	switch o := obj.(type) {
	case rootQuery:
		return ex.queryField(field, args)
	case rootMutation:
		return ex.mutationField(field, args)
	case *orgRec:
		return ex.orgField(o, field, args)
	case *memberRec:
		return ex.memberField(o, field, args)
	case *userRec:
		return userField(o, field)
	case *teamRec:
		return ex.teamField(o, field, args)
	case *teamMemberRec:
		return ex.teamMemberField(o, field)
	case *inviteRec:
		return ex.invitationField(o, field, args)
	case *inviteTeamRec:
		return inviteTeamField(o, field)
	case *auditRec:
		return ex.auditEventField(o, field)
	case *auditActor:
		return ex.auditActorField(o, field)
	case *auditSubject:
		return ex.auditSubjectField(o, field)
	case *connection:
		return o.field(field)
	case *edge:
		return o.field(field)
	case *pageInfo:
		return o.field(field)
	case *record:
		if v, ok := o.fields[field]; ok {
			return v, nil
		}
	}
	return nil, errNotImplemented(obj.typeName(), field)
}

func (ex *execution) queryField(field string, args map[string]any) (any, error) {
	org := ex.st.org
	switch field {
	case "organization":
		slug, hasSlug := args["slug"].(string)
		uuid, hasUUID := args["uuid"].(string)
		if hasSlug && strings.EqualFold(slug, org.slug) || hasUUID && uuid == org.uuid {
			return org, nil
		}
		return nil, nil
	case "team":
		slug, _ := args["slug"].(string)
		orgSlug, teamSlug, ok := strings.Cut(slug, "/")
		if !ok || !strings.EqualFold(orgSlug, org.slug) {
			return nil, nil
		}
		if t := ex.st.teamBySlug(teamSlug); t != nil {
			return t, nil
		}
		return nil, nil
	case "node":
		id, _ := args["id"].(string)
		if o := ex.st.lookup("", id); o != nil {
			return o, nil
		}
		return nil, nil
	case "viewer":
		return ex.viewer(), nil
	}
	return nil, errNotImplemented("Query", field)
}

// viewer is the token's user: the first admin by creation, else the first
// member, else no user.
func (ex *execution) viewer() object {
	fields := map[string]any{"id": globalID("Viewer", ex.st.org.uuid), "user": nil}
	if u := ex.st.tokenUser(); u != nil {
		fields["user"] = u
	}
	return &record{typ: "Viewer", fields: fields}
}

func (ex *execution) orgField(o *orgRec, field string, args map[string]any) (any, error) {
	switch field {
	case "id":
		return idOf(o), nil
	case "uuid":
		return o.uuid, nil
	case "slug":
		return o.slug, nil
	case "name":
		return o.name, nil
	case "isTeamsEnabled":
		return true, nil
	case "members":
		return ex.orgMembers(args)
	case "teams":
		return ex.orgTeams(args)
	case "invitations":
		return ex.orgInvitations(args)
	case "auditEvents":
		return ex.orgAuditEvents(args)
	case "permissions":
		return ex.orgPermissions(), nil
	}
	return nil, errNotImplemented("Organization", field)
}

// orgPermissions answers what the token's user may do in the
// organization: everything but Options.Denied, and
// organizationMemberUpdate only when the token's user is an organization
// admin, as Buildkite answers it (the same rule requireAdmin applies to
// the writes on the organization's people).
func (ex *execution) orgPermissions() object {
	fields := make(map[string]any)
	for _, name := range []string{"auditEventsView", "organizationInvitationCreate", "organizationMemberUpdate", "teamAdmin", "teamCreate"} {
		allowed := !slices.Contains(ex.s.denied, name)
		if name == "organizationMemberUpdate" && !ex.viewerIsAdmin() {
			allowed = false
		}
		fields[name] = &record{typ: "Permission", fields: map[string]any{"allowed": allowed}}
	}
	return &record{typ: "OrganizationPermissions", fields: fields}
}

func (ex *execution) memberField(m *memberRec, field string, args map[string]any) (any, error) {
	switch field {
	case "id":
		return idOf(m), nil
	case "uuid":
		return m.uuid, nil
	case "role":
		return strings.ToUpper(m.role), nil
	case "createdAt":
		return formatDateTime(m.createdAt), nil
	case "user":
		return m.user, nil
	case "organization":
		return ex.st.org, nil
	case "teams":
		var items []pageItem
		for _, t := range ex.st.teams {
			if tm := t.memberFor(m); tm != nil {
				items = append(items, pageItem{key: orderKey(args, "RECENTLY_CREATED", tm.seq, t.name), node: tm})
			}
		}
		return ex.paginate("OrganizationMember.teams", "TeamMemberConnection", items, args)
	}
	return nil, errNotImplemented("OrganizationMember", field)
}

func userField(u *userRec, field string) (any, error) {
	switch field {
	case "id":
		return idOf(u), nil
	case "uuid":
		return u.uuid, nil
	case "email":
		return u.email, nil
	case "name":
		if u.name == "" {
			local, _, _ := strings.Cut(u.email, "@")
			return local, nil
		}
		return u.name, nil
	case "bot":
		return u.bot, nil
	case "machineUser":
		return false, nil
	}
	return nil, errNotImplemented("User", field)
}

func (ex *execution) teamField(t *teamRec, field string, args map[string]any) (any, error) {
	switch field {
	case "id":
		return idOf(t), nil
	case "uuid":
		return t.uuid, nil
	case "slug":
		return t.slug, nil
	case "name":
		return t.name, nil
	case "description":
		if t.description == "" {
			return nil, nil
		}
		return t.description, nil
	case "privacy":
		return strings.ToUpper(t.privacy), nil
	case "isDefaultTeam":
		return t.isDefault, nil
	case "defaultMemberRole":
		return strings.ToUpper(t.defaultRole), nil
	case "organization":
		return ex.st.org, nil
	case "members":
		return ex.teamMembers(t, args)
	case "membersCanCreatePipelines", "membersCanCreateSuites", "membersCanCreateRegistries",
		"membersCanDeletePipelines", "membersCanDestroyRegistries", "membersCanDestroyPackages":
		return t.permission(field), nil
	}
	return nil, errNotImplemented("Team", field)
}

// permission answers a membersCan* flag, defaulting as TeamCreateInput
// declares: everything true except destroying registries and packages.
func (t *teamRec) permission(name string) bool {
	if v, ok := t.permissions[name]; ok {
		return v
	}
	return name != "membersCanDestroyRegistries" && name != "membersCanDestroyPackages"
}

func (ex *execution) teamMemberField(tm *teamMemberRec, field string) (any, error) {
	switch field {
	case "id":
		return idOf(tm), nil
	case "uuid":
		return tm.uuid, nil
	case "role":
		return strings.ToUpper(tm.role), nil
	case "user":
		return tm.member.user, nil
	case "team":
		return tm.team, nil
	case "organizationMember":
		return tm.member, nil
	case "createdAt":
		return formatDateTime(tm.createdAt), nil
	}
	return nil, errNotImplemented("TeamMember", field)
}

func (ex *execution) invitationField(inv *inviteRec, field string, args map[string]any) (any, error) {
	switch field {
	case "id":
		return idOf(inv), nil
	case "uuid":
		return inv.uuid, nil
	case "email":
		return inv.email, nil
	case "state":
		return strings.ToUpper(inv.state), nil
	case "role":
		return strings.ToUpper(inv.role), nil
	case "organization":
		return ex.st.org, nil
	case "teams":
		items := make([]pageItem, 0, len(inv.teams))
		for i, it := range inv.teams {
			items = append(items, pageItem{key: fmt.Sprintf("%010d", i), node: it})
		}
		return ex.paginate("OrganizationInvitation.teams", "OrganizationInvitationTeamAssignmentConnection", items, args)
	}
	return nil, errNotImplemented("OrganizationInvitation", field)
}

func inviteTeamField(it *inviteTeamRec, field string) (any, error) {
	switch field {
	case "id":
		return idOf(it), nil
	case "role":
		return strings.ToUpper(it.role), nil
	case "team":
		return it.team, nil
	}
	return nil, errNotImplemented("OrganizationInvitationTeamAssignment", field)
}
