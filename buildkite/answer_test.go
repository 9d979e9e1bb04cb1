package buildkite

import (
	"context"
	"errors"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/httpx"
)

const (
	busyBody  = `{"data":{"organization":null},"errors":[{"message":"Buildkite is currently busy, please try again.","path":["organization"]}]}`
	htmlBody  = "<html><body><h1>502 Bad Gateway</h1><p>nginx " + testToken + "</p></body></html>"
	limitBody = `{"errors":[{"message":"Your organization has exceeded the limit of 20000 complexity points. Please try again in 7 seconds."}]}`
	authBody  = `{"errors":[{"message":"Authentication required. Please supply a valid API Access Token"}]}`
)

// query runs one OrgMembers page, the stand-in for every read.
func query(ctx context.Context, c *Client) error {
	var out struct{}
	_, err := c.run(ctx, opOrgMembers, map[string]any{"org": "acme", "first": 1}, &out)
	return err
}

// mutation is a write whose failures the tests below keep to those that
// prove it did not run, so it is never read back.
func mutation(ctx context.Context, c *Client) error { return c.RemoveTeamMember(ctx, "tm-1") }

const deleteOK = `{"data":{"teamMemberDelete":{"deletedTeamMemberID":"tm-1"}}}`

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestClassifyAnswers drives the client against scripted answers: which
// are retried, after what wait, and what the final error says.
func TestClassifyAnswers(t *testing.T) {
	s := func(secs ...int) []time.Duration {
		var out []time.Duration
		for _, n := range secs {
			out = append(out, time.Duration(n)*time.Second)
		}
		return out
	}
	tests := []struct {
		name         string
		call         func(context.Context, *Client) error
		maxWait      time.Duration
		replies      []reply
		wantErr      string
		wantRequests int
		wantSleeps   []time.Duration
	}{
		{"query: 500 then success", query, 0,
			[]reply{{status: 500}, {body: okBody}}, "", 2, s(1)},
		{"query: 500 until retries run out", query, 0,
			[]reply{{status: 500}}, "OrgMembers: HTTP 500: Internal Server Error (gave up after 4 attempts)", 4, s(1, 2, 3)},
		{"mutation: 429 waits RateLimit-Reset", mutation, 0,
			[]reply{{status: 429, body: limitBody, header: map[string]string{"RateLimit-Reset": "7", "RateLimit-Remaining": "-14", "Retry-After": "99"}}, {body: deleteOK}}, "", 2, s(7)},
		{"query: 429 falls back to Retry-After", query, 0,
			[]reply{{status: 429, header: map[string]string{"Retry-After": "4"}}, {body: okBody}}, "", 2, s(4)},
		{"query: 429 without headers backs off", query, 0,
			[]reply{{status: 429}, {body: okBody}}, "", 2, s(1)},
		{"query: 503 honours Retry-After", query, 0,
			[]reply{{status: 503, header: map[string]string{"Retry-After": "9"}}, {body: okBody}}, "", 2, s(9)},
		{"query: 429 beyond MaxWait fails at once", query, time.Minute,
			[]reply{{status: 429, body: limitBody, header: map[string]string{"RateLimit-Reset": "187"}}},
			"OrgMembers: HTTP 429: Your organization has exceeded the limit of 20000 complexity points. Please try again in 7 seconds.; " +
				"not retried: waiting 3m7s more would pass the 1m0s allowed for rate-limit waits (waited 0s)",
			1, nil},
		{"query: rate-limit waits add up to MaxWait", query, 50 * time.Second,
			[]reply{{status: 429, header: map[string]string{"RateLimit-Reset": "30"}}},
			"OrgMembers: HTTP 429: Too Many Requests; not retried: waiting 30s more would pass the 50s allowed for rate-limit waits (waited 30s) (gave up after 2 attempts)",
			2, s(30)},
		{"mutation: busy 200 body is retried", mutation, 0,
			[]reply{{body: busyBody}, {body: deleteOK}}, "", 2, s(1)},
		{"mutation: busy until retries run out", mutation, 0,
			[]reply{{body: busyBody}}, "buildkite: teamMemberDelete: graphql: Buildkite is currently busy, please try again. (gave up after 4 attempts)", 4, s(1, 2, 3)},
		{"mutation: busy then 401 reports the 401, not the stale busy error", mutation, 0,
			[]reply{{body: busyBody}, {status: 401, body: authBody}},
			"buildkite: teamMemberDelete: HTTP 401: Authentication required. Please supply a valid API Access Token (gave up after 2 attempts)", 2, s(1)},
		{"query: 502 HTML body becomes a clean error", query, 0,
			[]reply{{status: 502, body: htmlBody, header: map[string]string{"Content-Type": "text/html"}}},
			"OrgMembers: HTTP 502: Bad Gateway (gave up after 4 attempts)", 4, s(1, 2, 3)},
		{"query: 401 is final and keeps Buildkite's message", query, 0,
			[]reply{{status: 401, body: authBody}},
			"OrgMembers: HTTP 401: Authentication required. Please supply a valid API Access Token", 1, nil},
		{"query: complexity error in a 200 is not retried", query, 0,
			[]reply{{body: `{"errors":[{"message":"Query has complexity of 251503, which exceeds max complexity of 50000"}]}`}},
			"graphql: Query has complexity of 251503, which exceeds max complexity of 50000", 1, nil},
		{"query: a 200 that is not a GraphQL answer is retried", query, 0,
			[]reply{{body: `[]`}, {body: okBody}}, "", 2, s(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := startScripted(t, tt.replies...)
			tc := newTestClient(t, ts.URL, func(c *Config) {
				if tt.maxWait > 0 {
					c.MaxWait = tt.maxWait
				}
			})
			err := tt.call(context.Background(), tc.Client)
			if got := errText(err); got != tt.wantErr {
				t.Errorf("error = %q\nwant    %q", got, tt.wantErr)
			}
			if got := srv.requests(); got != tt.wantRequests {
				t.Errorf("requests = %d, want %d", got, tt.wantRequests)
			}
			if got := tc.sleeps.got(); !reflect.DeepEqual(got, tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", got, tt.wantSleeps)
			}
			for i, b := range srv.bodies {
				if b != srv.bodies[0] {
					t.Errorf("request %d body differs from the first:\n%s\n%s", i, b, srv.bodies[0])
				}
			}
			if strings.Contains(errText(err), testToken) || strings.Contains(tc.logs.String(), testToken) {
				t.Errorf("token leaked: error %q, logs %q", errText(err), tc.logs.String())
			}
		})
	}
}

