package httpx_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/httpx"
)

// stallFirst answers every request after the first n, which it holds until
// the client gives up.
func stallFirst(t *testing.T, n int32) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var seen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body, so the server notices when the client hangs up.
		_, _ = io.Copy(io.Discard, r.Body)
		if seen.Add(1) <= n {
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func send(t *testing.T, tr *httpx.Transport, method, url string) error {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// TestBreakerNotOpenedByAHeldBackWrite: a write whose one attempt timed out
// is not sent again, since it may have run, and that alone does not make
// the API unresponsive: the read that checks it is sent.
func TestBreakerNotOpenedByAHeldBackWrite(t *testing.T) {
	srv, seen := stallFirst(t, 1)
	tr := httpx.NewTransport(httpx.Policy{API: "test", AttemptTimeout: 50 * time.Millisecond})
	err := send(t, tr, http.MethodPost, srv.URL)
	var e *httpx.Error
	if !errors.As(err, &e) || e.Reason != httpx.ReasonTimeout || e.Attempts != 1 || !httpx.MayHaveRun(err) {
		t.Fatalf("write: %v, want one timed-out attempt that may have run", err)
	}
	if err := send(t, tr, http.MethodGet, srv.URL); err != nil {
		t.Fatalf("the read after it: %v, want it sent and answered", err)
	}
	if got := seen.Load(); got != 2 {
		t.Errorf("server saw %d requests, want 2", got)
	}
}

// TestBreakerOpenedByAnUnansweredRead: a read that got no answer in any
// attempt within its deadline opens the breaker; the next request fails
// without being sent.
func TestBreakerOpenedByAnUnansweredRead(t *testing.T) {
	srv, seen := stallFirst(t, 1000)
	tr := httpx.NewTransport(httpx.Policy{
		API: "test", AttemptTimeout: 50 * time.Millisecond, Deadline: 200 * time.Millisecond,
		Backoff: func(int) time.Duration { return time.Millisecond },
	})
	err := send(t, tr, http.MethodGet, srv.URL)
	var e *httpx.Error
	if !errors.As(err, &e) || e.Reason != httpx.ReasonTimeout || e.Attempts < 2 {
		t.Fatalf("read: %v, want several timed-out attempts", err)
	}
	before := seen.Load()
	start := time.Now()
	err = send(t, tr, http.MethodGet, srv.URL)
	if !errors.As(err, &e) || e.Reason != httpx.ReasonUnresponsive || time.Since(start) > 20*time.Millisecond {
		t.Fatalf("second read: %v after %s, want it refused at once", err, time.Since(start))
	}
	if seen.Load() != before {
		t.Errorf("the second read was sent")
	}
}

// TestGiveUpSaysWhy: a retry whose wait does not fit is not made, and the
// error says which bound it would have passed.
func TestGiveUpSaysWhy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name string
		wait time.Duration
		rate bool
		want string
	}{
		{"rate-limit wait", 10 * time.Minute, true, "HTTP 429; not retried: waiting 10m0s more would pass the 1m0s allowed for rate-limit waits (waited 0s)"},
		{"backoff beyond the deadline", 3 * time.Minute, false, "HTTP 429; not retried: waiting 3m0s more would pass the request's 2m0s deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := httpx.NewTransport(httpx.Policy{
				API: "test", MaxRateLimitWait: time.Minute,
				Classify: func(*http.Request, *http.Response, []byte) httpx.Verdict {
					return httpx.Verdict{Reason: httpx.ReasonRateLimit, Retry: true, NotRun: true, RateLimit: tt.rate, Wait: tt.wait, Err: errors.New("HTTP 429")}
				},
				Sleep: func(context.Context, time.Duration) error { t.Fatal("slept"); return nil },
			})
			err := send(t, tr, http.MethodGet, srv.URL+"/v1")
			if got := err.Error(); !strings.HasPrefix(got, "GET /v1: "+tt.want) {
				t.Errorf("error = %q\nwant it to start %q", got, "GET /v1: "+tt.want)
			}
		})
	}
}
