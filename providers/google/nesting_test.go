package google_test

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/google"
	"github.com/teamsync/teamsync/providers/google/googlesim"
)

// vias maps each member's email to its Via joined by " > ", "-" for nil.
func vias(ms []providers.Member) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		out[m.Email] = "-"
		if m.Via != nil {
			out[m.Email] = strings.Join(m.Via, " > ")
		}
	}
	return out
}

func group(email string, members ...googlesim.Member) googlesim.Group {
	return googlesim.Group{Email: email, Members: members}
}

func user(email string) googlesim.Member   { return googlesim.Member{Email: email} }
func nested(email string) googlesim.Member { return googlesim.Member{Email: email, Type: "GROUP"} }

func TestMembersVia(t *testing.T) {
	st := googlesim.State{Groups: []googlesim.Group{
		// top lists y-team before x-team, so y-team's side is read first;
		// Via must not depend on that.
		group("top@acme.com", user("direct@acme.com"), nested("y-team@acme.com"), nested("Sub-A@Acme.com"), nested("x-team@acme.com")),
		// Two levels: top > sub-a > sub-b > deep. The group's own email
		// is mixed-case; Via is lower-case.
		group("Sub-A@Acme.com", nested("sub-b@acme.com")),
		group("sub-b@acme.com", user("deep@acme.com"), user("direct@acme.com"), user("Short@acme.com")),
		// A tie of two chains of two: x-team > n-team wins over
		// y-team > m-team by its first group, though read later.
		group("y-team@acme.com", nested("m-team@acme.com"), user("short@acme.com")),
		group("x-team@acme.com", nested("n-team@acme.com")),
		group("m-team@acme.com", user("tie@acme.com"), nested("top@acme.com")),
		group("n-team@acme.com", user("tie@acme.com"), nested("m-team@acme.com")),
	}}
	want := map[string]string{
		"direct@acme.com": "-",                               // also nested: direct wins
		"deep@acme.com":   "sub-a@acme.com > sub-b@acme.com", // two levels
		"short@acme.com":  "y-team@acme.com",                 // one level beats two
		"tie@acme.com":    "x-team@acme.com > n-team@acme.com",
	}
	for range 3 { // a fresh simulator and source each time
		e := newEnv(t, st, googlesim.Options{})
		got, err := e.provider(t, nil).Members(context.Background(), ref("top@acme.com"))
		if err != nil {
			t.Fatalf("Members: %v", err)
		}
		if v := vias(got); !maps.Equal(v, want) {
			t.Fatalf("via = %v\nwant  %v", v, want)
		}
	}
}

func TestMembersViaThroughACycle(t *testing.T) {
	// top > loop-a > loop-b > loop-a (and > top): the walk ends, each
	// group read once, and Via takes the way in that does not go round.
	st := googlesim.State{Groups: []googlesim.Group{
		group("top@acme.com", nested("loop-a@acme.com")),
		group("loop-a@acme.com", nested("loop-b@acme.com"), user("ann@acme.com")),
		group("loop-b@acme.com", nested("loop-a@acme.com"), nested("top@acme.com"), user("cyc@acme.com")),
	}}
	e := newEnv(t, st, googlesim.Options{})
	got, err := e.provider(t, nil).Members(context.Background(), ref("top@acme.com"))
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	want := map[string]string{"ann@acme.com": "loop-a@acme.com", "cyc@acme.com": "loop-a@acme.com > loop-b@acme.com"}
	if v := vias(got); !maps.Equal(v, want) {
		t.Errorf("via = %v, want %v", v, want)
	}
	for _, g := range []string{"top@acme.com", "loop-a@acme.com", "loop-b@acme.com"} {
		if c := e.sim.Requests(groupsPath + g + "/members"); c != 1 {
			t.Errorf("members.list of %s: %d requests, want 1", g, c)
		}
	}
	// Read from inside the cycle, the top group is a nested group like any
	// other.
	got, err = e.provider(t, nil).Members(context.Background(), ref("loop-b@acme.com"))
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	want = map[string]string{"ann@acme.com": "loop-a@acme.com", "cyc@acme.com": "-"}
	if v := vias(got); !maps.Equal(v, want) {
		t.Errorf("from loop-b: via = %v, want %v", v, want)
	}
}

func TestMembersViaWithoutNesting(t *testing.T) {
	st := googlesim.State{Groups: []googlesim.Group{
		group("top@acme.com", user("ann@acme.com"), nested("sub@acme.com")),
		group("sub@acme.com", user("bob@acme.com")),
	}}
	e := newEnv(t, st, googlesim.Options{})
	got, err := e.provider(t, func(c *google.Config) { c.Nested = false }).Members(context.Background(), ref("top@acme.com"))
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	if v, want := vias(got), map[string]string{"ann@acme.com": "-"}; !maps.Equal(v, want) {
		t.Errorf("via = %v, want %v", v, want)
	}
	if got[0].Via != nil {
		t.Errorf("Via = %#v, want nil", got[0].Via)
	}
}
