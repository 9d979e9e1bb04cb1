package buildkite

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
	"github.com/teamsync/teamsync/internal/httpx"
)

// The edge's rules as the Buildkite client meets them, driven against the
// simulator giving the bad answer.

// TestRedactBeforeClip: a message is redacted before it is cut to length,
// so a token that straddles the cut shows no part of itself.
func TestRedactBeforeClip(t *testing.T) {
	token := "s3cr3t-" + strings.Repeat("0123456789", 4)
	msg := strings.Repeat("a", 289) + " " + token + " and more"
	for _, status := range []int{0, 403} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv, ts := bksimtest.StartWith(t, readSeed(), bksim.Options{RateLimit: 1 << 30, Token: token})
			srv.Inject(bksim.Fault{Field: "team", Status: status, Message: msg, Times: 100})
			tc := simClient(t, ts.URL, 0, func(c *Config) { c.Token = token })
			org, err := tc.ReadOrg(context.Background(), managed)
			if err == nil {
				err = org.TeamErrors["platform"]
			}
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(errText(err), "s3cr3t") || strings.Contains(tc.logs.String(), "s3cr3t") {
				t.Errorf("part of the token shows:\nerror %q\nlog %s", errText(err), tc.logs.String())
			}
			if !strings.Contains(errText(err), " [redacted]…") {
				t.Errorf("error %q, want the token redacted, then the cut", errText(err))
			}
		})
	}
}

// TestRedactionKeepsWords: a token that is a short word is replaced only
// where it stands whole, so Buildkite's and Go's messages stay readable.
func TestRedactionKeepsWords(t *testing.T) {
	for _, token := range []string{"e", "x"} {
		t.Run(token, func(t *testing.T) {
			srv, ts := bksimtest.StartWith(t, readSeed(), bksim.Options{RateLimit: 1 << 30, Token: token})
			srv.Inject(bksim.Fault{Field: "team", Status: 429, RetryAfter: 600})
			tc := simClient(t, ts.URL, 0, func(c *Config) { c.Token = token; c.MaxWait = time.Minute })
			_, err := tc.ReadOrg(context.Background(), managed)
			if want := "Your organization has exceeded the limit of 1073741824 complexity points. Please try again in 600 seconds."; !strings.Contains(errText(err), want) {
				t.Errorf("error %q, want it to hold %q", errText(err), want)
			}
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			defer cancel()
			_, err = tc.ReadOrg(ctx, managed)
			if !errors.Is(err, context.DeadlineExceeded) || !strings.HasSuffix(errText(err), "context deadline exceeded") {
				t.Errorf("error %q, want it to end in %q", errText(err), "context deadline exceeded")
			}
		})
	}
}

// TestEchoedAuthorization: an error page that repeats the request's
// Authorization header shows no token, in the error or the log.
func TestEchoedAuthorization(t *testing.T) {
	for _, status := range []int{401, 500} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv, ts := startSim(t, readSeed())
			srv.Inject(bksim.Fault{Field: "team", Status: status, EchoAuthorization: true, Times: 100})
			tc := simClient(t, ts.URL, 0, nil)
			_, err := tc.ReadOrg(context.Background(), managed)
			noToken(t, err, tc)
			if !strings.Contains(errText(err), "(Authorization: Bearer [redacted])") {
				t.Errorf("error %q, want the echoed header with its value redacted", errText(err))
			}
		})
	}
}

// TestRedirectToAnotherHost: a redirect is refused, so the token never
// travels to the host it points at.
func TestRedirectToAnotherHost(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	t.Cleanup(other.Close)
	srv, ts := startSim(t, readSeed())
	srv.Inject(bksim.Fault{Field: "team", Location: other.URL + "/v1", Times: 100})
	tc := simClient(t, ts.URL, 0, nil)
	_, err := tc.ReadOrg(context.Background(), managed)
	want := "buildkite: read teams: TeamsBatch: HTTP 307 redirect to " + other.URL + "/v1 refused"
	if !strings.HasPrefix(errText(err), want) {
		t.Errorf("error %q, want it to start %q", errText(err), want)
	}
	var e *httpx.Error
	if !errors.As(err, &e) || e.Reason != httpx.ReasonRedirect || e.Attempts != 1 {
		t.Errorf("error %#v, want one attempt ending in a redirect", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 0 {
		t.Errorf("the redirect's host got %d requests (Authorization %q)", len(seen), seen)
	}
}

// records is a slog.Handler that keeps every record.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// withMessage returns the records with message msg, their attributes by
// key.
func (r *records) withMessage(msg string) []map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]string
	for _, rec := range r.recs {
		if rec.Message != msg {
			continue
		}
		attrs := map[string]string{}
		rec.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.String()
			return true
		})
		out = append(out, attrs)
	}
	return out
}

// TestHungBuildkite: a Buildkite that stops answering fails a read within
// the request's deadline, with an error that says so and how often it
// tried; the client's next request fails at once without being sent; the
// retries are logged with the edge's keys.
func TestHungBuildkite(t *testing.T) {
	const attemptTimeout, deadline = 100 * time.Millisecond, 300 * time.Millisecond
	srv, ts := startSim(t, readSeed())
	srv.Inject(bksim.Fault{Status: 504, Stall: time.Minute, Times: 1000})
	logs := &records{}
	tc := simClient(t, ts.URL, 0, func(c *Config) {
		c.AttemptTimeout, c.Deadline, c.MaxRetries = attemptTimeout, deadline, 10
		c.backoff = func(int) time.Duration { return 10 * time.Millisecond }
		c.Logger = slog.New(logs)
	})
	start := time.Now()
	_, err := tc.ReadOrg(context.Background(), managed)
	took := time.Since(start)
	if took > deadline+500*time.Millisecond {
		t.Errorf("the read took %s, want about the %s deadline", took, deadline)
	}
	attempts := regexp.MustCompile(`^buildkite: read (teams|invitations \(page 1\)): (TeamsBatch|OrgInvitations): timed out: no complete answer in time ` +
		`\(each attempt may take 100ms, the request 300ms\) \(gave up after [2-4] attempts\)$`)
	if !attempts.MatchString(errText(err)) {
		t.Errorf("error %q, want a timeout after several attempts", errText(err))
	}
	var e *httpx.Error
	if !errors.As(err, &e) || !e.Timeout() {
		t.Errorf("error %#v, want an *httpx.Error that is a timeout", err)
	}

	sent := srv.Stats().Requests
	start = time.Now()
	_, err = tc.LookupMembers(context.Background(), []string{"alice@acme.com"})
	if took := time.Since(start); took > 150*time.Millisecond {
		t.Errorf("the next request took %s, want it refused at once", took)
	}
	if want := "buildkite: look up organization members: batch 1 of 1: MembersByEmail: not sent: buildkite stopped answering earlier in this run (timeout)"; errText(err) != want {
		t.Errorf("next request: %q, want %q", errText(err), want)
	}
	if got := srv.Stats().Requests; got != sent {
		t.Errorf("the next request reached the simulator (%d requests, was %d)", got, sent)
	}

	retries := logs.withMessage("retrying request")
	if len(retries) == 0 {
		t.Fatal("no retry was logged")
	}
	for _, r := range retries {
		if r["api"] != "buildkite" || (r["operation"] != "TeamsBatch" && r["operation"] != "OrgInvitations") ||
			!regexp.MustCompile(`^[2-4]/11$`).MatchString(r["attempt"]) || r["reason"] != httpx.ReasonTimeout || r["wait"] != "10ms" {
			t.Errorf("retry logged as %v, want api, operation, attempt n/11, reason timeout and wait 10ms", r)
		}
	}
}
