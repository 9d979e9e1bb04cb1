package google_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teamsync/teamsync/providers/google"
	"github.com/teamsync/teamsync/providers/google/googlesim"
)

// These tests check what the Google source adds to the httpx edge (which
// answers are retried, how failures read) and that every request, token
// requests included, goes through it.

// matches fails the test unless err's text matches the regular expression
// want in full.
func matches(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %s", want)
	}
	if !regexp.MustCompile(`^(?:` + want + `)$`).MatchString(err.Error()) {
		t.Fatalf("err = %v\nwant (regexp) %s", err, want)
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	const members = groupsPath + "eng@acme.com/members"
	tests := []struct {
		name   string
		fault  googlesim.Fault
		reason string // as the edge logs it
	}{
		{"403 userRateLimitExceeded", googlesim.Fault{Status: 403, Reason: "userRateLimitExceeded"}, "userRateLimitExceeded"},
		{"403 rateLimitExceeded", googlesim.Fault{Status: 403, Reason: "rateLimitExceeded"}, "rateLimitExceeded"},
		{"403 quotaExceeded", googlesim.Fault{Status: 403, Reason: "quotaExceeded"}, "quotaExceeded"},
		{"429", googlesim.Fault{Status: 429}, "429"},
		{"500", googlesim.Fault{Status: 500}, "5xx"},
		{"503", googlesim.Fault{Status: 503}, "5xx"},
		{"502 from a proxy", googlesim.Fault{Status: 502, Body: "<html>Bad Gateway</html>"}, "5xx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com", Members: users(450, "")}}}, googlesim.Options{})
			// Page 2 fails twice, then succeeds.
			f := tt.fault
			f.Path, f.After, f.Times = members, 1, 2
			e.sim.Inject(f)
			logs := newRecords()
			got, err := e.provider(t, func(c *google.Config) { c.Logger = slog.New(logs) }).Members(context.Background(), ref("eng@acme.com"))
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
			if s := e.sleeps.all(); len(s) != 2 {
				t.Errorf("sleeps = %v, want 2", s)
			}
			retries := logs.with("retrying request")
			if len(retries) != 2 {
				t.Fatalf("retry lines = %v, want 2", retries)
			}
			for i, r := range retries {
				want := map[string]string{"api": "google", "operation": "members.list", "attempt": []string{"2/5", "3/5"}[i], "reason": tt.reason}
				for k, v := range want {
					if r[k] != v {
						t.Errorf("retry line %d: %s = %q, want %q (%v)", i, k, r[k], v, r)
					}
				}
				if r["wait"] == "" || r["wait"] == "0s" {
					t.Errorf("retry line %d: wait = %q", i, r["wait"])
				}
			}
		})
	}
}

