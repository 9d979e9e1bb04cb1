package okta_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

func TestRateLimited429ThenSuccess(t *testing.T) {
	// A budget of 3 a minute: the search and two member pages use it up,
	// the third page gets a 429 and waits for X-Rate-Limit-Reset (60 s
	// after the window opened, plus Okta's advised second), capped by
	// MaxBackoff.
	tests := []struct {
		name       string
		maxBackoff time.Duration
		wantWaits  []time.Duration
		want429s   int
	}{
		{"wait until reset", 2 * time.Minute, []time.Duration{61 * time.Second}, 1},
		{"capped by MaxBackoff", 0, []time.Duration{30 * time.Second, 30 * time.Second}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, oneGroup("Eng", people(500, "acme.com")), oktasim.Options{RateLimit: 3})
			cfg := e.config()
			cfg.Headroom = -1 // no pacing: hit the limit
			cfg.MaxBackoff = tt.maxBackoff
			got, err := e.source(t, cfg).Members(context.Background(), ref("Eng"))
			if err != nil {
				t.Fatalf("Members: %v", err)
			}
			if len(got) != 500 {
				t.Errorf("got %d members, want 500", len(got))
			}
			if w := e.sleep.Waits(); !slices.Equal(w, tt.wantWaits) {
				t.Errorf("waits %v, want %v", w, tt.wantWaits)
			}
			if n, want := e.sim.Requests(usersPath(t, e, "Eng")), 3+tt.want429s; n != want {
				t.Errorf("%d member-list requests, want %d (3 pages and %d 429s)", n, want, tt.want429s)
			}
		})
	}
}

func TestRetriesOddAndServerErrors(t *testing.T) {
	// Each fault hits the first or second member page; the retry waits a
	// jittered backoff in [250ms, 500ms] for the first retry.
	tests := []struct {
		name  string
		fault oktasim.Fault
	}{
		{"429 without Date or X-Rate-Limit-*", oktasim.Fault{Nth: 1, Status: http.StatusTooManyRequests, NoRateHeaders: true}},
		{"429 without headers on page 2", oktasim.Fault{Nth: 2, Status: http.StatusTooManyRequests, NoRateHeaders: true}},
		{"502", oktasim.Fault{Nth: 2, Status: http.StatusBadGateway}},
		{"500", oktasim.Fault{Nth: 2, Status: http.StatusInternalServerError}},
		{"503", oktasim.Fault{Nth: 1, Status: http.StatusServiceUnavailable}},
		{"connection dropped", oktasim.Fault{Nth: 2, Hangup: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, oneGroup("Eng", people(300, "acme.com")), oktasim.Options{})
			f := tt.fault
			f.Path = usersPath(t, e, "Eng")
			e.sim.Inject(f)
			got, err := e.source(t, e.freshConns()).Members(context.Background(), ref("Eng"))
			if err != nil {
				t.Fatalf("Members: %v", err)
			}
			if len(got) != 300 {
				t.Errorf("got %d members, want 300", len(got))
			}
			w := e.sleep.Waits()
			if len(w) != 1 || w[0] < 250*time.Millisecond || w[0] > 500*time.Millisecond {
				t.Errorf("waits %v, want one in [250ms, 500ms]", w)
			}
		})
	}
}

