package httpx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// server is a loopback API whose handler a test sets, counting requests.
type server struct {
	*httptest.Server
	hits atomic.Int32
}

// newServer answers with h, declaring JSON unless h says otherwise.
func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// logs collects slog records.
type logs struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r)
	return nil
}
func (l *logs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logs) WithGroup(string) slog.Handler      { return l }

func (l *logs) attrs() []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]string
	for _, r := range l.recs {
		m := map[string]string{"msg": r.Message, "level": r.Level.String()}
		r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
		out = append(out, m)
	}
	return out
}

// quick is a policy with no real waiting.
func quick(l *logs) Policy {
	p := Policy{
		API:            "test",
		AttemptTimeout: 100 * time.Millisecond,
		Deadline:       2 * time.Second,
		MaxRetries:     3,
		Backoff:        func(int) time.Duration { return time.Millisecond },
	}
	if l != nil {
		p.Logger = slog.New(l)
	}
	return p
}

func send(t *testing.T, tr *Transport, method, url, body string) (*http.Response, string, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.Client().Do(req)
	if err != nil {
		return nil, "", err
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

func edgeError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *httpx.Error", err, err)
	}
	return e
}

func TestReadRetriedOn5xxThenAnswer(t *testing.T) {
	var l logs
	n := 0
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n++
		body, _ := io.ReadAll(r.Body)
		if string(body) != "q" {
			t.Errorf("attempt %d body %q, want the same body each time", n, body)
		}
		if n < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	p := quick(&l)
	p.Resendable = func(*http.Request) bool { return true }
	resp, body, err := send(t, NewTransport(p), "POST", s.URL+"/read", "q")
	if err != nil || resp.StatusCode != 200 || body != `{"ok":true}` {
		t.Fatalf("got %v %q %v", resp, body, err)
	}
	got := l.attrs()
	if len(got) != 2 {
		t.Fatalf("%d log lines, want one per retry: %v", len(got), got)
	}
	want := map[string]string{"msg": "retrying request", "level": "WARN", "api": "test", "operation": "POST /read",
		"attempt": "2/4", "reason": "5xx", "wait": "1ms", "error": "HTTP 502"}
	for k, v := range want {
		if got[0][k] != v {
			t.Errorf("log[0][%s] = %q, want %q", k, got[0][k], v)
		}
	}
	if got[1]["attempt"] != "3/4" {
		t.Errorf("second retry logged attempt %q, want 3/4", got[1]["attempt"])
	}
}

