package buildkite

import (
	"fmt"
	"strconv"
	"strings"
)

// The GraphQL documents the client sends. Every one of them, and the
// generated teams batch, is checked against Buildkite's published schema
// by TestOperationsValidateAgainstSchema.
const (
	// orgMembersQuery pages the organization's members, for a lookup of so
	// many people that listing everyone is cheaper. Only what matching
	// needs is asked for: bot users are skipped.
	orgMembersQuery = `query OrgMembers($org: ID!, $first: Int!, $after: String) {
  organization(slug: $org) {
    members(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { id role createdAt user { id email name bot } } }
    }
  }
}`

	// orgPeopleQuery pages every organization member, bots too, for
	// ReadPeople; the first page ($viewer true) also names the token's
	// user, whom offboarding spares.
	orgPeopleQuery = `query OrgPeople($org: ID!, $first: Int!, $after: String, $viewer: Boolean!) {
  viewer @include(if: $viewer) { user { id } }
  organization(slug: $org) {
    members(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { id role createdAt user { id email name bot } } }
    }
  }
}`

	// orgInvitationsQuery pages pending invitations with their teams, and
	// reads the organization's ID on the way (ReadOrg needs both).
	// OrganizationInvitation.teams has no cursor, so $teams must cover the
	// most teams an organization can have.
	orgInvitationsQuery = `query OrgInvitations($org: ID!, $first: Int!, $after: String, $teams: Int!) {
  organization(slug: $org) {
    id
    invitations(first: $first, after: $after, state: [PENDING]) {
      pageInfo { hasNextPage endCursor }
      edges { node { id email state teams(first: $teams) { count edges { node { role team { slug } } } } } }
    }
  }
}`

	// teamMembersPageQuery follows one team's members past the first page.
	teamMembersPageQuery = `query TeamMembersPage($team: ID!, $first: Int!, $after: String) {
  team(slug: $team) {
    members(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { id role createdAt user { id email bot } } }
    }
  }
}`

	// teamsBatchFields is one team of the TeamsBatch query: alias tI reads
	// team $tI with its first $fI members (see teamsBatchQuery).
	// createdAt is read so that the team's fingerprint can be derived from
	// what was read; as a scalar it costs nothing.
	teamsBatchFields = ` {
    id name
    members(first: $%s) {
      pageInfo { hasNextPage endCursor }
      edges { node { id role createdAt user { id email bot } } }
    }
  }`

	// teamFingerprintFields is one team of the TeamFingerprints query (see
	// teamFingerprintsQuery): its ID, its members' count with the newest
	// membership's createdAt, and its maintainers' count. Five points a
	// team, whatever its size.
	teamFingerprintFields = ` {
    id
    newest: members(first: 1, order: RECENTLY_CREATED) { count edges { node { createdAt } } }
    maintainers: members(role: [MAINTAINER]) { count }
  }`

	// auditEventsQuery pages the audit log's events about teams, team
	// memberships, organization members and invitations, newest first,
	// from $from on (all of them when $from is null), with the subject's
	// team (its ID, which a rename keeps, and its slug) when the subject
	// still exists. viewer names the token's user, to tell teamsync's own
	// events from others'.
	auditEventsQuery = `query AuditEvents($org: ID!, $first: Int!, $after: String, $from: DateTime) {
  viewer { user { id } }
  organization(slug: $org) {
    auditEvents(first: $first, after: $after, occurredAtFrom: $from, order: RECENTLY_OCCURRED,
      subjectType: [TEAM_MEMBER, TEAM, ORGANIZATION_MEMBER, ORGANIZATION_INVITATION]) {
      pageInfo { hasNextPage endCursor }
      edges { node {
        id type occurredAt
        actor { id }
        subject { id type node { ... on TeamMember { team { id slug } } ... on Team { id slug } } }
      } }
    }
  }
}`

	// membersByEmailHeader and membersByEmailField make the MembersByEmail
	// query: under organization, one aliased members(email:) field per
	// person (m0, m1, …), each asking for at most one match. See
	// membersByEmailQuery.
	membersByEmailHeader = "query MembersByEmail($org: ID!"
	membersByEmailField  = ` { edges { node { id role createdAt user { id email name bot } } } }`

	teamCreateMutation = `mutation TeamCreate($input: TeamCreateInput!) {
  teamCreate(input: $input) { teamEdge { node { id slug } } }
}`

	teamMemberCreateMutation = `mutation TeamMemberCreate($input: TeamMemberCreateInput!) {
  teamMemberCreate(input: $input) { teamMemberEdge { node { id role createdAt } } }
}`

	teamMemberUpdateMutation = `mutation TeamMemberUpdate($input: TeamMemberUpdateInput!) {
  teamMemberUpdate(input: $input) { teamMember { id role } }
}`

	teamMemberDeleteMutation = `mutation TeamMemberDelete($input: TeamMemberDeleteInput!) {
  teamMemberDelete(input: $input) { deletedTeamMemberID }
}`

	invitationCreateMutation = `mutation OrganizationInvitationCreate($input: OrganizationInvitationCreateInput!) {
  organizationInvitationCreate(input: $input) { invitationEdges { node { id email } } }
}`

	orgMemberDeleteMutation = `mutation OrganizationMemberDelete($input: OrganizationMemberDeleteInput!) {
  organizationMemberDelete(input: $input) { deletedOrganizationMemberID }
}`

	invitationRevokeMutation = `mutation OrganizationInvitationRevoke($input: OrganizationInvitationRevokeInput!) {
  organizationInvitationRevoke(input: $input) { organizationInvitation { id state } }
}`

	// The reads that settle a write whose answer was lost (see settle):
	// a team by slug after teamCreate, a team's members by the team's ID
	// after teamMemberCreate, one membership by ID after teamMemberUpdate
	// and teamMemberDelete. organizationInvitationCreate is settled by
	// OrgInvitations.
	teamBySlugQuery = `query TeamBySlug($slug: ID!) {
  team(slug: $slug) { id }
}`

	teamMembershipQuery = `query TeamMembership($team: ID!, $first: Int!, $after: String) {
  node(id: $team) {
    ... on Team {
      members(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges { node { id user { id } } }
      }
    }
  }
}`

	teamMemberQuery = `query TeamMember($id: ID!) {
  node(id: $id) { ... on TeamMember { id role } }
}`

	// orgMemberQuery settles organizationMemberDelete, invitationQuery
	// organizationInvitationRevoke: each reads the one object by its ID.
	orgMemberQuery = `query OrganizationMember($id: ID!) {
  node(id: $id) { ... on OrganizationMember { id } }
}`

	invitationQuery = `query OrganizationInvitation($id: ID!) {
  node(id: $id) { ... on OrganizationInvitation { id state } }
}`
)

