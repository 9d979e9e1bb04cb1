package google_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/providers/google"
	"github.com/teamsync/teamsync/providers/google/googlesim"
)

func TestRetriesTransientFailures(t *testing.T) {
	const members = groupsPath + "eng@acme.com/members"
	tests := []struct {
		name  string
		fault googlesim.Fault
	}{
		{"403 userRateLimitExceeded", googlesim.Fault{Status: 403, Reason: "userRateLimitExceeded"}},
		{"403 rateLimitExceeded", googlesim.Fault{Status: 403, Reason: "rateLimitExceeded"}},
		{"403 quotaExceeded", googlesim.Fault{Status: 403, Reason: "quotaExceeded"}},
		{"429", googlesim.Fault{Status: 429}},
		{"500", googlesim.Fault{Status: 500}},
		{"503", googlesim.Fault{Status: 503}},
		{"502 from a proxy", googlesim.Fault{Status: 502, Body: "<html>Bad Gateway</html>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com", Members: users(450, "")}}}, googlesim.Options{})
			// Page 2 fails twice, then succeeds.
			f := tt.fault
			f.Path, f.After, f.Times = members, 1, 2
			e.sim.Inject(f)
			got, err := e.provider(t, nil).Members(context.Background(), ref("eng@acme.com"))
			if err != nil {
				t.Fatalf("Members: %v", err)
			}
			if len(got) != 450 {
				t.Errorf("got %d members, want 450", len(got))
			}
			// Three pages plus two retries of page 2: the listing resumed
			// from page 2's token instead of starting over.
			if c := e.sim.Requests(members); c != 5 {
				t.Errorf("members.list requests = %d, want 5", c)
			}
			sleeps := e.sleeps.all()
			if len(sleeps) != 2 {
				t.Fatalf("sleeps = %v, want 2", sleeps)
			}
			// 1 s then 2 s, each plus under a second of jitter.
			for i, d := range sleeps {
				lo := time.Second << i
				if d < lo || d >= lo+time.Second {
					t.Errorf("sleep %d = %v, want in [%v, %v)", i, d, lo, lo+time.Second)
				}
			}
			if !strings.Contains(e.logs.String(), "google: retrying call") {
				t.Errorf("no retry logged:\n%s", e.logs)
			}
		})
	}
}

func TestRetriesDroppedConnections(t *testing.T) {
	const get = groupsPath + "eng@acme.com"
	e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com"}}}, googlesim.Options{})
	e.sim.Inject(googlesim.Fault{Path: get, Drop: true, Times: 1})
	if _, err := e.provider(t, nil).Members(context.Background(), ref("eng@acme.com")); err != nil {
		t.Fatalf("one dropped connection: %v", err)
	}

	e.sim.Inject(googlesim.Fault{Path: get, Drop: true})
	_, err := e.provider(t, func(c *google.Config) { c.MaxRetries = 2 }).Members(context.Background(), ref("eng@acme.com"))
	want := `google: get group "eng@acme.com": gave up after 3 attempts: Get "` + e.srv.URL + `/admin/directory/v1/groups/eng%40acme.com?alt=json&prettyPrint=false": EOF`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com"}}}, googlesim.Options{})
	e.sim.Inject(googlesim.Fault{Path: groupsPath + "eng@acme.com", Status: 429, RetryAfter: 7, Times: 1})
	if _, err := e.provider(t, nil).Members(context.Background(), ref("eng@acme.com")); err != nil {
		t.Fatal(err)
	}
	if got := e.sleeps.all(); len(got) != 1 || got[0] != 7*time.Second {
		t.Errorf("sleeps = %v, want [7s]", got)
	}
}

