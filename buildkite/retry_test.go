package buildkite

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	deleteOK  = `{"data":{"teamMemberDelete":{"deletedTeamMemberID":"tm-1"}}}`
	busyBody  = `{"data":{"teamMemberDelete":null},"errors":[{"message":"Buildkite is currently busy, please try again.","path":["teamMemberDelete"]}]}`
	htmlBody  = "<html><body><h1>502 Bad Gateway</h1><p>nginx " + testToken + "</p></body></html>"
	limitBody = `{"errors":[{"message":"Your organization has exceeded the limit of 20000 complexity points. Please try again in 7 seconds."}]}`
)

// query runs one OrgMembers page; mutation deletes a team member. They
// stand for the two retry policies.
func query(ctx context.Context, c *Client) error {
	var out struct{}
	_, err := c.run(ctx, opOrgMembers, map[string]any{"org": "acme", "first": 1}, &out)
	return err
}

func mutation(ctx context.Context, c *Client) error { return c.RemoveTeamMember(ctx, "tm-1") }

func TestRetry(t *testing.T) {
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
			[]reply{{status: 500}}, "HTTP 500: Internal Server Error", 4, s(1, 2, 3)},
		{"mutation: 500 is not retried", mutation, 0,
			[]reply{{status: 500}, {body: deleteOK}}, "buildkite: teamMemberDelete: HTTP 500: Internal Server Error", 1, nil},
		{"mutation: 502, 503, 504 are retried", mutation, 0,
			[]reply{{status: 502}, {status: 503}, {status: 504}, {body: deleteOK}}, "", 4, s(1, 2, 3)},
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
			"gave up: retrying would mean waiting 3m7s more (already waited 0s, limit 1m0s): HTTP 429: Your organization has exceeded the limit of 20000 complexity points. Please try again in 7 seconds.",
			1, nil},
		{"query: waits add up to MaxWait", query, 50 * time.Second,
			[]reply{{status: 429, header: map[string]string{"RateLimit-Reset": "30"}}},
			"gave up: retrying would mean waiting 30s more (already waited 30s, limit 50s): HTTP 429: Too Many Requests",
			2, s(30)},
		{"mutation: busy 200 body is retried", mutation, 0,
			[]reply{{body: busyBody}, {body: deleteOK}}, "", 2, s(1)},
		{"mutation: busy until retries run out", mutation, 0,
			[]reply{{body: busyBody}}, "buildkite: teamMemberDelete: graphql: Buildkite is currently busy, please try again.", 4, s(1, 2, 3)},
		{"mutation: busy then 401 reports the 401, not the stale busy error", mutation, 0,
			[]reply{{body: busyBody}, {status: 401, body: `{"errors":[{"message":"Authentication required. Please supply a valid API Access Token"}]}`}},
			"buildkite: teamMemberDelete: HTTP 401: Authentication required. Please supply a valid API Access Token", 2, s(1)},
		{"query: 502 HTML body becomes a clean error", query, 0,
			[]reply{{status: 502, body: htmlBody, header: map[string]string{"Content-Type": "text/html"}}},
			"HTTP 502: Bad Gateway", 4, s(1, 2, 3)},
		{"query: 401 is final and keeps Buildkite's message", query, 0,
			[]reply{{status: 401, body: `{"errors":[{"message":"Authentication required. Please supply a valid API Access Token"}]}`}},
			"HTTP 401: Authentication required. Please supply a valid API Access Token", 1, nil},
		{"query: complexity error in a 200 is not retried", query, 0,
			[]reply{{body: `{"errors":[{"message":"Query has complexity of 251503, which exceeds max complexity of 50000"}]}`}},
			"graphql: Query has complexity of 251503, which exceeds max complexity of 50000", 1, nil},
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

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestTypedErrors(t *testing.T) {
	_, ts := startScripted(t, reply{status: 429, body: limitBody, header: map[string]string{"RateLimit-Reset": "600"}})
	tc := newTestClient(t, ts.URL, func(c *Config) { c.MaxWait = time.Minute })
	err := mutation(context.Background(), tc.Client)
	var mw *MaxWaitError
	if !errors.As(err, &mw) || mw.Wait != 10*time.Minute || mw.MaxWait != time.Minute {
		t.Fatalf("err = %#v, want a *MaxWaitError asking for 10m within 1m", err)
	}
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 429 {
		t.Fatalf("err = %v, want it to wrap an *HTTPError with status 429", err)
	}
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRetryTransportErrors checks what a failure to talk to the server
// means for each kind of call: refused connections are retried for all,
// a connection lost after sending only for queries.
func TestRetryTransportErrors(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	lost := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	tests := []struct {
		name         string
		call         func(context.Context, *Client) error
		fail         error
		wantErr      string
		wantAttempts int
	}{
		{"mutation after connection refused", mutation, refused, "", 2},
		{"query after connection refused", query, refused, "", 2},
		{"query after connection reset", query, lost, "", 2},
		{"mutation after connection reset", mutation, lost, "buildkite: teamMemberDelete: read tcp: connection reset by peer", 1},
		{"mutation after a truncated response", mutation, io.ErrUnexpectedEOF, "buildkite: teamMemberDelete: unexpected EOF", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := startScripted(t, reply{body: deleteOK})
			attempts := 0
			tc := newTestClient(t, ts.URL, func(c *Config) {
				c.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					attempts++
					if attempts == 1 {
						return nil, tt.fail
					}
					return http.DefaultTransport.RoundTrip(r)
				})}
			})
			err := tt.call(context.Background(), tc.Client)
			if got := errText(err); got != tt.wantErr {
				t.Errorf("error = %q, want %q", got, tt.wantErr)
			}
			if attempts != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", attempts, tt.wantAttempts)
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

// TestAttemptTimeout: HTTPClient.Timeout bounds each attempt, and a query
// that timed out is sent again.
func TestAttemptTimeout(t *testing.T) {
	srv, ts := startScripted(t, reply{body: okBody})
	srv.hook = func(i int, r *http.Request) {
		if i == 0 {
			<-r.Context().Done()
		}
	}
	tc := newTestClient(t, ts.URL, func(c *Config) { c.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} })
	if err := query(context.Background(), tc.Client); err != nil {
		t.Fatal(err)
	}
	if srv.requests() != 2 {
		t.Fatalf("requests = %d, want 2", srv.requests())
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
	long := strings.Repeat("x", 400)
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
		{"long message is cut", 500, `{"errors":[{"message":"` + long + `"}]}`, long[:maxMessageLen] + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusMessage(tt.status, []byte(tt.body)); got != tt.want {
				t.Errorf("statusMessage = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBackoffBounds(t *testing.T) {
	for retry := range 20 {
		d := min(backoffBase<<retry, backoffCap)
		for range 50 {
			got := jitteredBackoff(retry)
			if got < d/2 || got > d {
				t.Fatalf("jitteredBackoff(%d) = %s, want within [%s, %s]", retry, got, d/2, d)
			}
		}
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
	var mw *MaxWaitError
	if !errors.As(err, &mw) || mw.Wait != 2*time.Hour || mw.MaxWait > time.Hour || mw.MaxWait < 59*time.Minute {
		t.Fatalf("err = %v, want a *MaxWaitError for 2h within the hour left", err)
	}
	if len(tc.sleeps.got()) != 0 || srv.requests() != 1 {
		t.Fatalf("slept %v and sent %d requests, want no sleep and 1 request", tc.sleeps.got(), srv.requests())
	}
}

// TestRedirectNotFollowed: the token is added below the redirect logic, so
// following a redirect would carry it to another host; a 3xx is an error.
func TestRedirectNotFollowed(t *testing.T) {
	elsewhere, other := startScripted(t, reply{body: okBody})
	_, ts := startScripted(t, reply{status: http.StatusTemporaryRedirect, header: map[string]string{"Location": other.URL}})
	tc := newTestClient(t, ts.URL, nil)
	if got, want := errText(query(context.Background(), tc.Client)), "HTTP 307: Temporary Redirect"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if elsewhere.requests() != 0 {
		t.Errorf("the redirect target got %d requests", elsewhere.requests())
	}
}
