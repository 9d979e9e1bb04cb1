package bench

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite"
	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
	"github.com/teamsync/teamsync/providers/users"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/memory"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// Clock is the time of the Buildkite simulator, the client and the
// memory: only the client's rate-limit waits (and Advance) move it, so a
// run that waits out many windows takes no real time and its waits are
// exact.
type Clock struct {
	mu     sync.Mutex
	t      time.Time
	waited time.Duration
	waits  int
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on, as time passing between runs.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sleep is the client's wait: the clock moves on by d at once.
func (c *Clock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.waited += d
	c.waits++
	c.mu.Unlock()
	return ctx.Err()
}

// Waited is how long, and how many times, the clients have waited.
func (c *Clock) Waited() (time.Duration, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waited, c.waits
}

// Serve is `teamsync serve` over a World: every run builds the real
// clients afresh and reads Buildkite through one Memory, as the daemon's
// runs do (sync/daemon builds exactly this Runner), against simulators
// that keep the Buildkite budgets they are given.
type Serve struct {
	Buildkite *bksim.Server
	Okta      *oktasim.Server
	Mapping   *config.Mapping
	Memory    *memory.Memory
	Clock     *Clock
	log       *slog.Logger
}

// StartServe serves w. opts are the Buildkite simulator's (its budgets);
// its clock is the Serve's. Okta's rate limit is lifted: the IdP side is
// not what is measured.
func StartServe(tb testing.TB, w World, opts bksim.Options) *Serve {
	tb.Helper()
	clock := &Clock{t: time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)}
	opts.Now = clock.Now
	bk, ok, m := serveWorld(tb, w, opts)
	return &Serve{Buildkite: bk, Okta: ok, Mapping: m, Memory: memory.New(clock.Now), Clock: clock,
		log: slog.New(slog.DiscardHandler)}
}

// Run is one run of serve; full asks for a full read (POST /sync?full=true).
func (s *Serve) Run(tb testing.TB, full bool) *reconcile.Result {
	tb.Helper()
	res, err := s.Runner(full).Apply(context.Background(), s.Mapping, plan.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// Runner is the Runner of one run of serve, reading Buildkite through the
// Memory. A one-shot run (plan, apply) is the same Runner with no Memory.
func (s *Serve) Runner(full bool) *reconcile.Runner {
	return &reconcile.Runner{Logger: s.log, Memory: s.Memory, FullRead: full,
		Connect: func(ctx context.Context, m *config.Mapping) (*reconcile.Clients, error) {
			c, err := buildkite.New(buildkite.Config{URL: m.Buildkite.GraphQLURL, Organization: "acme", Token: bkToken,
				Logger: s.log, Now: s.Clock.Now, Sleep: s.Clock.sleep, MaxWait: time.Hour})
			if err != nil {
				return nil, err
			}
			src, err := okta.New(ctx, okta.Config{OrgURL: m.Okta.OrgURL, Token: oktaToken, Logger: s.log})
			if err != nil {
				return nil, err
			}
			return &reconcile.Clients{Buildkite: c, Providers: map[string]providers.Provider{
				providers.SourceOkta: src, providers.SourceUsers: users.New(),
			}}, nil
		}}
}
