package google_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/google"
	"github.com/teamsync/teamsync/providers/google/googlesim"
)

func TestMembersReadsEveryPage(t *testing.T) {
	for _, n := range []int{0, 1, 200, 201, 450} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com", Members: users(n, "")}}}, googlesim.Options{})
			got, err := e.provider(t, nil).Members(context.Background(), ref("eng@acme.com"))
			if err != nil {
				t.Fatalf("Members: %v", err)
			}
			want := emails(toMembers(users(n, "")))
			if !slices.Equal(emails(got), want) {
				t.Fatalf("got %d members %v…, want %d", len(got), head(emails(got)), len(want))
			}
			pages := max(1, (n+199)/200)
			if c := e.sim.Requests(groupsPath + "eng@acme.com/members"); c != pages {
				t.Errorf("members.list requests = %d, want %d", c, pages)
			}
			if c := e.sim.Requests(groupsPath + "eng@acme.com"); c != 1 {
				t.Errorf("groups.get requests = %d, want 1", c)
			}
		})
	}
}

func TestMembersNested(t *testing.T) {
	// top → mid → leaf → top (a cycle), three levels deep, and mid is
	// also reached a second way through side.
	st := googlesim.State{Groups: []googlesim.Group{
		{Email: "top@acme.com", Members: []googlesim.Member{
			{Email: "ann@acme.com"},
			{Email: "mid@acme.com", Type: "GROUP"},
			{Email: "side@acme.com", Type: "GROUP"},
		}},
		{Email: "mid@acme.com", Members: []googlesim.Member{
			{Email: "bob@acme.com"},
			{Email: "leaf@acme.com", Type: "GROUP"},
		}},
		{Email: "side@acme.com", Members: []googlesim.Member{
			{Email: "mid@acme.com", Type: "GROUP"},
			{Email: "Ann@acme.com"},
		}},
		{Email: "leaf@acme.com", Members: []googlesim.Member{
			{Email: "cat@acme.com", Role: "OWNER"},
			{Email: "top@acme.com", Type: "GROUP"},
		}},
	}}
	tests := []struct {
		name   string
		nested bool
		group  string
		want   []string
		reads  map[string]int
	}{
		{
			name: "nested from the top", nested: true, group: "top@acme.com",
			want:  []string{"ann@acme.com", "bob@acme.com", "cat@acme.com"},
			reads: map[string]int{"top@acme.com": 1, "mid@acme.com": 1, "side@acme.com": 1, "leaf@acme.com": 1},
		},
		{
			name: "nested from inside the cycle", nested: true, group: "leaf@acme.com",
			want:  []string{"ann@acme.com", "bob@acme.com", "cat@acme.com"},
			reads: map[string]int{"top@acme.com": 1, "mid@acme.com": 1, "side@acme.com": 1, "leaf@acme.com": 1},
		},
		{
			name: "direct members only", nested: false, group: "top@acme.com",
			want:  []string{"ann@acme.com"},
			reads: map[string]int{"top@acme.com": 1, "mid@acme.com": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, st, googlesim.Options{})
			p := e.provider(t, func(c *google.Config) { c.Nested = tt.nested })
			got, err := p.Members(context.Background(), ref(tt.group))
			if err != nil {
				t.Fatalf("Members: %v", err)
			}
			if !slices.Equal(emails(got), tt.want) {
				t.Errorf("members = %v, want %v", emails(got), tt.want)
			}
			for g, n := range tt.reads {
				if c := e.sim.Requests(groupsPath + g + "/members"); c != n {
					t.Errorf("members.list of %s: %d requests, want %d", g, c, n)
				}
			}
		})
	}
}

