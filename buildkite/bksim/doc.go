// Package bksim is an in-process fake of Buildkite's GraphQL API
// (POST https://graphql.buildkite.com/v1) for the client's tests, end-to-end
// scenario tests, benchmarks and `teamsync demo`. A Server holds one
// organization (seeded from a State), speaks GraphQL over HTTP and keeps
// Buildkite's limits, so the real client library can be pointed at it.
//
// # Execution
//
// Queries are parsed with gqlparser and, when Options.Schema is set
// (MinimalSchema, shipped here, or Buildkite's own schema.graphql),
// validated against it: a validation failure answers HTTP
// 200 with gqlparser's messages in "errors" and counts Stats.Rejected. A
// small executor walks the AST: operation selection by operationName,
// variables (coerced by the schema, defaults applied), aliases, fragments
// and inline fragments (with Node and Connection interface conditions),
// @skip/@include, __typename and nested selections; results keep the
// query's field order. Errors carry "path" and "locations"; a failing
// non-null field nulls its parent as GraphQL requires.
//
// Any field or argument outside the modelled set answers a GraphQL error
// "simulator does not implement Type.field" (or "Type.field(arg:)"), so a
// new query fails loudly instead of reading null.
//
// # What is simulated
//
// Queries:
//   - Query.organization(slug:|uuid:) — null when it is not this organization.
//   - Query.team(slug: "org-slug/team-slug") — null (no error) when the team
//     or organization does not exist, or the slug has no "/".
//   - Query.node(id:) for every object below with an id; Query.viewer
//     { id user } (the user is the first admin, else the first member).
//   - Organization { id uuid slug name isTeamsEnabled(always true)
//     members(first after email search order role team)
//     teams(first after order search privacy user)
//     invitations(first after order state)
//     auditEvents(first after order occurredAtFrom occurredAtTo subjectType type) }
//   - AuditEvent { id uuid type occurredAt actor subject }, newest first;
//     AuditActor { id uuid name type node } (the user: its id is the
//     User's ID); AuditSubject { id uuid name type node }, whose id is the
//     subject's GraphQL ID and whose node is null once the subject is gone
//     (a deleted membership, a member who left). occurredAtFrom and
//     occurredAtTo are inclusive. With Options.NoAuditLog the field
//     answers null and the error AuditLogRefused at its path.
//   - Organization.permissions { teamAdmin teamCreate
//     organizationInvitationCreate organizationMemberUpdate auditEventsView } as Permission
//     { allowed }: all allowed but Options.Denied (and auditEventsView
//     with Options.NoAuditLog), and organizationMemberUpdate only when the
//     token's user is an organization admin, as Buildkite answers it.
//     Writes are not refused for it, but for the admin-only ones below.
//   - OrganizationMember { id uuid createdAt role user organization teams(first after order) };
//     createdAt is a seeded member's Member.CreatedAt, else SeedMemberEpoch
//     plus a minute per member before them in the seed (not the clock, so
//     it reads the same on every run), and for a member who joins later
//     the time of their ORGANIZATION_MEMBER_CREATED event.
//   - User { id uuid email name bot machineUser(always false) }; name is the
//     email's local part when the seed gives none.
//   - Team { id uuid slug name description privacy isDefaultTeam
//     defaultMemberRole organization members(first after order role search)
//     membersCan* }
//   - TeamMember { id uuid createdAt role user team organizationMember };
//     createdAt is when the membership was made (a seed's, a day before
//     the server started, a millisecond apart), in whole milliseconds and
//     never the same twice, so RECENTLY_CREATED order is creation order.
//   - OrganizationInvitation { id uuid email state role organization teams(first) }
//   - OrganizationInvitationTeamAssignment { id role team }
//   - every connection's count, edges { cursor node } and
//     pageInfo { hasNextPage hasPreviousPage startCursor endCursor }.
//
// Enum values are upper-case as in the schema (MEMBER/MAINTAINER,
// SECRET/VISIBLE, ADMIN/MEMBER, PENDING/ACCEPTED/REVOKED/EXPIRED). IDs are
// Relay style, base64("Type---uuid"), and uuids come from a counter so the
// same seed gives the same IDs on every run.
//
// Pagination: forward only (first/after). Cursors are opaque and name the
// last item's sort key, so a page boundary stays put when items are added or
// removed between pages. first defaults to 500 (or PageMax if smaller);
// first above Options.PageMax or negative answers
// "Argument 'first' on Field 'members' has an invalid value (501). Expected a value between 0 and 500."
// Orders: members and team members RECENTLY_CREATED (newest first) by
// default, teams NAME by default, invitations RECENTLY_CREATED or EMAIL;
// RELEVANCE sorts like NAME. members(email:) is an exact match compared
// case-insensitively (the real API's case handling is undocumented); search
// is a case-insensitive substring of name or email (or team name or slug).
//
// Mutations (several top-level fields per request run in order; a failing
// field answers null for its alias plus an errors[] entry with path [alias],
// changes nothing, and the others still run):
//   - teamCreate(input: TeamCreateInput!) → { teamEdge { node } organization }.
//     The slug is derived from the name (see Slugify).
//   - teamMemberCreate(input: {teamID, userID, role}) → { teamMemberEdge { node } team };
//     without role the team's defaultMemberRole applies.
//   - teamMemberUpdate(input: {id, role}) → { teamMember }
//   - teamMemberDelete(input: {id}) → { deletedTeamMemberID team }
//   - organizationInvitationCreate(input: {organizationID, emails, role, teams: [{id, role}]})
//     → { invitationEdges { node } organization }; all or nothing.
//   - organizationMemberDelete(input: {id}) → { deletedOrganizationMemberID
//     organization user }: the member leaves the organization and every team,
//     as with RemoveMember. Only an organization admin may (the token's user).
//   - organizationInvitationRevoke(input: {id}) → { organizationInvitation
//     organizationInvitationEdge organization }: a pending invitation only.
//     Only an organization admin may.
//
// Every payload also answers clientMutationId.
//
// # The audit log
//
// Every change is written to the audit log: the mutations above under the
// token's user (the viewer), Hand edits (ByHand: a person in the web UI)
// under that person, and AddMember, RemoveMember and SetInvitationState
// under Buildkite itself (no actor) or the person accepting. Events:
// TEAM_CREATED, TEAM_MEMBER_CREATED/UPDATED/DELETED,
// ORGANIZATION_MEMBER_CREATED/DELETED and
// ORGANIZATION_INVITATION_CREATED/ACCEPTED/REVOKED. A member who leaves
// takes their memberships along without an event for each; an invitation
// that expires writes nothing. Server.AuditEvents shows the log to tests.
//
// # Error messages
//
// Clients classify errors by these texts, in the shapes that
// terraform-provider-buildkite relies on: not found contains "No … found",
// duplicates contain "already been added" or "already exists".
//
//	No organization found with ID "…"                  teamCreate, organizationInvitationCreate
//	No team found with ID "…"                          teamMemberCreate, invitation teams
//	No user found with ID "…" in this organization     teamMemberCreate (also for a non-User ID)
//	No TeamMember found with ID "…"                    teamMemberUpdate, teamMemberDelete
//	User has already been added to this team           teamMemberCreate
//	Name has already been taken (a team with the slug "…" already exists)   teamCreate
//	Name can't be blank                                teamCreate
//	Organization has reached the limit of 250 teams    teamCreate
//	x@y is already a member of this organization       organizationInvitationCreate
//	x@y has already been invited (a pending invitation already exists)      organizationInvitationCreate
//	Your organization has reached its limit of 20 pending invitations       organizationInvitationCreate
//	"x" is not a valid email address                   organizationInvitationCreate
//	No OrganizationMember found with ID "…"            organizationMemberDelete
//	No OrganizationInvitation found with ID "…"        organizationInvitationRevoke
//	This invitation has already been revoked           organizationInvitationRevoke (also "… accepted")
//	This invitation has expired                        organizationInvitationRevoke
//	Only organization administrators can remove members from the organization   organizationMemberDelete
//	Only organization administrators can revoke invitations                     organizationInvitationRevoke
//
// # Limits
//
// Requested complexity is computed before execution by the documented
// model (scalars and enums 0, objects 1, a connection's edges 1, everything
// under edges.node multiplied by first); over Options.MaxComplexity (50,000)
// answers HTTP 200 "Query has complexity of N, which exceeds max complexity
// of 50000". Depth over 15 answers "Query has depth of N, which exceeds max
// depth of 15". Actual complexity (objects returned; a connection's edges
// once) is charged after execution to a budget of Options.RateLimit points
// per 300 s window (clock Options.Now); a request arriving with the budget
// spent answers HTTP 429 "Your organization has exceeded the limit of 20000
// complexity points. Please try again in N seconds." Like the real one the
// remainder can go negative. Every response carries RateLimit-Remaining,
// RateLimit-Limit, RateLimit-Reset (seconds left in the window),
// RateLimit-Complexity-Requested and RateLimit-Complexity-Actual; with
// "Buildkite-Include-Query-Stats: true" the body carries
// "stats": {requestedComplexity, actualComplexity}.
//
// HTTP: a method other than POST answers 405; a missing or wrong bearer
// token 401 with {"errors":[{"message":…}]}; a body that is not JSON 400.
//
// # Not simulated
//
// Several token users (there is one token, the viewer's); the
// "different costs for specific fields" Buildkite reserves; last/before
// pagination; organization members joining or changing role through the
// API (organizationMemberUpdate), team update and delete, invitation
// resend, SSO, pipelines, suites, registries and every other part
// of the schema; token scopes and portals (any valid token is an admin).
// Tests change the organization outside the API with Server methods such as
// AddMember, SetInvitationState and ByHand.
package bksim
