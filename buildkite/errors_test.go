package buildkite

import (
	"errors"
	"testing"

	"github.com/teamsync/teamsync/sync/model"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		message string
		want    error
	}{
		{"User has already been added to this team", model.ErrAlreadyExists},
		{"A team with that name already exists", model.ErrAlreadyExists},
		{"Name has already been taken", model.ErrAlreadyExists},
		{"alice@acme.com is already a member of this organization", model.ErrAlreadyExists},
		{"alice@acme.com has already been invited", model.ErrAlreadyExists},
		{"No team member found with ID \"abc\"", model.ErrNotFound},
		{"No TeamMember found", model.ErrNotFound},
		{"Team not found", model.ErrNotFound},
		{"That team member no longer exists", model.ErrNotFound},
		{"Buildkite is currently busy, please try again.", nil},
		{"Query has complexity of 251503, which exceeds max complexity of 50000", nil},
		{"You are not allowed to do this. No permission. We found nothing", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.message, func(t *testing.T) {
			if got := classify(tt.message); got != tt.want {
				t.Errorf("classify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOpErrorWrapping(t *testing.T) {
	cause := &GraphQLError{Message: "User has already been added to this team"}
	err := error(&opError{op: "teamMemberCreate", kind: model.ErrAlreadyExists, err: cause})
	if got, want := err.Error(), "buildkite: teamMemberCreate: graphql: User has already been added to this team"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, model.ErrAlreadyExists) {
		t.Error("errors.Is(err, ErrAlreadyExists) = false")
	}
	if errors.Is(err, model.ErrNotFound) {
		t.Error("errors.Is(err, ErrNotFound) = true")
	}
	var ge *GraphQLError
	if !errors.As(err, &ge) || ge != cause {
		t.Error("errors.As did not find the *GraphQLError")
	}
	plain := error(&opError{op: "teamMemberDelete", err: &HTTPError{Status: 404, Message: "Not Found"}})
	if errors.Is(plain, model.ErrNotFound) {
		t.Error("an HTTP 404 reads as model.ErrNotFound")
	}
}
