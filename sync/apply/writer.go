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
	AddTeamMember(ctx context.Context, teamID, userID string, role model.Role) error
	UpdateTeamMember(ctx context.Context, teamMemberID string, role model.Role) error
	RemoveTeamMember(ctx context.Context, teamMemberID string) error
	Invite(ctx context.Context, orgID, email string, teams []model.TeamAssignment) error
}
