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
	BuildkiteReader
	// LookupMembers finds which of emails are organization members. A
	// failure is an error, never an empty answer.
	LookupMembers(ctx context.Context, emails []string) (map[string]model.Member, error)
	// ReadPeople reads every organization member and the token's own
	// user, for offboarding. A failure is an error, never a short list.
	ReadPeople(ctx context.Context) (*model.People, error)
	// LookupPeople reads the same of only the members among emails (bots
	// included), for a run that judges a few people.
	LookupPeople(ctx context.Context, emails []string) (*model.People, error)
	// Points is the complexity Buildkite has charged the client's
	// requests so far: what the run spent of its rate-limit windows.
	Points() int
	apply.Writer
	apply.Pacer
}

// BuildkiteReader is how a run reads Buildkite: all of the managed teams
// (ReadOrg), or, for a Memory, only what may have changed since the last
// run, found from the audit log or from the teams' fingerprints.
type BuildkiteReader interface {
	// ReadOrg reads the managed teams, pending invitations and the members
	// those teams show.
	ReadOrg(ctx context.Context, teams []string) (*model.Org, error)
	// ReadTeams reads some teams with all their members: a team that does
	// not exist is absent, one whose read failed is in errs.
	ReadTeams(ctx context.Context, teams []string) (read map[string]model.Team, errs map[string]error, err error)
	// ReadInvitations reads the organization's ID and pending invitations.
	ReadInvitations(ctx context.Context) (orgID string, invitations map[string]model.Invitation, err error)
	// Fingerprints reads each team's model.Fingerprint; a team that does
	// not exist has one without a TeamID.
	Fingerprints(ctx context.Context, teams []string) (fps map[string]model.Fingerprint, errs map[string]error, err error)
	// AuditEvents reads the audit log's team, membership, member and
	// invitation events since since (all when zero), newest first; an
	// organization or token without the audit log gives an error that
	// wraps model.ErrRefused.
	AuditEvents(ctx context.Context, since time.Time) ([]model.AuditEvent, error)
	// NewestAuditEvent reads the newest of those events, nil when none.
	NewestAuditEvent(ctx context.Context) (*model.AuditEvent, error)
}

// sampleSize is how many members a run that judges a few people also asks
// the offboarding source about: with the one person, one Okta search.
const sampleSize = 19

// Read modes: how a run read Buildkite.
const (
	// ReadFull read every managed team.
	ReadFull = "full"
	// ReadAudit re-read only the teams the audit log showed may have
	// changed since the last run.
	ReadAudit = "audit"
	// ReadFingerprint re-read only the teams whose fingerprint differed
	// from what the last run left.
	ReadFingerprint = "fingerprint"
)

// Memory is what serve keeps of Buildkite between runs, above the clients
// that each run builds afresh. A Runner without one reads every managed
// team in full at every run, as plan and apply do.
type Memory interface {
	// Read returns the snapshot a run plans against: read in full, or
	// remembered with the teams that may have changed read again.
	Read(ctx context.Context, bk BuildkiteReader, req ReadRequest) (*model.Org, ReadReport, error)
	// Track wraps the run's writer so that the outcome of each write
	// updates what is remembered; org is the snapshot the run applies.
	Track(org *model.Org, w apply.Writer) apply.Writer
	// Forget drops what is remembered: the next read is a full one.
	Forget(reason string)
}

// ReadRequest is what a run asks a Memory to read.
type ReadRequest struct {
	// Organization and URL are the organization's slug and GraphQL
	// endpoint: what is remembered of another is of no use.
	Organization, URL string
	// Teams are the managed teams of the run.
	Teams []string
	// Partial marks a run of only some of the managed teams (an Okta
	// hook's): it reads them, but a full read of them stands for no full
	// read of the organization.
	Partial bool
	// Full asks for a full read whatever is remembered.
	Full bool
	// FullEvery is sync.full_read_every: a full read is due when the last
	// one is at least this old.
	FullEvery time.Duration
	// Logger is the run's logger.
	Logger *slog.Logger
}

