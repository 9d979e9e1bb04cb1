package googlesim_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/providers/google/googlesim"
)

func TestLoadState(t *testing.T) {
	st, err := googlesim.LoadState("testdata/state.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Groups) != 2 || len(st.Users) != 2 {
		t.Fatalf("state = %+v", st)
	}
	g := st.Groups[0]
	if g.Email != "platform-leads@acme.com" || g.Name != "Platform Leads" || len(g.Members) != 3 ||
		g.Members[0].Role != "OWNER" || g.Members[1].Type != "GROUP" || g.Members[2].Type != "CUSTOMER" {
		t.Errorf("group = %+v", g)
	}
	if st.Groups[1].Members[1].Status != "-" || !st.Users[1].Suspended || st.Users[0].Aliases[0] != "a.smith@acme.com" {
		t.Errorf("state = %+v", st)
	}
	if _, err := googlesim.New(st, googlesim.Options{}); err != nil {
		t.Errorf("New: %v", err)
	}
}

func TestLoadStateRejectsUnknownKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("groups:\n  - email: a@acme.com\n    owner: bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := googlesim.LoadState(path)
	if err == nil || !strings.Contains(err.Error(), "field owner not found") {
		t.Fatalf("err = %v", err)
	}
}

func TestNewRejectsBadState(t *testing.T) {
	tests := []struct {
		name string
		st   googlesim.State
		want string
	}{
		{"group without email", googlesim.State{Groups: []googlesim.Group{{Name: "x"}}}, "googlesim: a group has no email"},
		{"duplicate group", googlesim.State{Groups: []googlesim.Group{{Email: "a@x"}, {Email: "b@x", Aliases: []string{"A@x"}}}},
			`googlesim: group key "A@x" used by "a@x" and "b@x"`},
		{"bad type", googlesim.State{Groups: []googlesim.Group{{Email: "a@x", Members: []googlesim.Member{{Email: "u@x", Type: "ROBOT"}}}}},
			`googlesim: group "a@x": member "u@x" has unknown type "ROBOT"`},
		{"bad role", googlesim.State{Groups: []googlesim.Group{{Email: "a@x", Members: []googlesim.Member{{Email: "u@x", Role: "boss"}}}}},
			`googlesim: group "a@x": member "u@x" has unknown role "boss"`},
		{"user member without email", googlesim.State{Groups: []googlesim.Group{{Email: "a@x", Members: []googlesim.Member{{}}}}},
			`googlesim: group "a@x": a USER member has no email`},
		{"customer with email", googlesim.State{Groups: []googlesim.Group{{Email: "a@x", Members: []googlesim.Member{{Type: "CUSTOMER", Email: "c@x"}}}}},
			`googlesim: group "a@x": a CUSTOMER member has an email`},
		{"member twice", googlesim.State{Groups: []googlesim.Group{{Email: "a@x", Members: []googlesim.Member{{Email: "u@x"}, {Email: "U@x"}}}}},
			`googlesim: group "a@x": member "U@x" listed twice`},
		{"duplicate user", googlesim.State{Users: []googlesim.User{{Email: "u@x"}, {Email: "v@x", Aliases: []string{"u@x"}}}},
			`googlesim: user key "u@x" used by "u@x" and "v@x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := googlesim.New(tt.st, googlesim.Options{})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
}
