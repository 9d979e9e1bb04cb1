package okta_test

import (
	"context"
	"testing"

	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// TestMembersViaIsNil: Okta groups are flat, so no member is in a group
// through another.
func TestMembersViaIsNil(t *testing.T) {
	e := newEnv(t, oneGroup("Eng", people(3, "acme.com")), oktasim.Options{})
	got, err := e.source(t, e.config()).Members(context.Background(), ref("Eng"))
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	for _, m := range got {
		if m.Via != nil {
			t.Errorf("%s: Via = %#v, want nil", m.Email, m.Via)
		}
	}
	if len(got) != 3 {
		t.Errorf("got %d members, want 3", len(got))
	}
}
