// Package reconcile runs one reconcile: read the IdP groups and Buildkite,
// plan, and (for apply) write. It is the single RunOnce that the CLI's plan
// and apply and the daemon's schedule all call; the dry-run decision is made
// here once, by which method the caller picks.
package reconcile

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/apply"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// Buildkite is what a reconcile needs of the Buildkite client.
type Buildkite interface {
	// ReadOrg reads the managed teams, pending invitations and the members
	// those teams show.
	ReadOrg(ctx context.Context, teams []string) (*model.Org, error)
	// LookupMembers finds which of emails are organization members. A
	// failure is an error, never an empty answer.
	LookupMembers(ctx context.Context, emails []string) (map[string]model.Member, error)
	apply.Writer
}

// Clients are the API clients for one run, built from the mapping and the
// secrets as they are now.
type Clients struct {
	Buildkite Buildkite
	// Providers by source name (providers.SourceOkta, …). A source the
	// mapping does not use may be absent.
	Providers map[string]providers.Provider
}

// Connector builds the clients for a run. It is called at every run, so a
// rotated secret or an edited mapping takes effect without a restart.
type Connector func(ctx context.Context, m *config.Mapping) (*Clients, error)

// Runner runs reconciles.
type Runner struct {
	Connect Connector
	Logger  *slog.Logger
	// ReadConcurrency bounds parallel IdP group reads (default 4).
	ReadConcurrency int
	// OnChange is passed to the applier (audit log, metrics).
	OnChange func(plan.Change)
}

// Result is the outcome of one run.
type Result struct {
	// Plan is the plan; after Apply its changes carry their status.
	Plan     *plan.Plan
	Duration time.Duration
}

// Plan reads everything and returns the plan. It never constructs a writer
// call: nothing is written.
func (r *Runner) Plan(ctx context.Context, m *config.Mapping, opts plan.Options) (*Result, error) {
	start := time.Now()
	p, _, _, err := r.plan(ctx, m, opts)
	if err != nil {
		return nil, err
	}
	return &Result{Plan: p, Duration: time.Since(start)}, nil
}

// Apply plans and then applies what the guards allow.
func (r *Runner) Apply(ctx context.Context, m *config.Mapping, opts plan.Options) (*Result, error) {
	start := time.Now()
	p, org, clients, err := r.plan(ctx, m, opts)
	if err != nil {
		return nil, err
	}
	a := &apply.Applier{Writer: clients.Buildkite, Logger: r.logger(), OnChange: r.OnChange}
	done := a.Apply(ctx, org, p)
	return &Result{Plan: done, Duration: time.Since(start)}, nil
}

func (r *Runner) plan(ctx context.Context, m *config.Mapping, opts plan.Options) (*plan.Plan, *model.Org, *Clients, error) {
	clients, err := r.Connect(ctx, m)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("connect: %w", err)
	}
	reads, org, err := r.read(ctx, m, clients)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := r.place(ctx, m, reads, org, clients.Buildkite); err != nil {
		return nil, nil, nil, err
	}
	return plan.Build(m, reads, org, opts), org, clients, nil
}