func TestDoesNotRetryRefusals(t *testing.T) {
	tests := []struct {
		name  string
		fault googlesim.Fault
		want  string
	}{
		{
			name:  "plain 403",
			fault: googlesim.Fault{Status: 403, Reason: "forbidden"},
			want:  `google: get group "eng@acme.com": HTTP 403: Not Authorized to access this resource/api (forbidden)`,
		},
		{
			name:  "403 insufficient scopes",
			fault: googlesim.Fault{Status: 403, Reason: "insufficientPermissions"},
			want:  `google: get group "eng@acme.com": HTTP 403: Request had insufficient authentication scopes. (insufficientPermissions)`,
		},
		{
			name:  "400",
			fault: googlesim.Fault{Status: 400, Reason: "invalid", Message: "Invalid Input"},
			want:  `google: get group "eng@acme.com": HTTP 400: Invalid Input (invalid)`,
		},
		{
			name:  "404 that is not the Directory's",
			fault: googlesim.Fault{Status: 404, Body: "<html>Not Found</html>"},
			want:  `google: get group "eng@acme.com": HTTP 404 Not Found (no Google error in the body)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com"}}}, googlesim.Options{})
			f := tt.fault
			f.Path = groupsPath + "eng@acme.com"
			e.sim.Inject(f)
			_, err := e.provider(t, nil).Members(context.Background(), ref("eng@acme.com"))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant %s", err, tt.want)
			}
			if errors.Is(err, google.ErrNotFound) {
				t.Errorf("err is ErrNotFound")
			}
			if c := e.sim.Requests(f.Path); c != 1 {
				t.Errorf("requests = %d, want 1", c)
			}
			if s := e.sleeps.all(); len(s) != 0 {
				t.Errorf("slept %v", s)
			}
		})
	}
}

func TestPageFailureIsAnError(t *testing.T) {
	const members = groupsPath + "eng@acme.com/members"
	tests := []struct {
		name       string
		maxRetries int
		requests   int
		want       string
	}{
		{"default retries", 0, 1 + 6,
			`google: list members of group "eng@acme.com": page 2: gave up after 6 attempts: HTTP 503: Service unavailable. Please try again (backendError)`},
		{"two retries", 2, 1 + 3,
			`google: list members of group "eng@acme.com": page 2: gave up after 3 attempts: HTTP 503: Service unavailable. Please try again (backendError)`},
		{"no retries", -1, 1 + 1,
			`google: list members of group "eng@acme.com": page 2: gave up after 1 attempts: HTTP 503: Service unavailable. Please try again (backendError)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com", Members: users(450, "")}}}, googlesim.Options{})
			e.sim.Inject(googlesim.Fault{Path: members, After: 1, Status: 503})
			got, err := e.provider(t, func(c *google.Config) { c.MaxRetries = tt.maxRetries }).Members(context.Background(), ref("eng@acme.com"))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant %s", err, tt.want)
			}
			if got != nil {
				t.Errorf("got %d members with the error; a failed read must return none", len(got))
			}
			if c := e.sim.Requests(members); c != tt.requests {
				t.Errorf("members.list requests = %d, want %d", c, tt.requests)
			}
		})
	}
}

