// Package apply executes a plan against Buildkite: teams first, then adds,
// role changes, removals and invitations, recording the outcome of every
// change and carrying on past failures.
package apply

import (
	"context"

	"github.com/teamsync/teamsync/sync/model"
)

// Writer is the set of Buildkite writes the applier needs. The buildkite
// package's client implements it; errors that mean "already in effect" wrap
// model.ErrAlreadyExists or model.ErrNotFound.
type Writer interface {
	CreateTeam(ctx context.Context, orgID string, t model.NewTeam) (teamID string, err error)
	// AddTeamMember returns the new membership as far as Buildkite's
	// answer tells (zero when it does not), for callers that keep a copy
	// of the team.
	AddTeamMember(ctx context.Context, teamID, userID string, role model.Role) (model.TeamMember, error)
	UpdateTeamMember(ctx context.Context, teamMemberID string, role model.Role) error
	RemoveTeamMember(ctx context.Context, teamMemberID string) error
	Invite(ctx context.Context, orgID, email string, teams []model.TeamAssignment) error
	// RemoveOrgMember removes a member from the organization (and so from
	// all its teams) by OrganizationMember ID.
	RemoveOrgMember(ctx context.Context, memberID string) error
	// RevokeInvitation revokes a pending invitation by its ID.
	RevokeInvitation(ctx context.Context, invitationID string) error
}

// Pacer is what paces writes against a rate limit. Apply calls it before
// each change and before that change's own deadline starts, so that waiting
// for a rate-limit window neither eats into a write's time nor keeps a
// shutdown waiting: a wait cut short by the run's end leaves the change
// not attempted.
type Pacer interface {
	// Pace returns when one more write would not be held back, or with
	// ctx's error. progress says how far the run has got ("write 15/200"),
	// for the log line a wait writes.
	Pace(ctx context.Context, progress string) error
}