func TestUnreadablePageIsAnError(t *testing.T) {
	// A failing page makes the whole group unknown: an error, never the
	// members read so far. Requests: search sim-1, page 1 sim-2, page 2
	// sim-3 on.
	tests := []struct {
		name    string
		fault   oktasim.Fault
		retries int
		want    string
	}{
		{
			// Okta's own last answer reads best unadorned.
			name:  "500 on page 2 until retries run out",
			fault: oktasim.Fault{Nth: 2, Times: 5, Status: http.StatusInternalServerError},
			want:  `okta: list members of group "Eng": Internal Server Error, x-okta-request-id=sim-7 (E0000009)`,
		},
		{
			name:    "429 on page 2 until retries run out",
			fault:   oktasim.Fault{Nth: 2, Times: 3, Status: http.StatusTooManyRequests},
			retries: 2,
			want: `okta: list members of group "Eng": page 2: GET /api/v1/groups/{id}/users: ` +
				`API call exceeded rate limit due to too many requests. (E0000047) (gave up after 3 attempts)`,
		},
		{
			name:    "429 with retries off",
			fault:   oktasim.Fault{Nth: 1, Status: http.StatusTooManyRequests, NoRateHeaders: true},
			retries: -1,
			want: `okta: list members of group "Eng": page 1: GET /api/v1/groups/{id}/users: ` +
				`API call exceeded rate limit due to too many requests. (E0000047)`,
		},
		{
			name:  "truncated page 2",
			fault: oktasim.Fault{Nth: 2, Times: 5, Malformed: true},
			want:  `okta: list members of group "Eng": page 2: GET /api/v1/groups/{id}/users: the answer is not valid JSON (gave up after 5 attempts)`,
		},
		{
			name:  "404: group deleted mid-read",
			fault: oktasim.Fault{Nth: 3, Status: http.StatusNotFound},
			want:  `okta: list members of group "Eng": Not found: Resource not found (E0000007)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, oneGroup("Eng", people(650, "acme.com")), oktasim.Options{})
			f := tt.fault
			f.Path = usersPath(t, e, "Eng")
			e.sim.Inject(f)
			cfg := e.config()
			cfg.MaxRetries = tt.retries
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got, err := e.source(t, cfg).Members(ctx, ref("Eng"))
			if err == nil {
				t.Fatalf("got %d members, want an error", len(got))
			}
			if got != nil {
				t.Errorf("got %d members alongside the error, want none", len(got))
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error\n %q\nwant\n %q", err, tt.want)
			}
		})
	}
}

func TestDroppedConnectionGivesUp(t *testing.T) {
	// The SDK alone retries io.EOF without limit; the edge must give up
	// and the error must not unwrap to io.EOF.
	e := newEnv(t, oneGroup("Eng", people(5, "acme.com")), oktasim.Options{})
	path := usersPath(t, e, "Eng")
	e.sim.Inject(oktasim.Fault{Path: path, Hangup: true})
	cfg := e.freshConns()
	cfg.MaxRetries = 2
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := e.source(t, cfg).Members(ctx, ref("Eng"))
	if want := `okta: list members of group "Eng": page 1: GET /api/v1/groups/{id}/users: EOF (gave up after 3 attempts)`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error %v, want %q…", err, want)
	}
	if errors.Is(err, io.EOF) {
		t.Errorf("error %v unwraps to io.EOF", err)
	}
	var he *httpx.Error
	if !errors.As(err, &he) || he.Reason != httpx.ReasonConnection {
		t.Errorf("error %v: want an *httpx.Error with reason %q", err, httpx.ReasonConnection)
	}
	if n := e.sim.Requests(path); n != 3 {
		t.Errorf("%d requests reached the server, want 3 attempts", n)
	}
	if w := e.sleep.Waits(); len(w) != 2 {
		t.Errorf("waits %v, want 2", w)
	}
}

func TestPacingLeavesHeadroom(t *testing.T) {
	// Budget 10 a minute, headroom 0.5: once fewer than 5 requests are
	// left, the next request waits for the reset instead of spending them.
	// 1,600 members are 8 pages; with the search that is 9 requests, and
	// the 6th page is the first sent below the headroom.
	e := newEnv(t, oneGroup("Eng", people(1600, "acme.com")), oktasim.Options{RateLimit: 10})
	cfg := e.config()
	cfg.Headroom = 0.5
	got, err := e.source(t, cfg).Members(context.Background(), ref("Eng"))
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	if len(got) != 1600 {
		t.Errorf("got %d members, want 1600", len(got))
	}
	if w, want := e.sleep.Waits(), []time.Duration{60 * time.Second}; !slices.Equal(w, want) {
		t.Errorf("waits %v, want %v", w, want)
	}
	if n := e.sim.TotalRequests(); n != 9 {
		t.Errorf("%d requests, want 9 (no 429s)", n)
	}
	if !strings.Contains(e.logs.String(), `msg="okta: pacing requests to leave rate-limit headroom"`) {
		t.Errorf("no pacing log line:\n%s", e.logs)
	}
}

func TestPacingHonoursContext(t *testing.T) {
	e := newEnv(t, oneGroup("Eng", people(1600, "acme.com")), oktasim.Options{RateLimit: 10})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := e.config()
	cfg.Headroom = 0.5
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel() // the caller gives up while we wait
		<-ctx.Done()
		return ctx.Err()
	}
	_, err := e.source(t, cfg).Members(ctx, ref("Eng"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if want := `okta: list members of group "Eng": page 6: context canceled`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestAPIErrorKinds(t *testing.T) {
	e := newEnv(t, oneGroup("Eng", people(1, "acme.com")), oktasim.Options{})
	e.sim.Inject(oktasim.Fault{Path: usersPath(t, e, "Eng"), Status: http.StatusTooManyRequests})
	cfg := e.config()
	cfg.MaxRetries = -1
	_, err := e.source(t, cfg).Members(context.Background(), ref("Eng"))
	var ae *okta.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *okta.APIError", err)
	}
	if !ae.RateLimited() || ae.NotFound() || ae.Status != http.StatusTooManyRequests {
		t.Errorf("APIError %+v: want rate limited, status 429", ae)
	}
}

func TestStalledAttemptTimesOut(t *testing.T) {
	// A connection that stalls, before the answer or inside its body, fails
	// the attempt after AttemptTimeout and is retried; it never hangs the
	// read until the caller's context ends.
	tests := []struct {
		name         string
		afterHeaders bool
	}{
		{"no answer", false},
		{"answer without a body", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, oneGroup("Eng", people(5, "acme.com")), oktasim.Options{})
			release := make(chan struct{})
			t.Cleanup(func() { close(release) }) // before the server closes
			path := usersPath(t, e, "Eng")
			e.sim.Inject(oktasim.Fault{Path: path, Stall: release, AfterHeaders: tt.afterHeaders})
			cfg := e.freshConns()
			cfg.AttemptTimeout = 20 * time.Millisecond
			cfg.MaxRetries = 1
			// The test's own bound: without an attempt timeout the read
			// would end only here, with context.DeadlineExceeded.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got, err := e.source(t, cfg).Members(ctx, ref("Eng"))
			want := `okta: list members of group "Eng": page 1: GET /api/v1/groups/{id}/users: timed out`
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "(gave up after 2 attempts)") {
				t.Fatalf("members %v, error %v\nwant error %s… (gave up after 2 attempts…)", emails(got), err, want)
			}
			var he *httpx.Error
			if !errors.As(err, &he) || !he.Timeout() {
				t.Errorf("error %v: want an *httpx.Error that is a timeout", err)
			}
			if n := e.sim.Requests(path); n != 2 {
				t.Errorf("%d requests reached the server, want 2 attempts", n)
			}
			if w := e.sleep.Waits(); len(w) != 1 {
				t.Errorf("waits %v, want 1 between the attempts", w)
			}
		})
	}
}

// capture is a slog.Handler that keeps every record with its attributes,
// those added by With included, by key.
type capture struct {
	mu      *sync.Mutex
	records *[]map[string]slog.Value
	attrs   []slog.Attr
}

func newCapture() *capture {
	return &capture{mu: &sync.Mutex{}, records: &[]map[string]slog.Value{}}
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }

func (c *capture) Handle(_ context.Context, r slog.Record) error {
	rec := map[string]slog.Value{"msg": slog.StringValue(r.Message), "level": slog.StringValue(r.Level.String())}
	for _, a := range c.attrs {
		rec[a.Key] = a.Value.Resolve()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec[a.Key] = a.Value.Resolve()
		return true
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	*c.records = append(*c.records, rec)
	return nil
}

func (c *capture) WithAttrs(as []slog.Attr) slog.Handler {
	return &capture{mu: c.mu, records: c.records, attrs: append(slices.Clone(c.attrs), as...)}
}

func (c *capture) WithGroup(string) slog.Handler { return c }

func (c *capture) withMsg(msg string) []map[string]slog.Value {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]slog.Value
	for _, r := range *c.records {
		if r["msg"].String() == msg {
			out = append(out, r)
		}
	}
	return out
}

func TestRetryLogLinesComeFromTheEdge(t *testing.T) {
	// One line per retry, from the edge every API shares: the API, the
	// request by shape (no group IDs), the attempt out of all, the reason
	// and the wait. Okta's own retry line is gone.
	e := newEnv(t, oneGroup("Eng", people(300, "acme.com")), oktasim.Options{})
	e.sim.Inject(oktasim.Fault{Path: usersPath(t, e, "Eng"), Nth: 2, Times: 2, Status: http.StatusServiceUnavailable})
	logs := newCapture()
	cfg := e.config()
	cfg.Logger = slog.New(logs)
	if _, err := e.source(t, cfg).Members(context.Background(), ref("Eng")); err != nil {
		t.Fatalf("Members: %v", err)
	}
	lines := logs.withMsg("retrying request")
	if len(lines) != 2 {
		t.Fatalf("%d retry lines, want 2", len(lines))
	}
	waits := e.sleep.Waits()
	for i, l := range lines {
		want := map[string]string{
			"level":     "WARN",
			"api":       "okta",
			"provider":  "okta",
			"operation": "GET /api/v1/groups/{id}/users",
			"attempt":   fmt.Sprintf("%d/5", i+2),
			"reason":    httpx.ReasonServer,
		}
		for k, v := range want {
			if got := l[k].String(); got != v {
				t.Errorf("line %d: %s=%q, want %q", i+1, k, got, v)
			}
		}
		if l["wait"].Kind() != slog.KindDuration || l["wait"].Duration() != waits[i] {
			t.Errorf("line %d: wait=%v, want the %v waited", i+1, l["wait"], waits[i])
		}
	}
	if old := logs.withMsg("okta: retrying request"); len(old) != 0 {
		t.Errorf("%d lines from Okta's own retry loop, want none", len(old))
	}
}
