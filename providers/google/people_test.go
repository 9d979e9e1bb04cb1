package google_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/google"
	"github.com/teamsync/teamsync/providers/google/googlesim"
)

func lookup(t *testing.T, e *env, edit func(*google.Config)) providers.PersonLookup {
	t.Helper()
	l, ok := e.provider(t, edit).(providers.PersonLookup)
	if !ok {
		t.Fatal("the Google source is not a providers.PersonLookup")
	}
	return l
}

// outcome reads a Person as "found STATUS [gone]", "not found" or "err".
func outcome(p providers.Person) string {
	switch {
	case p.Err != nil:
		return "err"
	case !p.Found:
		return fmt.Sprintf("not found %q %t", p.Status, p.Gone)
	case p.Gone:
		return "found " + p.Status + " gone"
	}
	return "found " + p.Status
}

func TestLookupPeople(t *testing.T) {
	st := googlesim.State{Users: []googlesim.User{
		{Email: "active@acme.com", Aliases: []string{"a.alias@acme.com"}},
		{Email: "sus@acme.com", Suspended: true, Aliases: []string{"s.alias@acme.com"}},
		{Email: "arch@acme.com", Archived: true},
		{Email: "both@acme.com", Suspended: true, Archived: true},
		{Email: "denied@acme.com"},
	}}
	e := newEnv(t, st, googlesim.Options{})
	e.sim.Inject(googlesim.Fault{Path: usersPath + "denied@acme.com", Status: http.StatusForbidden, Reason: "forbidden"})
	asked := []string{"active@acme.com", "a.alias@acme.com", "sus@acme.com", "s.alias@acme.com",
		"arch@acme.com", "both@acme.com", "nobody@acme.com", "denied@acme.com", "active@acme.com", ""}
	got := lookup(t, e, nil).LookupPeople(context.Background(), asked)
	out := map[string]string{}
	for k, p := range got {
		out[k] = outcome(p)
	}
	want := map[string]string{
		"active@acme.com":  "found ACTIVE",
		"a.alias@acme.com": "found ACTIVE",
		"sus@acme.com":     "found SUSPENDED gone",
		"s.alias@acme.com": "found SUSPENDED gone",
		"arch@acme.com":    "found ARCHIVED gone",
		"both@acme.com":    "found SUSPENDED gone",
		"nobody@acme.com":  `not found "" false`,
		"denied@acme.com":  "err",
		"":                 "err",
	}
	if !maps.Equal(out, want) {
		t.Errorf("got  %v\nwant %v", out, want)
	}
	msg := got["denied@acme.com"].Err.Error()
	if want := `google: look up "denied@acme.com": HTTP 403: Not Authorized to access this resource/api (forbidden)`; msg != want {
		t.Errorf("error %q, want %q", msg, want)
	}
	// One users.get per distinct email; the repeat is not asked again.
	if c := e.sim.RequestsWithPrefix(usersPath); c != 8 {
		t.Errorf("users.get requests = %d, want 8", c)
	}
}

// gate is a base transport that holds users.get calls until `open` of
// them are in flight together, then lets every call through, and
// remembers the most it saw in flight at once.
type gate struct {
	base http.RoundTripper
	open int

	mu       sync.Mutex
	inFlight int
	most     int
	opened   chan struct{}
}

func (g *gate) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.URL.Path, usersPath) {
		return g.base.RoundTrip(req)
	}
	g.mu.Lock()
	g.inFlight++
	g.most = max(g.most, g.inFlight)
	if g.inFlight == g.open {
		select {
		case <-g.opened:
		default:
			close(g.opened)
		}
	}
	g.mu.Unlock()
	<-g.opened
	resp, err := g.base.RoundTrip(req)
	g.mu.Lock()
	g.inFlight--
	g.mu.Unlock()
	return resp, err
}

func TestLookupPeopleBoundedConcurrency(t *testing.T) {
	// 30 lookups: the first 8 wait until all 8 are in flight, which they
	// can only be if 8 run at once; none may ever make it 9.
	var st googlesim.State
	var asked []string
	for i := range 30 {
		em := fmt.Sprintf("p%02d@acme.com", i)
		st.Users = append(st.Users, googlesim.User{Email: em, Suspended: i%2 == 1})
		asked = append(asked, em)
	}
	e := newEnv(t, st, googlesim.Options{})
	g := &gate{base: e.srv.Client().Transport, open: 8, opened: make(chan struct{})}
	got := lookup(t, e, func(c *google.Config) { c.HTTPClient = &http.Client{Transport: g} }).
		LookupPeople(context.Background(), asked)
	for i, em := range asked {
		want := "found ACTIVE"
		if i%2 == 1 {
			want = "found SUSPENDED gone"
		}
		if o := outcome(got[em]); o != want {
			t.Errorf("%s: %s, want %s", em, o, want)
		}
	}
	if g.most != 8 {
		t.Errorf("at most %d users.get in flight, want 8", g.most)
	}
}
