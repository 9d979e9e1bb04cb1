package memory

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite"
	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
	"github.com/teamsync/teamsync/internal/testutil"
	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/users"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// clock is the time of the simulator, the client and the memory: only the
// test and the client's waits move it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	c.advance(d)
	return ctx.Err()
}

// seed is a converged organization: root is the token's user (the first
// admin); alice, an admin too, is the person who edits teams by hand.
func seed() bksim.State {
	return bksim.State{
		Organization: "acme",
		Members: []bksim.Member{
			{Email: "root@acme.com", Role: "admin"}, {Email: "alice@acme.com", Role: "admin"},
			{Email: "bob@acme.com"}, {Email: "carol@acme.com"}, {Email: "dave@acme.com"}, {Email: "erin@acme.com"},
		},
		Teams: []bksim.Team{
			{Slug: "web", Members: []bksim.TeamMember{{Email: "alice@acme.com", Role: "maintainer"}, {Email: "bob@acme.com"}}},
			{Slug: "api", Members: []bksim.TeamMember{{Email: "carol@acme.com"}, {Email: "dave@acme.com"}}},
			{Slug: "ops", Members: []bksim.TeamMember{{Email: "erin@acme.com"}}},
		},
	}
}

// mapping wants exactly what seed holds.
func mapping() *config.Mapping {
	team := func(slug string, groups ...config.Group) config.Team {
		return config.Team{Slug: slug, Name: slug, Privacy: config.PrivacySecret, Policy: model.PolicyAuthoritative, Groups: groups}
	}
	users := func(role model.Role, emails ...string) config.Group { return config.Group{Users: emails, Role: role} }
	return &config.Mapping{
		Buildkite: config.Buildkite{Organization: "acme"},
		Sync: config.Sync{Policy: model.PolicyAuthoritative, MissingUsers: config.MissingReport,
			MaxRemovals: 25, MaxRemovalPercent: 100, FullReadEvery: 24 * time.Hour},
		Teams: []config.Team{
			team("web", users(model.RoleMaintainer, "alice@acme.com"), users(model.RoleMember, "bob@acme.com")),
			team("api", users(model.RoleMember, "carol@acme.com", "dave@acme.com")),
			team("ops", users(model.RoleMember, "erin@acme.com")),
		},
	}
}

// rig is serve's runs against a simulator, on a fake clock: a Runner with
// a Memory, built afresh for every run as the daemon does.
type rig struct {
	t       *testing.T
	sim     *bksim.Server
	url     string
	clock   *clock
	mem     *Memory
	mapping *config.Mapping
	logs    *testutil.Buffer
	// wrap, when set, wraps each run's Buildkite client.
	wrap func(reconcile.Buildkite) reconcile.Buildkite
}

func newRig(t *testing.T, st bksim.State, opts bksim.Options) *rig {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	opts.Now = c.Now
	if opts.RateLimit == 0 {
		opts.RateLimit = 1 << 30
	}
	sim, srv := bksimtest.StartWith(t, st, opts)
	m := mapping()
	m.Buildkite.GraphQLURL = srv.URL
	return &rig{t: t, sim: sim, url: srv.URL, clock: c, mem: New(c.Now), mapping: m, logs: &testutil.Buffer{}}
}

func (r *rig) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// run is one scheduled run of serve; full asks for a full read.
func (r *rig) run(full bool) *reconcile.Result {
	r.t.Helper()
	res, err := r.runner(full).Apply(context.Background(), r.mapping, plan.Options{})
	if err != nil {
		r.t.Fatalf("run: %v\nlog:\n%s", err, r.logs.String())
	}
	return res
}

func (r *rig) runner(full bool) *reconcile.Runner {
	log := r.logger()
	return &reconcile.Runner{
		Logger: log, Memory: r.mem, FullRead: full,
		Connect: func(ctx context.Context, m *config.Mapping) (*reconcile.Clients, error) {
			c, err := buildkite.New(buildkite.Config{URL: m.Buildkite.GraphQLURL, Organization: "acme", Token: bksimtest.Token,
				MaxRetries: -1, Logger: log, Now: r.clock.Now, Sleep: r.clock.sleep})
			if err != nil {
				return nil, err
			}
			var bk reconcile.Buildkite = c
			if r.wrap != nil {
				bk = r.wrap(bk)
			}
			return &reconcile.Clients{Buildkite: bk, Providers: map[string]providers.Provider{providers.SourceUsers: users.New()}}, nil
		},
	}
}

// teams is the simulator's teams as "slug: email role, …", for comparing
// with the seed.
func teams(st bksim.State) map[string][]bksim.TeamMember {
	out := make(map[string][]bksim.TeamMember)
	for _, t := range st.Canonical().Teams {
		for _, m := range t.Members {
			out[t.Slug] = append(out[t.Slug], bksim.TeamMember{Email: m.Email, Role: m.Role})
		}
	}
	return out
}