// operation is one document with what the transport needs to know of it.
type operation struct {
	name     string
	doc      string
	mutation bool
}

// label names the operation in errors and logs: a query by its name, a
// mutation by its field (teamMemberCreate), as Buildkite's docs do.
func (op operation) label() string {
	if op.mutation && op.name != "" {
		return strings.ToLower(op.name[:1]) + op.name[1:]
	}
	return op.name
}

// The fixed operations.
var (
	opOrgMembers       = operation{name: "OrgMembers", doc: orgMembersQuery}
	opOrgPeople        = operation{name: "OrgPeople", doc: orgPeopleQuery}
	opOrgInvitations   = operation{name: "OrgInvitations", doc: orgInvitationsQuery}
	opTeamMembersPage  = operation{name: "TeamMembersPage", doc: teamMembersPageQuery}
	opTeamCreate       = operation{name: "TeamCreate", doc: teamCreateMutation, mutation: true}
	opTeamMemberCreate = operation{name: "TeamMemberCreate", doc: teamMemberCreateMutation, mutation: true}
	opTeamMemberUpdate = operation{name: "TeamMemberUpdate", doc: teamMemberUpdateMutation, mutation: true}
	opTeamMemberDelete = operation{name: "TeamMemberDelete", doc: teamMemberDeleteMutation, mutation: true}
	opInvitationCreate = operation{name: "OrganizationInvitationCreate", doc: invitationCreateMutation, mutation: true}
	opOrgMemberDelete  = operation{name: "OrganizationMemberDelete", doc: orgMemberDeleteMutation, mutation: true}
	opInvitationRevoke = operation{name: "OrganizationInvitationRevoke", doc: invitationRevokeMutation, mutation: true}
	opTeamBySlug       = operation{name: "TeamBySlug", doc: teamBySlugQuery}
	opTeamMembership   = operation{name: "TeamMembership", doc: teamMembershipQuery}
	opTeamMember       = operation{name: "TeamMember", doc: teamMemberQuery}
	opOrgMember        = operation{name: "OrganizationMember", doc: orgMemberQuery}
	opInvitation       = operation{name: "OrganizationInvitation", doc: invitationQuery}
	opAuditEvents      = operation{name: "AuditEvents", doc: auditEventsQuery}
)