// read fetches every distinct group once and the Buildkite snapshot, all at
// the same time. A failed group read is recorded in its GroupRead (the
// planner makes it "unknown"); a failed Buildkite read fails the run.
func (r *Runner) read(ctx context.Context, m *config.Mapping, c *Clients) (map[string]plan.GroupRead, *model.Org, error) {
	refs := groupRefs(m)
	reads := make(map[string]plan.GroupRead, len(refs))
	results := make([]plan.GroupRead, len(refs))
	var org *model.Org

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		slugs := make([]string, len(m.Teams))
		for i, t := range m.Teams {
			slugs[i] = t.Slug
		}
		var err error
		org, err = c.Buildkite.ReadOrg(gctx, slugs)
		if err != nil {
			return fmt.Errorf("read buildkite organization %q: %w", m.Buildkite.Organization, err)
		}
		return nil
	})
	// IdP reads share the group so that a failed Buildkite read cancels
	// them, but never fail it themselves: their errors are data.
	prepared := r.preparers(gctx, c, refs)
	sem := make(chan struct{}, r.concurrency())
	for i, ref := range refs {
		g.Go(func() error {
			if prepare := prepared[ref.ref.Source]; prepare != nil {
				prepare() // outside sem: other sources read meanwhile
			}
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = r.readGroup(gctx, c, ref.ref)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	for i, ref := range refs {
		reads[ref.key] = results[i]
	}
	return reads, org, nil
}

// place looks up the organization membership of the people the plan may
// add and org does not already show, and adds them to org.Members.
func (r *Runner) place(ctx context.Context, m *config.Mapping, reads map[string]plan.GroupRead, org *model.Org, bk Buildkite) error {
	emails := plan.PeopleToPlace(m, reads, org)
	if len(emails) == 0 {
		return nil
	}
	found, err := bk.LookupMembers(ctx, emails)
	if err != nil {
		noun := "emails"
		if len(emails) == 1 {
			noun = "email"
		}
		return fmt.Errorf("look up %d %s in buildkite organization %q: %w", len(emails), noun, m.Buildkite.Organization, err)
	}
	if org.Members == nil {
		org.Members = make(map[string]model.Member, len(found))
	}
	for k, v := range found {
		org.Members[k] = v
	}
	return nil
}

// preparers returns, for each source whose provider is a
// providers.Preparer, a function whose first call runs Prepare with every
// ref of that source and whose other calls wait for it. Prepare is
// advisory: a failure is logged and each read then proceeds on its own.
func (r *Runner) preparers(ctx context.Context, c *Clients, refs []keyedRef) map[string]func() {
	bySource := make(map[string][]providers.GroupRef)
	for _, k := range refs {
		bySource[k.ref.Source] = append(bySource[k.ref.Source], k.ref)
	}
	out := make(map[string]func(), len(bySource))
	for source, sourceRefs := range bySource {
		p, ok := c.Providers[source].(providers.Preparer)
		if !ok {
			continue
		}
		out[source] = sync.OnceFunc(func() {
			if err := prepare(ctx, p, sourceRefs); err != nil && ctx.Err() == nil {
				r.logger().Warn("preparing group reads failed; each group is read on its own", "source", source, "error", err)
			}
		})
	}
	return out
}

func (r *Runner) readGroup(ctx context.Context, c *Clients, ref providers.GroupRef) plan.GroupRead {
	p, ok := c.Providers[ref.Source]
	if !ok {
		return plan.GroupRead{Err: fmt.Errorf("no %s source is configured", ref.Source)}
	}
	members, err := members(ctx, p, ref)
	if err != nil {
		return plan.GroupRead{Err: err}
	}
	return plan.GroupRead{Members: members}
}

// members reads one group. A provider that panics (an SDK tripping over an
// answer it did not expect) fails that group's read, as any other failed
// read does, instead of the process: serve keeps running, and the planner
// treats the group as unknown.
func members(ctx context.Context, p providers.Provider, ref providers.GroupRef) (_ []providers.Member, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%s source panicked reading the group: %v", ref.Source, v)
		}
	}()
	return p.Members(ctx, ref)
}

// prepare runs p.Prepare, turning a panic into its error as members does.
func prepare(ctx context.Context, p providers.Preparer, refs []providers.GroupRef) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panicked: %v", v)
		}
	}()
	return p.Prepare(ctx, refs)
}

type keyedRef struct {
	key string
	ref providers.GroupRef
}

// groupRefs lists the distinct group reads a mapping needs, sorted by key.
func groupRefs(m *config.Mapping) []keyedRef {
	seen := make(map[string]bool)
	var out []keyedRef
	for _, t := range m.Teams {
		for _, g := range t.Groups {
			if k := g.Key(); !seen[k] {
				seen[k] = true
				out = append(out, keyedRef{key: k, ref: g.Ref()})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

func (r *Runner) concurrency() int {
	if r.ReadConcurrency > 0 {
		return r.ReadConcurrency
	}
	return 4
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}