func TestUserLookupFailureIsAnError(t *testing.T) {
	e := newEnv(t, googlesim.State{
		Groups: []googlesim.Group{{Email: "eng@acme.com", Members: []googlesim.Member{{Email: "dan@acme.com", Status: "-"}}}},
		Users:  []googlesim.User{{Email: "dan@acme.com"}},
	}, googlesim.Options{})
	e.sim.Inject(googlesim.Fault{Path: usersPath + "dan@acme.com", Status: 403, Reason: "forbidden"})
	_, err := e.provider(t, nil).Members(context.Background(), ref("eng@acme.com"))
	want := `google: list members of group "eng@acme.com": check status of user "dan@acme.com": HTTP 403: Not Authorized to access this resource/api (forbidden)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com"}}}, googlesim.Options{})
	e.sim.Inject(googlesim.Fault{Path: groupsPath + "eng@acme.com", Status: 503})
	ctx, cancel := context.WithCancel(context.Background())
	sleeps := 0
	p := e.provider(t, func(c *google.Config) {
		c.Sleep = func(ctx context.Context, d time.Duration) error {
			sleeps++
			cancel() // shut down while waiting for the first retry
			return ctx.Err()
		}
	})
	_, err := p.Members(ctx, ref("eng@acme.com"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if sleeps != 1 || e.sim.Requests(groupsPath+"eng@acme.com") != 1 {
		t.Errorf("sleeps = %d, requests = %d; want 1 and 1", sleeps, e.sim.Requests(groupsPath+"eng@acme.com"))
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com"}}}, googlesim.Options{})
	e.sim.Inject(googlesim.Fault{Path: groupsPath + "eng@acme.com", Status: 503})
	_, err := e.provider(t, func(c *google.Config) { c.MaxRetries = 8 }).Members(context.Background(), ref("eng@acme.com"))
	if err == nil {
		t.Fatal("want an error")
	}
	got := e.sleeps.all()
	floors := []time.Duration{1, 2, 4, 8, 16, 32, 32, 32}
	if len(got) != len(floors) {
		t.Fatalf("sleeps = %v", got)
	}
	for i, d := range got {
		lo := floors[i] * time.Second
		hi := min(lo+time.Second, 32*time.Second+1)
		if d < lo || d >= hi {
			t.Errorf("sleep %d = %v, want in [%v, %v)", i, d, lo, hi)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("sleeps not growing: %v", got)
	}
}

func TestStalledRequestTimesOut(t *testing.T) {
	// Under serve, cmd/ passes a client with no Timeout (a metrics wrapper
	// over the default transport); each request must still be bounded, or
	// one stalled connection hangs the run and every run after it.
	const get = groupsPath + "eng@acme.com"
	tests := []struct {
		name         string
		client       func(e *env) *http.Client
		limit        time.Duration // Config.RequestTimeout
		afterHeaders bool          // the stall is inside the answer's body
	}{
		{"given client without a timeout", func(e *env) *http.Client { return &http.Client{Transport: e.srv.Client().Transport} }, 20 * time.Millisecond, false},
		{"given client without a timeout, stalled body", func(e *env) *http.Client { return &http.Client{Transport: e.srv.Client().Transport} }, 20 * time.Millisecond, true},
		{"no client", func(*env) *http.Client { return nil }, 20 * time.Millisecond, false},
		{"the given client's own timeout wins", func(e *env) *http.Client {
			return &http.Client{Transport: e.srv.Client().Transport, Timeout: 20 * time.Millisecond}
		}, time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com"}}}, googlesim.Options{})
			release := make(chan struct{})
			t.Cleanup(func() { close(release) }) // before the server closes
			e.sim.Inject(googlesim.Fault{Path: get, Stall: release, AfterHeaders: tt.afterHeaders})
			client := tt.client(e)
			var before time.Duration
			if client != nil {
				before = client.Timeout
			}
			p := e.provider(t, func(c *google.Config) {
				c.HTTPClient, c.RequestTimeout, c.MaxRetries = client, tt.limit, 1
			})
			// The test's own bound: without a per-request timeout the read
			// would end only here, with context.DeadlineExceeded.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := p.Members(ctx, ref("eng@acme.com"))
			want := `google: get group "eng@acme.com": gave up after 2 attempts: Get "` + e.srv.URL + groupsPath +
				`eng%40acme.com?alt=json&prettyPrint=false": request timed out after 20ms`
			if err == nil || err.Error() != want {
				t.Fatalf("err = %v\nwant %s", err, want)
			}
			if n := e.sim.Requests(get); n != 2 {
				t.Errorf("groups.get requests = %d, want 2 (a retry after the timeout)", n)
			}
			if client != nil && client.Timeout != before {
				t.Errorf("the caller's client now has Timeout %v, want it untouched (%v)", client.Timeout, before)
			}
		})
	}
}
