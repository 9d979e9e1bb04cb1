// Package model holds the value types shared by the reconciler's stages: team
// roles, sync policies and the snapshot of a Buildkite organization that the
// planner diffs against. It does no I/O and imports nothing of ours.
package model

import (
	"errors"
	"strings"
	"time"
)

// Role is a team role in Buildkite, lower-case as written in mapping.yaml and
// in plans.
type Role string

// The two team roles. A maintainer outranks a member.
const (
	RoleMember     Role = "member"
	RoleMaintainer Role = "maintainer"
)

// Rank orders roles so that the highest wins; an unknown role ranks lowest.
func (r Role) Rank() int {
	switch r {
	case RoleMaintainer:
		return 2
	case RoleMember:
		return 1
	}
	return 0
}

// Valid reports whether r is one of the two team roles.
func (r Role) Valid() bool { return r.Rank() > 0 }

// Policy says how far teamsync may change a team.
type Policy string

// The three team policies: authoritative adds, changes roles and removes
// anyone not desired; additive only adds and raises roles; observe plans
// everything and writes nothing.
const (
	PolicyAuthoritative Policy = "authoritative"
	PolicyAdditive      Policy = "additive"
	PolicyObserve       Policy = "observe"
)

// Valid reports whether p is one of the known policies.
func (p Policy) Valid() bool {
	switch p {
	case PolicyAuthoritative, PolicyAdditive, PolicyObserve:
		return true
	}
	return false
}

// Org is what teamsync read of one Buildkite organization: its members, the
// managed teams that exist, and pending invitations. Map keys are lower-case
// emails or team slugs.
type Org struct {
	Slug string
	ID   string // GraphQL ID, needed by teamCreate and organizationInvitationCreate
	// Members are the members the plan may need, by lower-case email:
	// everyone in a managed team, plus those found by LookupMembers.
	Members map[string]Member
	// Teams are the managed teams that exist, by slug. A managed team that is
	// missing here does not exist in Buildkite.
	Teams map[string]Team
	// TeamErrors names managed teams whose read failed part-way: their
	// membership is unknown and must not be planned against.
	TeamErrors map[string]error
	// Invitations are the pending invitations by lower-case email.
	Invitations map[string]Invitation
}

// Member is a member of the organization.
type Member struct {
	ID     string // OrganizationMember ID, what organizationMemberDelete takes
	UserID string // User ID, what teamMemberCreate takes
	Email  string
	Name   string
	// Role is the organization role; "" when the read did not ask for it.
	Role OrgRole
	// Bot marks a Buildkite-managed bot user (User.bot).
	Bot bool
	// CreatedAt is when they joined the organization; zero when not read.
	CreatedAt time.Time
}

// OrgRole is a member's role in the organization, lower-case.
type OrgRole string

// The two organization roles.
const (
	OrgRoleAdmin  OrgRole = "admin"
	OrgRoleMember OrgRole = "member"
)

// People is every member of the organization, as offboarding and the
// access report need them: not only those the managed teams show.
type People struct {
	// Members are all organization members by lower-case email, bots
	// included (with Bot set).
	Members map[string]Member
	// ViewerUserID is the User ID of the token's own user, whom
	// offboarding never removes.
	ViewerUserID string
}

// Team is a Buildkite team with all of its members.
type Team struct {
	ID      string
	Slug    string
	Name    string
	Members map[string]TeamMember // by lower-case email
	// Unlisted are the memberships Members leaves out: bots (Buildkite
	// manages them), memberships whose user this token cannot see, and a
	// second membership whose email clashes with a listed one. Nothing is
	// planned for them, but they count in the team's Fingerprint.
	Unlisted []TeamMember
}

// TeamMember is one membership of a team.
type TeamMember struct {
	ID     string // TeamMember ID, what teamMemberUpdate/Delete take
	UserID string
	Email  string
	Role   Role
	// CreatedAt is when the membership was made; zero when not known.
	CreatedAt time.Time
}

// Invitation is a pending invitation to the organization.
type Invitation struct {
	ID    string
	Email string
	Teams []TeamRole
}

// TeamRole pairs a team slug with a role, as in invitations.
type TeamRole struct {
	Team string `json:"team"`
	Role Role   `json:"role"`
}

// NewTeam describes a team to create.
type NewTeam struct {
	Name    string
	Privacy string // "secret" or "visible"
}

// TeamAssignment is a team (by GraphQL ID) and role given with an invitation.
type TeamAssignment struct {
	TeamID string
	Role   Role
}

// Errors that writers return (wrapped) so the applier can treat a change that
// is already in effect as done.
var (
	// ErrAlreadyExists means the membership, team or invitation is already there.
	ErrAlreadyExists = errors.New("already exists")
	// ErrNotFound means the object to change or delete no longer exists.
	ErrNotFound = errors.New("not found")
	// ErrRefused means the API refused a read that its plan or the
	// token's permissions do not allow, such as the audit log: asking
	// again will not help, so the caller does without.
	ErrRefused = errors.New("refused")
)

// NormalizeEmail lower-cases and trims an email address. It is the one
// rule for comparing emails, applied once where an email enters teamsync:
// the buildkite client's reads, each identity provider, and config.Load
// for mapping.yaml. Every layer after those trusts the emails it is given.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// Slugify turns a team name into the slug Buildkite derives from it:
// lower-case, each run of characters other than a-z and 0-9 becomes one
// "-", and no "-" at either end. "Platform Engineers" becomes
// "platform-engineers". mapping.yaml's check that a team's name matches its
// slug and the simulator's teamCreate both depend on it being this one rule.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}
