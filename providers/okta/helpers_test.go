package okta_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/testutil"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// testToken is the SSWS token the simulator accepts in these tests.
const testToken = "00sswsTESTtokenDoNotLeak-1234567890"

// clock is a fake clock shared by the simulator and the source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// sleeper is an injected Sleep: it records each wait and advances the
// clock by it instead of sleeping.
type sleeper struct {
	clock *clock
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.clock != nil {
		s.clock.Advance(d)
	}
	return nil
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// env is one simulator and what a source needs to talk to it.
type env struct {
	sim   *oktasim.Server
	srv   *httptest.Server
	clock *clock
	sleep *sleeper
	logs  *testutil.Buffer
}

// newEnv starts a simulator serving st. opts.Now is set to the shared
// clock; opts.Token defaults to testToken.
func newEnv(t testing.TB, st oktasim.State, opts oktasim.Options) *env {
	t.Helper()
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	if opts.Token == "" && opts.ClientID == "" {
		opts.Token = testToken
	}
	sim := oktasim.New(st, opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &env{sim: sim, srv: srv, clock: c, sleep: &sleeper{clock: c}, logs: &testutil.Buffer{}}
}

// config is a source config for the simulator, with the fake clock and
// sleeper and a debug logger into e.logs.
func (e *env) config() okta.Config {
	return okta.Config{
		OrgURL: e.srv.URL,
		Token:  testToken,
		Sleep:  e.sleep.Sleep,
		Now:    e.clock.Now,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// freshConns is config with a base transport that opens a connection per
// request: net/http replays an idempotent request whose reused connection
// drops, which would hide a dropped connection from the retry layer.
func (e *env) freshConns() okta.Config {
	cfg := e.config()
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	return cfg
}

func (e *env) source(t testing.TB, cfg okta.Config) providers.Provider {
	t.Helper()
	p, err := okta.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("okta.New: %v", err)
	}
	return p
}

func ref(name string) providers.GroupRef {
	return providers.GroupRef{Source: providers.SourceOkta, Name: name}
}

// people returns n active users user0000@domain, ….
func people(n int, domain string) []oktasim.User {
	out := make([]oktasim.User, n)
	for i := range out {
		out[i] = oktasim.User{Email: fmt.Sprintf("user%04d@%s", i, domain)}
	}
	return out
}

func emails(ms []providers.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Email
	}
	return out
}

func oneGroup(name string, users []oktasim.User) oktasim.State {
	return oktasim.State{Groups: []oktasim.Group{{Name: name, Users: users}}}
}

func usersPath(t testing.TB, e *env, group string) string {
	t.Helper()
	id, ok := e.sim.GroupID(group)
	if !ok {
		t.Fatalf("no group %q in the simulator", group)
	}
	return "/api/v1/groups/" + id + "/users"
}

// sameMember compares members field by field: Member holds a slice, so
// it is not comparable with ==.
func sameMember(a, b providers.Member) bool {
	return a.Email == b.Email && a.Status == b.Status && a.Active == b.Active && slices.Equal(a.Via, b.Via)
}