// ReadReport says how a run read Buildkite.
type ReadReport struct {
	Mode string // ReadFull, ReadAudit or ReadFingerprint
	// Why is the reason for a full read, or for fingerprints in a run
	// that meant to read the audit log.
	Why string
	// TeamsRead is how many managed teams were read in full.
	TeamsRead int
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
	// Memory, when set, is what earlier runs read of Buildkite (serve);
	// nil reads every managed team in full (plan and apply). The IdPs are
	// read in full at every run either way: their reads cost little
	// against their limits.
	Memory Memory
	// FullRead makes a run with a Memory read Buildkite in full.
	FullRead bool
	// Partial marks a run of some of the managed teams (an Okta hook's),
	// for the Memory.
	Partial bool
	// ReadPeople makes a run read every organization member even without
	// offboarding (the access report lists the admins); Result.People
	// holds them.
	ReadPeople bool

	// JudgeOnly, when not nil, limits offboarding to these people
	// (explain's one person; nobody for validate --online): only they are
	// read of the organization's members and looked up in the source,
	// with a sample of the members the run read anyway, so the run costs
	// what those few do. Judging nobody and with no sample to ask about,
	// the source's search is tried once instead.
	JudgeOnly []string
}

// Result is the outcome of one run.
type Result struct {
	// Plan is the plan; after Apply its changes carry their status. It is
	// nil when the run failed before planning.
	Plan *plan.Plan
	// Org is the Buildkite snapshot the plan was made against (what a
	// saved plan's basis sums up); nil when the run failed before.
	Org      *model.Org
	Duration time.Duration
	// Read says how Buildkite was read.
	Read ReadReport
	// Points is the complexity Buildkite charged the run, reads and
	// writes; 0 when the run failed before connecting.
	Points int
	// Reads are the group reads the plan was made from, by
	// config.Group.Key(); nil when the run failed before.
	Reads map[string]plan.GroupRead
	// People is what was read of every organization member (offboarding,
	// the access report); nil when not read.
	People *plan.PeopleRead
}

// Plan reads everything and returns the plan. It never constructs a writer
// call: nothing is written. When it fails after connecting it returns the
// error with a Result that has no Plan but says what was read.
func (r *Runner) Plan(ctx context.Context, m *config.Mapping, opts plan.Options) (*Result, error) {
	start := time.Now()
	opts = withNow(opts, start)
	res := &Result{}
	p, org, clients, err := r.plan(ctx, m, opts, res)
	res.Duration = time.Since(start)
	if clients != nil {
		res.Points = clients.Buildkite.Points()
	}
	if err != nil {
		return res, err
	}
	res.Plan, res.Org = p, org
	return res, nil
}

// Apply plans and then applies what the guards allow. When it fails
// before applying it returns the error with a Result that has no Plan but
// says what was read.
func (r *Runner) Apply(ctx context.Context, m *config.Mapping, opts plan.Options) (*Result, error) {
	start := time.Now()
	opts = withNow(opts, start)
	res := &Result{}
	p, org, clients, err := r.plan(ctx, m, opts, res)
	if err != nil {
		res.Duration = time.Since(start)
		if clients != nil {
			res.Points = clients.Buildkite.Points()
		}
		return res, err
	}
	var w apply.Writer = clients.Buildkite
	if r.Memory != nil {
		w = r.Memory.Track(org, w)
	}
	a := &apply.Applier{Writer: w, Pacer: clients.Buildkite, Logger: r.logger(), OnChange: r.OnChange}
	res.Plan = a.Apply(ctx, org, p)
	res.Duration = time.Since(start)
	res.Points = clients.Buildkite.Points()
	return res, nil
}

// withNow gives opts the run's start as the moment expires: is checked
// against, unless the caller fixed one (tests, a replayed run).
func withNow(opts plan.Options, start time.Time) plan.Options {
	if opts.Now.IsZero() {
		opts.Now = start
	}
	return opts
}

// plan connects, reads and plans, recording in res how Buildkite was read.
// clients is set once connected, even when a read then fails. A failed
// Buildkite read or lookup makes the Memory forget, so that the next run
// reads in full.
func (r *Runner) plan(ctx context.Context, m *config.Mapping, opts plan.Options, res *Result) (*plan.Plan, *model.Org, *Clients, error) {
	clients, err := r.Connect(ctx, m)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("connect: %w", err)
	}
	reads, org, people, err := r.read(ctx, m, clients, res)
	res.Reads, res.People = reads, people
	if err == nil {
		if people != nil && people.People != nil {
			withPeople(org, people.People)
		}
		err = r.place(ctx, m, reads, org, clients.Buildkite, opts.Now)
	}
	if err != nil {
		if r.Memory != nil {
			r.Memory.Forget("the last run's Buildkite read failed")
		}
		return nil, nil, clients, err
	}
	if m.Offboarding != nil {
		people.Only = r.JudgeOnly
		if people.Only != nil {
			// Judging a few, offboarding asks about a sample of the
			// members read anyway too: one batch of the source's search.
			people.Sample = plan.SampleEmails(m, org, sampleSize)
			if len(people.Only)+len(people.Sample) == 0 {
				// Nobody to ask about: whether the search works at all.
				people.SearchErr = probe(ctx, m, clients)
			}
		}
		people.Lookups = r.lookUp(ctx, m, clients, people, org.Invitations)
		opts.People = people
	}
	return plan.Build(m, reads, org, opts), org, clients, nil
}