// TestTypedErrors: the edge's error carries Buildkite's, and says how the
// request ended.
func TestTypedErrors(t *testing.T) {
	_, ts := startScripted(t, reply{status: 429, body: limitBody, header: map[string]string{"RateLimit-Reset": "600"}})
	tc := newTestClient(t, ts.URL, func(c *Config) { c.MaxWait = time.Minute })
	err := mutation(context.Background(), tc.Client)
	var e *httpx.Error
	if !errors.As(err, &e) || e.Reason != httpx.ReasonRateLimit || e.Operation != "teamMemberDelete" || e.Attempts != 1 || e.MayHaveRun {
		t.Fatalf("err = %#v, want an *httpx.Error: one 429 attempt of teamMemberDelete that did not run", err)
	}
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 429 {
		t.Fatalf("err = %v, want it to wrap an *HTTPError with status 429", err)
	}
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestQueryTransportErrors: a read is sent again after any failure to
// talk to the server. (Writes: TestWriteTransportErrors.)
func TestQueryTransportErrors(t *testing.T) {
	for _, fail := range []error{
		&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")},
		&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")},
	} {
		t.Run(fail.Error(), func(t *testing.T) {
			_, ts := startScripted(t, reply{body: okBody})
			attempts := 0
			tc := newTestClient(t, ts.URL, func(c *Config) {
				c.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					attempts++
					if attempts == 1 {
						return nil, fail
					}
					return http.DefaultTransport.RoundTrip(r)
				})}
			})
			if err := query(context.Background(), tc.Client); err != nil {
				t.Fatal(err)
			}
			if attempts != 2 {
				t.Errorf("attempts = %d, want 2", attempts)
			}
		})
	}
}

// TestRetryWaitHonoursContext uses the real wait: cancelling the context
// while a 429 asks for a minute ends the call at once.
func TestRetryWaitHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, ts := startScripted(t, reply{status: 429, header: map[string]string{"RateLimit-Reset": "60"}})
	srv.hook = func(int, *http.Request) { cancel() }
	tc := newTestClient(t, ts.URL, func(c *Config) { c.Sleep = nil })
	err := query(ctx, tc.Client)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if srv.requests() != 1 {
		t.Fatalf("requests = %d, want 1", srv.requests())
	}
}

// TestAttemptTimeout: AttemptTimeout bounds each attempt, and a query
// that timed out is sent again.
func TestAttemptTimeout(t *testing.T) {
	srv, ts := startScripted(t, reply{body: okBody})
	srv.hook = func(i int, r *http.Request) {
		if i == 0 {
			<-r.Context().Done()
		}
	}
	tc := newTestClient(t, ts.URL, func(c *Config) { c.AttemptTimeout = 50 * time.Millisecond })
	if err := query(context.Background(), tc.Client); err != nil {
		t.Fatal(err)
	}
	if srv.requests() != 2 {
		t.Fatalf("requests = %d, want 2", srv.requests())
	}
}