// teamAlias is the response key of the i-th team of a TeamsBatch query.
func teamAlias(i int) string { return "t" + strconv.Itoa(i) }

// isTeamAlias reports whether name is one of the aliases of a TeamsBatch
// query for n teams.
func isTeamAlias(name string, n int) bool {
	i, err := strconv.Atoi(strings.TrimPrefix(name, "t"))
	return strings.HasPrefix(name, "t") && err == nil && i >= 0 && i < n && teamAlias(i) == name
}

// firstVar is the variable holding the members page size of alias tI of a
// TeamsBatch query.
func firstVar(i int) string { return "f" + strconv.Itoa(i) }

// teamsBatchQuery builds the TeamsBatch query for n teams. Variable $tI is
// the "org/team" slug of alias tI and $fI how many of its members to read.
func teamsBatchQuery(n int) operation {
	var b strings.Builder
	b.WriteString("query TeamsBatch(")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + teamAlias(i) + ": ID!, $" + firstVar(i) + ": Int!")
	}
	b.WriteString(") {")
	for i := range n {
		a := teamAlias(i)
		b.WriteString("\n  " + a + ": team(slug: $" + a + ")" + fmt.Sprintf(teamsBatchFields, firstVar(i)))
	}
	b.WriteString("\n}")
	return operation{name: "TeamsBatch", doc: b.String()}
}

// teamFingerprintsQuery builds the TeamFingerprints query for n teams.
// Variable $tI is the "org/team" slug of alias tI.
func teamFingerprintsQuery(n int) operation {
	var b strings.Builder
	b.WriteString("query TeamFingerprints(")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + teamAlias(i) + ": ID!")
	}
	b.WriteString(") {")
	for i := range n {
		a := teamAlias(i)
		b.WriteString("\n  " + a + ": team(slug: $" + a + ")" + teamFingerprintFields)
	}
	b.WriteString("\n}")
	return operation{name: "TeamFingerprints", doc: b.String()}
}

// memberAlias is the response key, under organization, of the i-th email
// of a MembersByEmail query; its variable is emailVar(i).
func memberAlias(i int) string { return "m" + strconv.Itoa(i) }

// emailVar is the variable holding the i-th email of a MembersByEmail
// query.
func emailVar(i int) string { return "e" + strconv.Itoa(i) }

// membersByEmailQuery builds the MembersByEmail query for n emails.
// Variable $eI is the lower-cased email of alias mI.
func membersByEmailQuery(n int) operation {
	var b strings.Builder
	b.WriteString(membersByEmailHeader)
	for i := range n {
		b.WriteString(", $" + emailVar(i) + ": String")
	}
	b.WriteString(") {\n  organization(slug: $org) {")
	for i := range n {
		b.WriteString("\n    " + memberAlias(i) + ": members(first: 1, email: $" + emailVar(i) + ")" + membersByEmailField)
	}
	b.WriteString("\n  }\n}")
	return operation{name: "MembersByEmail", doc: b.String()}
}

// Operations returns every GraphQL document the client can send, by
// operation name, so that tests can validate them against the schema. The
// TeamsBatch and MembersByEmail entries are the generated queries for
// three teams and three emails, and TeamFingerprints for three teams;
// every size is built the same way.
func Operations() map[string]string {
	out := make(map[string]string)
	for _, op := range []operation{
		opOrgMembers, opOrgPeople, opOrgInvitations, opTeamMembersPage, teamsBatchQuery(3), membersByEmailQuery(3),
		teamFingerprintsQuery(3), opAuditEvents,
		opTeamCreate, opTeamMemberCreate, opTeamMemberUpdate, opTeamMemberDelete, opInvitationCreate,
		opOrgMemberDelete, opInvitationRevoke,
		opTeamBySlug, opTeamMembership, opTeamMember, opOrgMember, opInvitation, opAccess, opViewer,
	} {
		out[op.name] = op.doc
	}
	return out
}