// readBuildkite reads the Buildkite snapshot of the managed teams: all of
// it, or through the Memory.
func (r *Runner) readBuildkite(ctx context.Context, m *config.Mapping, bk Buildkite) (*model.Org, ReadReport, error) {
	slugs := make([]string, len(m.Teams))
	for i, t := range m.Teams {
		slugs[i] = t.Slug
	}
	if r.Memory == nil {
		org, err := bk.ReadOrg(ctx, slugs)
		return org, ReadReport{Mode: ReadFull, TeamsRead: len(slugs)}, err
	}
	every := m.Sync.FullReadEvery
	if every <= 0 {
		every = config.DefaultFullReadEvery
	}
	return r.Memory.Read(ctx, bk, ReadRequest{
		Organization: m.Buildkite.Organization, URL: m.Buildkite.GraphQLURL,
		Teams: slugs, Partial: r.Partial, Full: r.FullRead, FullEvery: every, Logger: r.logger(),
	})
}

// read fetches every distinct group once and the Buildkite snapshot, all at
// the same time. A failed group read is recorded in its GroupRead (the
// planner makes it "unknown"); a failed Buildkite read fails the run.
func (r *Runner) read(ctx context.Context, m *config.Mapping, c *Clients, res *Result) (map[string]plan.GroupRead, *model.Org, *plan.PeopleRead, error) {
	var org *model.Org
	var reads map[string]plan.GroupRead
	var people *plan.PeopleRead
	g, gctx := errgroup.WithContext(ctx)
	if m.Offboarding != nil || r.ReadPeople {
		// Offboarding's read is data too: when it fails, the plan says so
		// and offboards nobody, and the teams are synced all the same.
		g.Go(func() error {
			var p *model.People
			var err error
			if r.JudgeOnly != nil && !r.ReadPeople {
				p, err = c.Buildkite.LookupPeople(gctx, r.JudgeOnly)
			} else {
				p, err = c.Buildkite.ReadPeople(gctx)
			}
			if err != nil {
				err = fmt.Errorf("read members of buildkite organization %q: %w", m.Buildkite.Organization, err)
			}
			people = &plan.PeopleRead{People: p, Err: err}
			return nil
		})
	}
	g.Go(func() error {
		var err error
		org, res.Read, err = r.readBuildkite(gctx, m, c.Buildkite)
		if err != nil {
			return fmt.Errorf("read buildkite organization %q: %w", m.Buildkite.Organization, err)
		}
		return nil
	})
	// IdP reads share the group so that a failed Buildkite read cancels
	// them, but never fail it themselves: their errors are data.
	refs := groupRefs(m)
	g.Go(func() error {
		reads = r.readGroups(gctx, c, refs)
		return rejected(m, refs, reads)
	})
	if err := g.Wait(); err != nil {
		return nil, nil, nil, err
	}
	return reads, org, people, nil
}

// readGroups reads every group of refs, at most r.concurrency() at once.
func (r *Runner) readGroups(ctx context.Context, c *Clients, refs []keyedRef) map[string]plan.GroupRead {
	results := make([]plan.GroupRead, len(refs))
	prepared := r.preparers(ctx, c, refs)
	sem := make(chan struct{}, r.concurrency())
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if prepare := prepared[ref.ref.Source]; prepare != nil {
				prepare() // outside sem: other sources read meanwhile
			}
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = r.readGroup(ctx, c, ref.ref)
		}()
	}
	wg.Wait()
	reads := make(map[string]plan.GroupRead, len(refs))
	for i, ref := range refs {
		reads[ref.key] = results[i]
	}
	return reads
}

// place looks up the organization membership of the people the plan may
// add and org does not already show, and adds them to org.Members.
func (r *Runner) place(ctx context.Context, m *config.Mapping, reads map[string]plan.GroupRead, org *model.Org, bk Buildkite, now time.Time) error {
	emails := plan.PeopleToPlace(m, reads, org, now)
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

// groupRefs lists the distinct group reads the mappings need, sorted by
// key.
func groupRefs(ms ...*config.Mapping) []keyedRef {
	seen := make(map[string]bool)
	var out []keyedRef
	for _, m := range ms {
		for _, t := range m.Teams {
			for _, g := range t.Groups {
				if k := g.Key(); !seen[k] {
					seen[k] = true
					out = append(out, keyedRef{key: k, ref: g.Ref()})
				}
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