func TestMembersNestedGroupMissingIsAnError(t *testing.T) {
	e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "top@acme.com", Members: []googlesim.Member{
		{Email: "ann@acme.com"},
		{Email: "gone@acme.com", Type: "GROUP"},
	}}}}, googlesim.Options{})
	_, err := e.provider(t, nil).Members(context.Background(), ref("top@acme.com"))
	want := `google: list members of group "top@acme.com": nested group "gone@acme.com": page 1: HTTP 404: Resource Not Found: groupKey (notFound)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestMembersOnlyPeopleAndStatus(t *testing.T) {
	st := googlesim.State{
		Groups: []googlesim.Group{{Email: "eng@acme.com", Members: []googlesim.Member{
			{Email: "Active@Acme.com"},
			{Email: "sus@acme.com"}, // suspended user: Google reports SUSPENDED
			{Email: "gone@acme.com", Status: "ARCHIVED"},
			{Email: "ops@acme.com", Type: "GROUP"},
			{Email: "ext@partner.com", Status: "-"},
			{Email: "arch@acme.com", Status: "-"},
			{Email: "quiet@acme.com", Status: "-"},
			{Email: "frozen@acme.com", Status: "-"},
			{Email: "unsure@acme.com", Status: "UNKNOWN"},
			{Email: "unsure-sus@acme.com", Status: "UNKNOWN"},
		}}, {Email: "ops@acme.com", Members: []googlesim.Member{{Email: "oscar@acme.com"}}}},
		Users: []googlesim.User{
			{Email: "sus@acme.com", Suspended: true},
			{Email: "arch@acme.com", Archived: true},
			{Email: "quiet@acme.com"},
			{Email: "frozen@acme.com", Suspended: true},
			{Email: "unsure@acme.com"},
			{Email: "unsure-sus@acme.com", Suspended: true},
		},
	}
	e := newEnv(t, st, googlesim.Options{})
	got, err := e.provider(t, func(c *google.Config) { c.Nested = false }).Members(context.Background(), ref("eng@acme.com"))
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	want := []providers.Member{
		{Email: "active@acme.com", Status: "ACTIVE", Active: true}, // Active@Acme.com in Google, normalised
		{Email: "arch@acme.com", Status: "ARCHIVED"},
		{Email: "ext@partner.com", Status: "NOT_IN_DIRECTORY"},
		{Email: "frozen@acme.com", Status: "SUSPENDED"},
		{Email: "gone@acme.com", Status: "ARCHIVED"},
		{Email: "quiet@acme.com", Status: "ACTIVE", Active: true},
		{Email: "sus@acme.com", Status: "SUSPENDED"},
		{Email: "unsure-sus@acme.com", Status: "SUSPENDED"},
		{Email: "unsure@acme.com", Status: "ACTIVE", Active: true},
	}
	if !slices.EqualFunc(got, want, sameMember) {
		t.Errorf("members =\n%v\nwant\n%v", got, want)
	}
	// Only the six rows without a status, or with UNKNOWN, are confirmed.
	if c := e.sim.RequestsWithPrefix(usersPath); c != 6 {
		t.Errorf("users.get requests = %d, want 6", c)
	}
}

// TestMembersUndocumentedStatusFailsTheRead: a status outside ACTIVE,
// SUSPENDED, ARCHIVED and UNKNOWN may or may not mean the person is still
// here, so the group is unknown rather than read either way.
func TestMembersUndocumentedStatusFailsTheRead(t *testing.T) {
	tests := []struct {
		name   string
		groups []googlesim.Group
		want   string
	}{
		{"in the group", []googlesim.Group{{Email: "eng@acme.com", Members: append(users(3, ""), googlesim.Member{Email: "pending@acme.com", Status: "PENDING"})}},
			`google: list members of group "eng@acme.com": member "pending@acme.com" has status "PENDING", which teamsync does not know how to read`},
		{"in a nested group", []googlesim.Group{
			{Email: "eng@acme.com", Members: append(users(3, ""), googlesim.Member{Email: "ops@acme.com", Type: "GROUP"})},
			{Email: "ops@acme.com", Members: []googlesim.Member{{Email: "new@acme.com", Status: "active"}}},
		}, `google: list members of group "eng@acme.com": nested group "ops@acme.com": member "new@acme.com" has status "active", which teamsync does not know how to read`},
		{"without an email", []googlesim.Group{{Email: "eng@acme.com", Members: []googlesim.Member{{Email: "ghost@acme.com", HideEmail: true, Status: "DELETED"}}}},
			`google: list members of group "eng@acme.com": member (user id "` + googlesim.UserID("ghost@acme.com") + `") has status "DELETED", which teamsync does not know how to read`},
		{"UNKNOWN without an email", []googlesim.Group{{Email: "eng@acme.com", Members: []googlesim.Member{{Email: "ghost@acme.com", HideEmail: true, Status: "UNKNOWN"}}}},
			`google: list members of group "eng@acme.com": a member (user id "` + googlesim.UserID("ghost@acme.com") + `") has no email address; teamsync cannot match it to a Buildkite user`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, googlesim.State{Groups: tt.groups}, googlesim.Options{})
			got, err := e.provider(t, nil).Members(context.Background(), ref("eng@acme.com"))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("members %v, err = %v\nwant %s", emails(got), err, tt.want)
			}
			if got != nil {
				t.Errorf("got %v alongside the error, want no list", emails(got))
			}
		})
	}
}

func TestMembersRowsThatAreNotPeopleFailTheRead(t *testing.T) {
	// A row teamsync cannot turn into people makes the group unknown: a
	// list without it would read as the whole group and plan removals.
	withUsers := func(extra ...googlesim.Member) []googlesim.Member {
		return append(users(3, ""), extra...)
	}
	tests := []struct {
		name   string
		groups []googlesim.Group
		nested bool
		want   string
	}{
		{"whole domain", []googlesim.Group{{Email: "eng@acme.com", Members: withUsers(googlesim.Member{Type: "CUSTOMER"})}}, false,
			`google: list members of group "eng@acme.com": the whole domain (customer ` + googlesim.CustomerID + `) is a member; teamsync cannot list it — name a narrower group`},
		{"whole domain in a nested group", []googlesim.Group{
			{Email: "eng@acme.com", Members: withUsers(googlesim.Member{Email: "all@acme.com", Type: "GROUP"})},
			{Email: "all@acme.com", Members: []googlesim.Member{{Type: "CUSTOMER"}}},
		}, true,
			`google: list members of group "eng@acme.com": nested group "all@acme.com": the whole domain (customer ` + googlesim.CustomerID + `) is a member; teamsync cannot list it — name a narrower group`},
		{"user without an email", []googlesim.Group{{Email: "eng@acme.com", Members: withUsers(googlesim.Member{Email: "ghost@acme.com", HideEmail: true})}}, false,
			`google: list members of group "eng@acme.com": a member (user id "` + googlesim.UserID("ghost@acme.com") + `") has no email address; teamsync cannot match it to a Buildkite user`},
		{"a member type teamsync does not know", []googlesim.Group{{Email: "eng@acme.com", Members: withUsers(googlesim.Member{Email: "x@partner.com", Type: "EXTERNAL"})}}, false,
			`google: list members of group "eng@acme.com": a member (id "` + googlesim.UserID("x@partner.com") + `") has type "EXTERNAL", which teamsync does not know how to read`},
		{"user without an email in a nested group", []googlesim.Group{
			{Email: "eng@acme.com", Members: withUsers(googlesim.Member{Email: "ops@acme.com", Type: "GROUP"})},
			{Email: "ops@acme.com", Members: []googlesim.Member{{Email: "ghost@acme.com", HideEmail: true}}},
		}, true,
			`google: list members of group "eng@acme.com": nested group "ops@acme.com": a member (user id "` + googlesim.UserID("ghost@acme.com") + `") has no email address; teamsync cannot match it to a Buildkite user`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, googlesim.State{Groups: tt.groups}, googlesim.Options{})
			got, err := e.provider(t, func(c *google.Config) { c.Nested = tt.nested }).Members(context.Background(), ref("eng@acme.com"))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("members %v, err = %v\nwant %s", emails(got), err, tt.want)
			}
			if got != nil {
				t.Errorf("got %v alongside the error, want no list", emails(got))
			}
		})
	}
}

func TestMembersConfirmsEachUserOncePerRun(t *testing.T) {
	st := googlesim.State{
		Groups: []googlesim.Group{
			{Email: "a@acme.com", Members: []googlesim.Member{{Email: "ext@partner.com", Status: "-"}, {Email: "dan@acme.com", Status: "-"}}},
			{Email: "b@acme.com", Members: []googlesim.Member{{Email: "EXT@partner.com", Status: "-"}, {Email: "dan@acme.com", Status: "-"}}},
			{Email: "c@acme.com", Members: []googlesim.Member{{Email: "dan@acme.com", Status: "-"}, {Email: "a@acme.com", Type: "GROUP"}}},
		},
		Users: []googlesim.User{{Email: "dan@acme.com"}},
	}
	e := newEnv(t, st, googlesim.Options{})
	p := e.provider(t, nil)
	// The reconciler may read groups concurrently; the cache must hold.
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = p.Members(context.Background(), ref([]string{"a", "b", "c"}[i%3]+"@acme.com"))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"dan@acme.com", "ext@partner.com", "EXT@partner.com"} {
		if c := e.sim.Requests(usersPath + u); c > 1 {
			t.Errorf("users.get %s: %d requests, want at most 1", u, c)
		}
	}
	if c := e.sim.RequestsWithPrefix(usersPath); c != 2 {
		t.Errorf("users.get requests = %d, want 2 (one per person)", c)
	}
	// A new provider is a new run: it asks again.
	if _, err := e.provider(t, nil).Members(context.Background(), ref("a@acme.com")); err != nil {
		t.Fatal(err)
	}
	if c := e.sim.RequestsWithPrefix(usersPath); c != 4 {
		t.Errorf("users.get requests after a second run = %d, want 4", c)
	}
}

func TestMembersGroupNotFound(t *testing.T) {
	e := newEnv(t, googlesim.State{}, googlesim.Options{})
	_, err := e.provider(t, nil).Members(context.Background(), ref("nope@acme.com"))
	if err == nil || err.Error() != `google group "nope@acme.com": not found` {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, google.ErrNotFound) {
		t.Errorf("errors.Is(err, ErrNotFound) = false")
	}
	if c := e.sim.RequestsWithPrefix(groupsPath); c != 1 {
		t.Errorf("requests = %d, want 1 (a 404 is not retried)", c)
	}
}

func TestMembersByAliasAndPrimaryEmails(t *testing.T) {
	st := googlesim.State{
		Groups: []googlesim.Group{{Email: "eng@acme.com", Aliases: []string{"engineering@acme.com"}, Members: []googlesim.Member{
			{Email: "a.smith@acme.com"}, // added by alias; Google lists the primary
		}}},
		Users: []googlesim.User{{Email: "alice@acme.com", Aliases: []string{"a.smith@acme.com"}}},
	}
	e := newEnv(t, st, googlesim.Options{})
	got, err := e.provider(t, nil).Members(context.Background(), ref("engineering@acme.com"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"alice@acme.com"}; !slices.Equal(emails(got), want) {
		t.Errorf("members = %v, want %v", emails(got), want)
	}
}

func TestMembersRejectsOtherSources(t *testing.T) {
	e := newEnv(t, googlesim.State{}, googlesim.Options{})
	p := e.provider(t, nil)
	for _, r := range []providers.GroupRef{
		{Source: providers.SourceOkta, Name: "eng"},
		{Source: providers.SourceGoogle, Name: "  "},
	} {
		if _, err := p.Members(context.Background(), r); err == nil || !strings.HasPrefix(err.Error(), "google: group ref") {
			t.Errorf("Members(%+v) err = %v", r, err)
		}
	}
	if c := e.sim.TotalRequests(); c != 0 {
		t.Errorf("requests = %d, want 0", c)
	}
}

func toMembers(ms []googlesim.Member) []providers.Member {
	out := make([]providers.Member, len(ms))
	for i, m := range ms {
		out[i] = providers.Member{Email: m.Email, Status: "ACTIVE", Active: true}
	}
	return out
}

func head(s []string) []string {
	return s[:min(len(s), 3)]
}

// TestMembersSuspendedWithoutEmailIsSkipped: a row that could never be
// desired does not make the group unknown, as with Okta's inactive users.
func TestMembersSuspendedWithoutEmailIsSkipped(t *testing.T) {
	e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com", Members: []googlesim.Member{
		{Email: "alice@acme.com"},
		{Email: "ghost@acme.com", HideEmail: true, Status: "SUSPENDED"},
	}}}}, googlesim.Options{})
	got, err := e.provider(t, nil).Members(context.Background(), ref("eng@acme.com"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Email != "alice@acme.com" || !got[0].Active {
		t.Fatalf("members = %+v, want only alice, active", got)
	}
}
