package reconcile

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
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
	grantsNow, grantsWas := plan.Grants(m, reads, opts.Now), plan.Grants(base, reads, opts.Now)
	// Offboarding is judged for everyone when the change alters how it
	// judges, else only for the people whose grants it alters: someone a
	// change stops granting may leave the organization with it.
	var only []string
	offboards := offboardingChanged(base, m)
	if !offboards && (m.Offboarding != nil || base.Offboarding != nil) {
		only = flipped(grantsWas, grantsNow)
		offboards = len(only) > 0
	}
	if len(affected) == 0 && !offboards {
		res.Plan = &plan.Plan{Version: plan.Version, Organization: m.Buildkite.Organization}
		return res, nil, nil
	}
	org, err := clients.Buildkite.ReadOrg(ctx, affected)
	if err != nil {
		return res, affected, fmt.Errorf("read buildkite organization %q: %w", m.Buildkite.Organization, err)
	}
	res.Read.TeamsRead = len(affected)
	now := &config.Mapping{Buildkite: m.Buildkite, Sync: m.Sync, Okta: m.Okta, Google: m.Google}
	if len(affected) > 0 {
		if now, err = m.Select(affected); err != nil {
			return res, affected, err
		}
	}
	wasOpts := opts
	if offboards {
		// The change alters who offboarding judges or how: both sides
		// are judged against one read of the organization's members.
		opts.People, wasOpts.People = r.judgeBoth(ctx, m, base, clients, org, only)
		opts.People.Grants, wasOpts.People.Grants = &grantsNow, &grantsWas
		res.People = opts.People
		now.Offboarding = m.Offboarding
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
	was.Offboarding = nil
	if offboards {
		was.Offboarding = base.Offboarding
	}
	p := plan.Build(now, reads, org, opts)
	plan.Scope(p, plan.Build(was, reads, org, wasOpts))
	res.Plan, res.Org = p, org
	return res, affected, nil
}

// offboardingChanged reports whether the change from base to m alters
// what offboarding does: its section, or the protected users and email
// rewrites it judges by. How often serve offboards does not count.
func offboardingChanged(base, m *config.Mapping) bool {
	if base.Offboarding == nil && m.Offboarding == nil {
		return false
	}
	type judging struct {
		off       config.Offboarding
		protected []string
		domains   map[string]string
	}
	of := func(c *config.Mapping) judging {
		j := judging{protected: c.Sync.ProtectedUsers, domains: c.Sync.EmailDomains}
		if c.Offboarding != nil {
			j.off = *c.Offboarding
			j.off.Line, j.off.Every = 0, 0
		}
		return j
	}
	return !reflect.DeepEqual(of(base), of(m))
}

// judgeBoth reads every organization member once and looks people up for
// each mapping that has offboarding, for a plan against a base mapping:
// everyone judged, or (only not nil) only those people. The members are
// added to org, as a run's are.
func (r *Runner) judgeBoth(ctx context.Context, m, base *config.Mapping, c *Clients, org *model.Org, only []string) (now, was *plan.PeopleRead) {
	people, err := c.Buildkite.ReadPeople(ctx)
	if err != nil {
		err = fmt.Errorf("read members of buildkite organization %q: %w", m.Buildkite.Organization, err)
		return &plan.PeopleRead{Err: err}, &plan.PeopleRead{Err: err}
	}
	withPeople(org, people)
	judge := func(mm *config.Mapping) *plan.PeopleRead {
		read := &plan.PeopleRead{People: people, Only: only}
		if mm.Offboarding != nil {
			read.Lookups = r.lookUp(ctx, mm, c, read, org.Invitations)
		}
		return read
	}
	return judge(m), judge(base)
}

// flipped lists, sorted, the people one of the two grant sets grants a
// team and the other none: whom a change starts or stops granting.
func flipped(was, now plan.Granted) []string {
	var out []string
	for e := range now.Teams {
		if _, ok := was.Teams[e]; !ok {
			out = append(out, e)
		}
	}
	for e := range was.Teams {
		if _, ok := now.Teams[e]; !ok {
			out = append(out, e)
		}
	}
	slices.Sort(out)
	return out
}
