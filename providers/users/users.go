// Package users is the simplest source: the explicit `users:` lists of
// mapping.yaml (break-glass accounts, contractors). Everyone listed is an
// active member; the read cannot fail.
package users

import (
	"context"
	"fmt"

	"github.com/teamsync/teamsync/providers"
)

// Status is the status word reported for explicitly listed people.
const Status = "LISTED"

type source struct{}

var _ providers.Provider = source{}

// New returns the provider for explicit user lists.
func New() providers.Provider { return source{} }

// Members returns the listed emails as active members. They were
// normalised (model.NormalizeEmail) when mapping.yaml was read, so they
// are passed through as they are.
func (source) Members(_ context.Context, ref providers.GroupRef) ([]providers.Member, error) {
	if ref.Source != providers.SourceUsers {
		return nil, fmt.Errorf("users: cannot read %s groups", ref.Source)
	}
	out := make([]providers.Member, 0, len(ref.Users))
	for _, email := range ref.Users {
		out = append(out, providers.Member{Email: email, Status: Status, Active: true})
	}
	return out, nil
}
