package buildkite

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/testutil"
)

const testToken = "test-token-3f9a"

// reply is one scripted HTTP answer.
type reply struct {
	status int
	header map[string]string
	body   string
}

// okBody is a successful OrgMembers page with one member.
const okBody = `{"data":{"organization":{"id":"org-1","members":{"pageInfo":{"hasNextPage":false,"endCursor":null},"edges":[{"node":{"id":"om-1","role":"MEMBER","createdAt":"2025-01-01T00:00:00.000Z","user":{"id":"u-1","email":"A@x.com","name":"A","bot":false}}}]}}}}`

// scripted answers requests with its replies in order, repeating the last,
// and records what it was sent.
type scripted struct {
	mu      sync.Mutex
	replies []reply
	bodies  []string
	headers []http.Header
	// hook, when set, runs before answering request i (0-based).
	hook func(i int, r *http.Request)
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := len(s.bodies)
	s.bodies = append(s.bodies, string(body))
	s.headers = append(s.headers, r.Header.Clone())
	rep := s.replies[min(i, len(s.replies)-1)]
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		hook(i, r)
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.header["Content-Type"] == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(orDefault(rep.status, http.StatusOK))
	io.WriteString(w, rep.body)
}

func (s *scripted) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

// sleeps records the waits a client asked for instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// testClient is a Client for url whose waits are recorded and whose
// backoff is exact: retry n waits n+1 seconds. Its log goes to logs.
type testClient struct {
	*Client
	sleeps *sleeps
	logs   *testutil.Buffer
}

func newTestClient(t *testing.T, url string, mod func(*Config)) *testClient {
	t.Helper()
	tc := &testClient{sleeps: &sleeps{}, logs: &testutil.Buffer{}}
	cfg := Config{
		URL:          url,
		Organization: "acme",
		Token:        testToken,
		UserAgent:    "teamsync/test",
		Logger:       slog.New(slog.NewTextHandler(tc.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MaxRetries:   3,
		MaxWait:      time.Hour,
		Sleep:        tc.sleeps.sleep,
		backoff:      func(n int) time.Duration { return time.Duration(n+1) * time.Second },
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc.Client = c
	return tc
}

func startScripted(t *testing.T, replies ...reply) (*scripted, *httptest.Server) {
	t.Helper()
	s := &scripted{replies: replies}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}
