package reconcile

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/plan"
)

// ReadBase is the read mode of a plan against a base mapping: Buildkite
// was read only for the teams whose desired state the diff changes.
const ReadBase = "base"

// PlanBase plans m against a base mapping, the one before a change to it
// (plan --base). It reads every group of both mappings once, works out
// which teams of m the change gives another desired state, and reads
// Buildkite for those teams only; the plan holds their changes, each
// scoped plan.ScopeChange (the diff makes it) or plan.ScopePending (apply
// would make it under base too). Affected lists those teams; when it is
// empty nothing was read of Buildkite and the plan is empty. Like Plan,
// nothing is written.
func (r *Runner) PlanBase(ctx context.Context, m, base *config.Mapping, opts plan.Options) (res *Result, affected []string, err error) {
	start := time.Now()
	opts = withNow(opts, start)
	res = &Result{Read: ReadReport{Mode: ReadBase}}
	clients, err := r.Connect(ctx, m)
	if err != nil {
		return res, nil, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		res.Duration, res.Points = time.Since(start), clients.Buildkite.Points()
	}()
	refs := groupRefs(m, base)
	reads := r.readGroups(ctx, clients, refs)
	if err := ctx.Err(); err != nil {
		return res, nil, err
	}
	if err := rejected(m, refs, reads); err != nil {
		return res, nil, err
	}
	affected = plan.Affected(base, m, reads, opts.Now)
	if len(affected) == 0 {
		res.Plan = &plan.Plan{Version: plan.Version, Organization: m.Buildkite.Organization}
		return res, nil, nil
	}
	org, err := clients.Buildkite.ReadOrg(ctx, affected)
	if err != nil {
		return res, affected, fmt.Errorf("read buildkite organization %q: %w", m.Buildkite.Organization, err)
	}
	res.Read.TeamsRead = len(affected)
	now, err := m.Select(affected)
	if err != nil {
		return res, affected, err
	}
	if err := r.place(ctx, now, reads, org, clients.Buildkite, opts.Now); err != nil {
		return res, affected, err
	}
	was := &config.Mapping{Buildkite: base.Buildkite, Sync: base.Sync}
	var inBase []string
	for _, t := range base.Teams {
		if slices.Contains(affected, t.Slug) && !slices.Contains(inBase, t.Slug) {
			inBase = append(inBase, t.Slug)
		}
	}
	if len(inBase) > 0 {
		if was, err = base.Select(inBase); err != nil {
			return res, affected, err
		}
		if err := r.place(ctx, was, reads, org, clients.Buildkite, opts.Now); err != nil {
			return res, affected, err
		}
	}
	p := plan.Build(now, reads, org, opts)
	plan.Scope(p, plan.Build(was, reads, org, opts))
	res.Plan, res.Org = p, org
	return res, affected, nil
}
