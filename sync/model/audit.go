package model

import "time"

// The audit log subject types change detection asks for: what a team's
// membership, or a person's place in the organization, hangs on.
const (
	AuditSubjectTeam                   = "TEAM"
	AuditSubjectTeamMember             = "TEAM_MEMBER"
	AuditSubjectOrganizationMember     = "ORGANIZATION_MEMBER"
	AuditSubjectOrganizationInvitation = "ORGANIZATION_INVITATION"
)

// AuditEvent is one entry of the organization's audit log, as change
// detection reads it.
type AuditEvent struct {
	ID         string
	Type       string // TEAM_MEMBER_CREATED, ORGANIZATION_MEMBER_DELETED, …
	OccurredAt time.Time
	// Own is set when the actor is the user whose token teamsync uses.
	Own bool
	// SubjectType is one of the AuditSubject* types.
	SubjectType string
	// SubjectID is the subject's GraphQL ID, which outlives the subject:
	// a deleted membership's is still its TeamMember ID.
	SubjectID string
	// Team is the slug of the team the subject is, or belongs to, read from
	// the subject as it is now; "" when it is gone or is not about a team.
	Team string
	// TeamID is that team's GraphQL ID, read alongside Team: it outlives a
	// rename, which changes the slug.
	TeamID string
	// Gone is set when the subject no longer exists (Buildkite answers its
	// node as null), so its team cannot be read from it.
	Gone bool
}