// TestNewRejectsHTTPClientTimeout: a Timeout on HTTPClient would be
// silently ignored, so it is refused.
func TestNewRejectsHTTPClientTimeout(t *testing.T) {
	_, err := New(Config{Organization: "acme", Token: testToken, HTTPClient: &http.Client{Timeout: time.Second}})
	if got, want := errText(err), "buildkite: HTTPClient.Timeout is not used: set AttemptTimeout and Deadline"; got != want {
		t.Errorf("New = %q, want %q", got, want)
	}
}

// TestNewChecksURL: the token may travel only to https or a loopback host.
func TestNewChecksURL(t *testing.T) {
	for _, u := range []string{"http://graphql.buildkite.com/v1", "ftp://x/v1", "https://user:pw@graphql.buildkite.com/v1"} {
		_, err := New(Config{Organization: "acme", Token: testToken, URL: u})
		if err == nil || strings.Contains(errText(err), "pw") {
			t.Errorf("New(URL %q) = %v, want an error that does not repeat the URL", u, err)
		}
	}
}

func TestHeaders(t *testing.T) {
	srv, ts := startScripted(t, reply{body: okBody})
	tc := newTestClient(t, ts.URL, nil)
	if err := query(context.Background(), tc.Client); err != nil {
		t.Fatal(err)
	}
	h := srv.headers[0]
	if got := h.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got)
	}
	if got := h.Get("User-Agent"); got != "teamsync/test" {
		t.Errorf("User-Agent = %q", got)
	}
	if got := h.Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
}

func TestRateLimitWait(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"org window", map[string]string{"RateLimit-Reset": "36", "RateLimit-Remaining": "-14"}, 36 * time.Second},
		{"user window exhausted, org not", map[string]string{"RateLimit-Reset": "250", "RateLimit-Remaining": "100", "RateLimit-User-Reset": "10", "RateLimit-User-Remaining": "0"}, 10 * time.Second},
		{"both exhausted: the longer", map[string]string{"RateLimit-Reset": "20", "RateLimit-Remaining": "0", "RateLimit-User-Reset": "90", "RateLimit-User-Remaining": "-1"}, 90 * time.Second},
		{"neither says exhausted: the longer", map[string]string{"RateLimit-Reset": "20", "RateLimit-Remaining": "5", "RateLimit-User-Reset": "30", "RateLimit-User-Remaining": "5"}, 30 * time.Second},
		{"reset without remaining", map[string]string{"RateLimit-Reset": "12"}, 12 * time.Second},
		{"reset 0 still waits a second", map[string]string{"RateLimit-Reset": "0"}, time.Second},
		{"Retry-After", map[string]string{"Retry-After": "5"}, 5 * time.Second},
		{"garbage", map[string]string{"RateLimit-Reset": "soon", "Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0},
		{"nothing", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			if got := rateLimitWait(h); got != tt.want {
				t.Errorf("rateLimitWait = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestStatusMessage(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"graphql errors", 401, `{"errors":[{"message":"first"},{"message":"second"}]}`, "first"},
		{"rest message", 403, `{"message":"Forbidden for you"}`, "Forbidden for you"},
		{"html", 502, "<html>oops</html>", "Bad Gateway"},
		{"empty", 504, "", "Gateway Timeout"},
		{"unknown status", 599, "", "unexpected status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusMessage(tt.status, []byte(tt.body)); got != tt.want {
				t.Errorf("statusMessage = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRetryWaitBeyondDeadline: a wait the context's deadline cannot
// accommodate fails at once instead of sleeping into the deadline.
func TestRetryWaitBeyondDeadline(t *testing.T) {
	srv, ts := startScripted(t, reply{status: 429, header: map[string]string{"RateLimit-Reset": "7200"}})
	tc := newTestClient(t, ts.URL, func(c *Config) { c.MaxWait = 24 * time.Hour })
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	err := mutation(ctx, tc.Client)
	want := "buildkite: teamMemberDelete: HTTP 429: Too Many Requests; not retried: waiting 2h0m0s more would pass the caller's deadline"
	if got := errText(err); got != want {
		t.Fatalf("err = %q, want %q", got, want)
	}
	if len(tc.sleeps.got()) != 0 || srv.requests() != 1 {
		t.Fatalf("slept %v and sent %d requests, want no sleep and 1 request", tc.sleeps.got(), srv.requests())
	}
}