func TestFinal5xxGoesBackToTheSDK(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"error":"down"}`)
	})
	resp, body, err := send(t, NewTransport(quick(nil)), "GET", s.URL, "")
	if err != nil || resp.StatusCode != 503 || body != `{"error":"down"}` {
		t.Fatalf("got %v %q %v; want the API's last answer", resp, body, err)
	}
	if s.hits.Load() != 4 {
		t.Fatalf("%d attempts, want 4", s.hits.Load())
	}
}

func TestWriteNotResentAfterAmbiguousFailure(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	p := quick(nil)
	p.Classify = func(_ *http.Request, resp *http.Response, _ []byte) Verdict {
		if resp.StatusCode >= 500 {
			return Verdict{Reason: ReasonServer, Retry: true, Err: errors.New("HTTP 502: Bad Gateway")}
		}
		return Verdict{}
	}
	_, _, err := send(t, NewTransport(p), "POST", s.URL+"/write", "m")
	e := edgeError(t, err)
	if s.hits.Load() != 1 {
		t.Fatalf("%d attempts, want 1: a write that may have run is never sent again", s.hits.Load())
	}
	if !e.MayHaveRun || !MayHaveRun(err) {
		t.Fatalf("MayHaveRun = false, want true")
	}
	if want := "POST /write: HTTP 502: Bad Gateway; not sent again, since it may have run"; !strings.HasPrefix(e.Error(), want) {
		t.Fatalf("error %q, want prefix %q", e.Error(), want)
	}
}

func TestWriteResentWhenProvablyNotRun(t *testing.T) {
	n := 0
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, `{}`)
	})
	resp, _, err := send(t, NewTransport(quick(nil)), "POST", s.URL, "m")
	if err != nil || resp.StatusCode != 200 || n != 2 {
		t.Fatalf("got %v %v after %d attempts; a 429 did not run the write, so it is sent again", resp, err, n)
	}
}

func TestWriteResentAfterRefusedConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens: connections are refused
	p := quick(nil)
	_, _, err = send(t, NewTransport(p), "POST", "http://"+addr+"/w", "m")
	e := edgeError(t, err)
	if e.Attempts != 4 || e.Reason != ReasonConnection || e.MayHaveRun {
		t.Fatalf("attempts %d reason %q mayHaveRun %v, want 4, connection, false", e.Attempts, e.Reason, e.MayHaveRun)
	}
}

func TestHungAPIFailsWithinDeadlineAndBreaks(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	p := quick(nil)
	p.AttemptTimeout, p.Deadline, p.MaxRetries = 50*time.Millisecond, 180*time.Millisecond, 10
	tr := NewTransport(p)
	start := time.Now()
	_, _, err := send(t, tr, "GET", s.URL+"/groups", "")
	took := time.Since(start)
	e := edgeError(t, err)
	if e.Reason != ReasonTimeout || !e.Timeout() {
		t.Fatalf("reason %q, want timeout", e.Reason)
	}
	if took > time.Second {
		t.Fatalf("took %v, want about the 180ms deadline", took)
	}
	// Four attempts fit the deadline; on a loaded machine the fourth may
	// find no time left and not be sent.
	if !strings.HasPrefix(e.Error(), "GET /groups: timed out: no complete answer in time (each attempt may take 50ms, the request 180ms) (gave up after ") || e.Attempts < 3 || e.Attempts > 4 {
		t.Fatalf("error %q", e.Error())
	}
	before := s.hits.Load()
	_, _, err = send(t, tr, "GET", s.URL+"/other", "")
	e = edgeError(t, err)
	if e.Reason != ReasonUnresponsive || s.hits.Load() != before {
		t.Fatalf("second request: reason %q, %d new hits; want unresponsive and none sent", e.Reason, s.hits.Load()-before)
	}
	if want := "GET /other: not sent: test stopped answering earlier in this run (timeout)"; e.Error() != want {
		t.Fatalf("error %q, want %q", e.Error(), want)
	}
}

func TestAnAnsweringAPIKeepsTheBreakerClosed(t *testing.T) {
	// An API that answers, even with errors, is not unresponsive; two
	// failed requests in a row are fewer than BreakAfter.
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	tr := NewTransport(quick(nil))
	for i := 0; i < 2; i++ {
		resp, _, err := send(t, tr, "GET", s.URL, "")
		if err != nil || resp.StatusCode != 500 {
			t.Fatalf("request %d: %v %v", i, resp, err)
		}
	}
	if s.hits.Load() != 8 {
		t.Fatalf("%d hits, want 8", s.hits.Load())
	}
}

func TestRedirectRefusedAndNotFollowed(t *testing.T) {
	other := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal?x=1", http.StatusFound)
	})
	req, _ := http.NewRequest("GET", s.URL+"/a", nil)
	req.Header.Set("Authorization", "Bearer sekrit")
	_, err := NewTransport(quick(nil)).Client().Do(req)
	e := edgeError(t, err)
	if e.Reason != ReasonRedirect || other.hits.Load() != 0 || s.hits.Load() != 1 {
		t.Fatalf("reason %q, other host hit %d times, origin %d; want redirect, 0, 1", e.Reason, other.hits.Load(), s.hits.Load())
	}
	if want := "GET /a: HTTP 302 redirect to " + other.URL + "/steal refused: teamsync never follows an API's redirects, since credentials would travel with them"; !strings.HasPrefix(e.Error(), want) {
		t.Fatalf("error %q\nwant prefix %q", e.Error(), want)
	}
}

func TestEmptyAndNullAnswersAreMalformed(t *testing.T) {
	for _, body := range []string{"", "null", " null\n", "\n"} {
		t.Run(body, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) })
			_, _, err := send(t, NewTransport(quick(nil)), "GET", s.URL+"/page", "")
			e := edgeError(t, err)
			if e.Reason != ReasonMalformed || s.hits.Load() != 4 {
				t.Fatalf("reason %q after %d attempts, want malformed after 4", e.Reason, s.hits.Load())
			}
			if !strings.HasPrefix(e.Error(), "GET /page: HTTP 200 with an empty or null body (gave up after 4 attempts") {
				t.Fatalf("error %q", e.Error())
			}
		})
	}
	// No content is no answer either: no request teamsync makes is
	// answered that way.
	s204 := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	p := quick(nil)
	p.MaxRetries = -1
	if _, _, err := send(t, NewTransport(p), "GET", s204.URL+"/page", ""); edgeError(t, err).Reason != ReasonMalformed {
		t.Fatalf("a 204: %v, want malformed", err)
	}
	// A legitimate empty list is an answer.
	for _, c := range []struct {
		status int
		body   string
	}{{200, "[]"}, {200, "{}"}, {201, "{}"}} {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(c.status)
			_, _ = io.WriteString(w, c.body)
		})
		resp, body, err := send(t, NewTransport(quick(nil)), "GET", s.URL, "")
		if err != nil || resp.StatusCode != c.status || body != c.body {
			t.Fatalf("%d %q: got %v %q %v", c.status, c.body, resp, body, err)
		}
	}
}

func TestURLRuleOnEveryRequest(t *testing.T) {
	_, _, err := send(t, NewTransport(quick(nil)), "GET", "http://api.example.com/x", "")
	e := edgeError(t, err)
	if e.Reason != ReasonURL || e.Attempts != 0 {
		t.Fatalf("reason %q attempts %d", e.Reason, e.Attempts)
	}
	if want := "GET /x: not sent: http://api.example.com must use https (http is allowed only to a loopback host such as 127.0.0.1 or localhost)"; e.Error() != want {
		t.Fatalf("error %q, want %q", e.Error(), want)
	}
}

func TestRateLimitWaitsAreNotHeldAgainstTheDeadline(t *testing.T) {
	n := 0
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n++
		if n < 3 {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, "[]")
	})
	var slept []time.Duration
	p := quick(nil)
	p.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	resp, _, err := send(t, NewTransport(p), "GET", s.URL, "")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("got %v %v", resp, err)
	}
	if len(slept) != 2 || slept[0] != time.Minute || slept[1] != time.Minute {
		t.Fatalf("slept %v, want two 1m waits beyond the 2s deadline", slept)
	}
	// But not beyond MaxRateLimitWait.
	n, slept = 0, nil
	p.MaxRateLimitWait = 90 * time.Second
	resp, _, err = send(t, NewTransport(p), "GET", s.URL, "")
	if err != nil || resp.StatusCode != 429 || len(slept) != 1 {
		t.Fatalf("got %v %v, slept %v; want the 429 back after one wait", resp, err, slept)
	}
}

func TestContextCancelIsReturnedAsIs(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL, nil)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	p := quick(nil)
	p.AttemptTimeout = time.Minute
	_, err := NewTransport(p).RoundTrip(req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var e *Error
	if errors.As(err, &e) {
		t.Fatalf("a cancelled run is not an API failure: %v", err)
	}
}

func TestErrorsAreRedacted(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "null") })
	p := quick(nil)
	p.Secrets = NewSecrets("pathsecret")
	p.MaxRetries = -1
	_, _, err := send(t, NewTransport(p), "GET", s.URL+"/u/pathsecret", "")
	// http.Client quotes the URL around the edge's error; a client's
	// boundary passes every error through its Secrets.
	e := edgeError(t, err)
	if strings.Contains(e.Error(), "pathsecret") {
		t.Fatalf("the edge's error leaks a secret: %v", e)
	}
	if want := "GET /u/[redacted]: HTTP 200 with an empty or null body"; e.Error() != want {
		t.Fatalf("error %q, want %q", e.Error(), want)
	}
}

func TestBodyLimit(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(bytes.Repeat([]byte("a"), 2000)) })
	p := quick(nil)
	p.MaxBody, p.MaxRetries = 1000, -1
	_, _, err := send(t, NewTransport(p), "GET", s.URL, "")
	if e := edgeError(t, err); e.Reason != ReasonMalformed || !strings.Contains(e.Error(), "answer is larger than 1000 bytes") {
		t.Fatalf("err %v", err)
	}
}

func TestAnswersMustBeJSON(t *testing.T) {
	for _, c := range []struct {
		ct   string
		want string // "" = accepted
	}{
		{"application/json", ""},
		{"application/json; charset=UTF-8", ""},
		{"application/problem+json", ""},
		{"application/octet-stream", `GET /page: HTTP 200 with Content-Type "application/octet-stream", not JSON`},
		{"application/xml", `GET /page: HTTP 200 with Content-Type "application/xml", not JSON`},
		{"", `GET /page: HTTP 200 with Content-Type "", not JSON`},
	} {
		t.Run(c.ct, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = []string{c.ct}
				_, _ = io.WriteString(w, `[{"id":"1"}]`)
			})
			p := quick(nil)
			p.MaxRetries = -1
			_, body, err := send(t, NewTransport(p), "GET", s.URL+"/page", "")
			if c.want == "" {
				if err != nil || body != `[{"id":"1"}]` {
					t.Fatalf("got %q %v", body, err)
				}
				return
			}
			if e := edgeError(t, err); e.Reason != ReasonMalformed || e.Error() != c.want {
				t.Fatalf("error %q (%s), want %q", e.Error(), e.Reason, c.want)
			}
		})
	}
}

func TestOnlyConfiguredHosts(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{}`) })
	p := quick(nil)
	p.Hosts = []string{strings.TrimPrefix(s.URL, "http://")}
	tr := NewTransport(p)
	if _, _, err := send(t, tr, "GET", s.URL+"/a", ""); err != nil {
		t.Fatal(err)
	}
	// The same server by another name is another host.
	other := strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
	_, _, err := send(t, tr, "GET", other+"/a", "")
	e := edgeError(t, err)
	host := strings.TrimPrefix(other, "http://")
	if want := "GET /a: not sent: " + host + " is not a host teamsync was configured to send this API's credentials to"; e.Reason != ReasonURL || e.Error() != want {
		t.Fatalf("error %q, want %q", e.Error(), want)
	}
	if s.hits.Load() != 1 {
		t.Fatalf("%d requests reached the server, want 1", s.hits.Load())
	}
}