// TestRetryLogComesFromTheEdge: one line per retry, the edge's, with the
// keys every API shares; the source logs no retry line of its own.
func TestRetryLogComesFromTheEdge(t *testing.T) {
	e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com"}}}, googlesim.Options{})
	e.sim.Inject(googlesim.Fault{Path: groupsPath + "eng@acme.com", Status: 503, Times: 1})
	e.sim.Inject(googlesim.Fault{Path: "/token", Status: 503, Times: 1})
	logs := newRecords()
	if _, err := e.provider(t, func(c *google.Config) { c.Logger = slog.New(logs) }).Members(context.Background(), ref("eng@acme.com")); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, r := range logs.all() {
		if r["level"] != "WARN" {
			continue
		}
		if r["msg"] != "retrying request" {
			t.Errorf("a warning other than the edge's retry line: %v", r)
			continue
		}
		for _, k := range []string{"api", "operation", "attempt", "reason", "wait", "provider"} {
			if r[k] == "" {
				t.Errorf("retry line without %s: %v", k, r)
			}
		}
		ops = append(ops, r["operation"]+" "+r["attempt"]+" "+r["reason"])
	}
	if want := "token 2/5 5xx,groups.get 2/5 5xx"; strings.Join(ops, ",") != want {
		t.Errorf("retry lines = %v, want %s", ops, want)
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
	matches(t, err, `google: get group "eng@acme.com": groups\.get: EOF \(gave up after 3 attempts\)`)
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
	const page2 = `google: list members of group "eng@acme.com": page 2: members\.list: HTTP 503: Service unavailable\. Please try again \(backendError\)`
	tests := []struct {
		name       string
		maxRetries int
		requests   int
		want       string
	}{
		{"default retries", 0, 1 + 5, page2 + ` \(gave up after 5 attempts\)`},
		{"two retries", 2, 1 + 3, page2 + ` \(gave up after 3 attempts\)`},
		{"no retries", -1, 1 + 1, page2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com", Members: users(450, "")}}}, googlesim.Options{})
			e.sim.Inject(googlesim.Fault{Path: members, After: 1, Status: 503})
			got, err := e.provider(t, func(c *google.Config) { c.MaxRetries = tt.maxRetries }).Members(context.Background(), ref("eng@acme.com"))
			matches(t, err, tt.want)
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

// TestHungGoogle: a Google that stops answering fails the read within
// about one request deadline, with an error that says it timed out and
// how often it tried, and every later request of the run fails at once.
// Under serve, cmd/ passes a client with no timeout of its own (a metrics
// wrapper over the default transport); the edge bounds each request anyway.
func TestHungGoogle(t *testing.T) {
	const (
		get            = groupsPath + "eng@acme.com"
		deadline       = 300 * time.Millisecond
		attemptTimeout = 100 * time.Millisecond
	)
	for _, afterHeaders := range []bool{false, true} {
		name := "no answer"
		if afterHeaders {
			name = "headers, then no body"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com"}, {Email: "ops@acme.com"}}}, googlesim.Options{})
			release := make(chan struct{})
			t.Cleanup(func() { close(release) }) // before the server closes
			e.sim.Inject(googlesim.Fault{Path: get, Stall: release, AfterHeaders: afterHeaders})
			p := e.provider(t, func(c *google.Config) {
				c.HTTPClient = &http.Client{Transport: e.srv.Client().Transport}
				c.Deadline, c.AttemptTimeout = deadline, attemptTimeout
				c.Sleep = nil // real waits: the deadline counts them
			})
			// The test's own bound: without the edge's deadline the read
			// would end only here, with context.DeadlineExceeded.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			_, err := p.Members(ctx, ref("eng@acme.com"))
			took := time.Since(start)
			matches(t, err, `google: get group "eng@acme\.com": groups\.get: timed out: no complete answer in time \(each attempt may take 100ms, the request 300ms\)(?: \(gave up after \d attempts\))?$`)
			if took > deadline+time.Second {
				t.Errorf("Members took %v, want about the %v deadline", took, deadline)
			}
			sent := e.sim.Requests(get)
			if sent < 1 || sent > 3 {
				t.Errorf("groups.get requests = %d, want 1 to 3 within the deadline", sent)
			}

			// The run's later reads fail at once, without a request.
			before := e.sim.TotalRequests()
			start = time.Now()
			_, err = p.Members(ctx, ref("ops@acme.com"))
			matches(t, err, `google: get group "ops@acme\.com": groups\.get: not sent: google stopped answering earlier in this run \(timeout\)`)
			if took := time.Since(start); took > 50*time.Millisecond {
				t.Errorf("second read took %v, want at once", took)
			}
			if n := e.sim.TotalRequests() - before; n != 0 {
				t.Errorf("%d requests after Google stopped answering, want 0", n)
			}
		})
	}
}

// TestRedirectsAreRefused: an answer that redirects elsewhere is an error,
// and the other host never sees a request, so never the bearer token or
// the signed assertion.
func TestRedirectsAreRefused(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer other.Close()
	for _, path := range []string{groupsPath + "eng@acme.com", groupsPath + "eng@acme.com/members", "/token"} {
		t.Run(path, func(t *testing.T) {
			e := newEnv(t, oneGroup, googlesim.Options{})
			e.sim.Inject(googlesim.Fault{Path: path, Status: http.StatusFound, Location: other.URL + path})
			_, err := e.provider(t, nil).Members(context.Background(), ref("eng@acme.com"))
			if err == nil || !strings.Contains(err.Error(), "HTTP 302 redirect to "+other.URL+path+" refused") {
				t.Fatalf("err = %v, want the redirect refused", err)
			}
			if n := elsewhere.Load(); n != 0 {
				t.Fatalf("the other host got %d requests", n)
			}
			if n := e.sim.Requests(path); n != 1 {
				t.Errorf("%s requests = %d, want 1 (a redirect is not retried)", path, n)
			}
		})
	}
}

// records is a slog.Handler that keeps every record as text key-value
// pairs (level and msg included), for tests of what was logged.
type records struct {
	log   *recordLog
	attrs []slog.Attr // from WithAttrs
}

type recordLog struct {
	mu   sync.Mutex
	recs []map[string]string
}

func newRecords() *records { return &records{log: &recordLog{}} }

func (h *records) Enabled(context.Context, slog.Level) bool { return true }

func (h *records) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"level": r.Level.String(), "msg": r.Message}
	for _, a := range h.attrs {
		m[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	h.log.mu.Lock()
	defer h.log.mu.Unlock()
	h.log.recs = append(h.log.recs, m)
	return nil
}

func (h *records) WithAttrs(as []slog.Attr) slog.Handler {
	return &records{log: h.log, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *records) WithGroup(string) slog.Handler { return h }

// all returns every record so far.
func (h *records) all() []map[string]string {
	h.log.mu.Lock()
	defer h.log.mu.Unlock()
	return append([]map[string]string(nil), h.log.recs...)
}

// with returns the records whose message is msg.
func (h *records) with(msg string) []map[string]string {
	var out []map[string]string
	for _, r := range h.all() {
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}