func TestBreakerOpensAfterFailuresInARow(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	p := quick(nil)
	p.MaxRetries = 1
	tr := NewTransport(p)
	for i := 0; i < 3; i++ {
		if resp, _, err := send(t, tr, "GET", s.URL+"/r", ""); err != nil || resp.StatusCode != 502 {
			t.Fatalf("request %d: %v %v, want the 502 back", i, resp, err)
		}
	}
	before := s.hits.Load()
	_, _, err := send(t, tr, "GET", s.URL+"/r", "")
	e := edgeError(t, err)
	if want := "GET /r: not sent: test failed 3 requests in a row earlier in this run (5xx)"; e.Reason != ReasonUnresponsive || e.Error() != want {
		t.Fatalf("error %q, want %q", e.Error(), want)
	}
	if s.hits.Load() != before {
		t.Fatal("a request was sent after the breaker opened")
	}
	// A success in between resets the count.
	n := 0
	s2 := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n++
		if n%3 == 0 {
			_, _ = io.WriteString(w, `{}`)
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	})
	p.MaxRetries = -1
	tr = NewTransport(p)
	for i := 0; i < 9; i++ {
		if _, _, err := send(t, tr, "GET", s2.URL, ""); err != nil {
			t.Fatalf("request %d: %v; two failures between successes must not open the breaker", i, err)
		}
	}
}

func TestWriteCutByTheCallersDeadlineMayHaveRun(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // only then does the server notice a client hanging up
		<-r.Context().Done()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/w", strings.NewReader("m"))
	p := quick(nil)
	p.AttemptTimeout = time.Minute
	_, err := NewTransport(p).RoundTrip(req)
	if !errors.Is(err, context.DeadlineExceeded) || !MayHaveRun(err) {
		t.Fatalf("err = %v (MayHaveRun %v); want the caller's deadline, with the write possibly run", err, MayHaveRun(err))
	}
	// A read cut short is just the caller's context.
	req, _ = http.NewRequestWithContext(ctx, "GET", s.URL+"/r", nil)
	if _, err := NewTransport(p).RoundTrip(req); err != context.DeadlineExceeded {
		t.Fatalf("read: err = %v, want context.DeadlineExceeded as it is", err)
	}
}
