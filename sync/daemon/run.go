package daemon

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/metrics"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/reconcile"
	"github.com/teamsync/teamsync/sync/record"
)

// startStatus says whether start began a run.
type startStatus int

const (
	started startStatus = iota
	startBusy
	startStopping
)

// runRequest is what a run is asked to do.
type runRequest struct {
	trigger string
	// teams limits the run to those slugs; nil means every team.
	teams []string
	// full reads Buildkite in full whatever is remembered.
	full bool
}

// start begins a run in the background unless one is going or the daemon
// is stopping.
func (d *daemon) start(ctx context.Context, req runRequest) (string, startStatus) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.startLocked(ctx, req)
}

func (d *daemon) startLocked(ctx context.Context, req runRequest) (string, startStatus) {
	if d.stopping || ctx.Err() != nil {
		return "", startStopping
	}
	if d.running {
		return "", startBusy
	}
	d.running = true
	id := audit.NewRunID()
	d.runs.started(id, req.trigger, d.now())
	d.tasks.Add(1)
	go func() {
		defer d.tasks.Done()
		d.run(ctx, id, req)
	}()
	return id, started
}

// run is one reconcile: re-read the mapping, apply, audit, count. The
// run's record (id, audit lines, result, summary line) is the one the
// CLI's apply keeps too; the metrics and readiness are the daemon's own.
// Buildkite is read through the daemon's memory: in full, or only the
// teams that may have changed since the last run.
func (d *daemon) run(ctx context.Context, id string, req runRequest) {
	trigger, teams := req.trigger, req.teams
	begin := d.now()
	rec := record.New(id, trigger, d.log)
	log := rec.Logger()
	m, auditLog := d.reload(log)
	rec.Audit, rec.OnAuditError = auditLog, d.met.AuditError
	if teams != nil {
		var err error
		if m, err = scope(m, teams); err != nil {
			log.Info("no team of the hook run is mapped any more; nothing to do", "teams", teams, "reason", err)
			d.finish(ctx, log, runOutcome{id: id, trigger: trigger, skipped: true})
			return
		}
		rec.With("teams", teams)
		log = rec.Logger()
	}
	if d.cfg.DryRun {
		// Nothing is written, so there is nothing for the audit log to
		// be evidence of; every log line says it was a dry run.
		rec.Audit = nil
		rec.With("dry_run", true)
		log = rec.Logger()
	}
	configured := m.Offboarding != nil
	m = d.offboarding(log, m, req.full, begin)
	d.met.RunStarted()
	log.Info("reconcile started")
	runner := &reconcile.Runner{
		Connect:  d.observed(d.cfg.Connect),
		Logger:   log,
		Memory:   d.mem,
		FullRead: req.full,
		Partial:  teams != nil,
		// Called only for changes the applier attempted: those a shutdown
		// kept from starting stay out of the audit log and the metrics.
		OnChange: func(c plan.Change) {
			d.met.Change(c)
			rec.Change(c)
		},
	}
	res, err := d.reconcile(ctx, runner, m)
	d.offboarded(log, m, res, begin)
	out := runOutcome{id: id, trigger: trigger, full: teams == nil, took: d.now().Sub(begin), err: err,
		offboarding: configured, judged: m.Offboarding != nil}
	// A run cut short by shutdown is the daemon doing what it was asked:
	// what it says about that is information, not an error or a warning.
	stopped := ctx.Err() != nil
	if res != nil && res.Plan != nil {
		out.plan = res.Plan
		level := slog.LevelWarn
		if stopped {
			level = slog.LevelInfo
		}
		for _, e := range out.plan.Errors {
			if e.Team == "" {
				// Offboarding's: the organization, not a team.
				log.Log(ctx, level, "offboarding could not judge everyone: nobody it could not judge leaves the organization", "source", e.Source, "error", e.Message)
				continue
			}
			log.Log(ctx, level, "read failed: no removals or downgrades for the team", "team", e.Team, "source", e.Source, "error", e.Message)
		}
		if d.cfg.DryRun {
			wouldApply(log, out.plan)
		}
		d.warnBudgets(log, trigger, out.plan)
	}
	switch {
	case err != nil && stopped:
		log.Info("reconcile stopped: the daemon is shutting down", "error", err)
	case err != nil:
		log.Error("reconcile failed", "error", err)
	}
	cost := record.CostOf(res)
	if res != nil {
		d.met.Read(cost.ReadMode, cost.BuildkitePoints, res.Read.TeamsRead)
	}
	result, auditErr := rec.Finish(ctx, out.plan, err, out.took, cost)
	if auditErr != nil {
		log.Error("audit log write failed", "error", auditErr)
	}
	out.metric, out.audit = metricResult(result), result
	d.finish(ctx, log, out)
}

// runOutcome is what finish needs to know about a run.
type runOutcome struct {
	id      string
	trigger string
	err     error
	full    bool // every team, not a hook's subset
	skipped bool // nothing was run
	// offboarding is whether the mapping has offboarding, judged whether
	// this run judged the organization.
	offboarding, judged bool
	plan                *plan.Plan
	metric              string
	audit               string
	took                time.Duration
}

// metricResult is the metrics' word for a run's result: the audit log's,
// except that a run cut short by shutdown counts as an error.
func metricResult(result string) string {
	if result == audit.ResultCancelled {
		return metrics.ResultError
	}
	return result
}

// finish ends a run: it frees the slot, records readiness and metrics, and
// starts the Okta hook run that came due meanwhile, if any. The metrics
// are counted after the slot is free, so whoever sees the run counted can
// start the next one.
func (d *daemon) finish(ctx context.Context, log *slog.Logger, out runOutcome) {
	ok := !out.skipped && out.metric != metrics.ResultError
	now := d.now()
	d.mu.Lock()
	d.running = false
	if out.skipped {
		d.runs.finished(out.id, "skipped", nil, nil, now)
	} else {
		d.runs.finished(out.id, out.audit, out.plan, out.err, now)
	}
	if out.full && ok {
		d.lastOK = now
	}
	if d.hook.due {
		d.hook.due = false
		teams := d.hook.take()
		if _, st := d.startLocked(ctx, runRequest{trigger: audit.TriggerOktaHook, teams: teams}); st == started {
			log.Info("starting the Okta hook run that came due during this one", "teams", teams)
		}
	}
	d.mu.Unlock()
	if out.skipped {
		return
	}
	if out.full && out.plan != nil {
		d.met.Outcome(d.withOrgHolds(out.plan, out.offboarding, out.judged))
		d.remember(out.plan)
	}
	if out.full && ok {
		d.met.Succeeded(now)
	}
	d.met.RunFinished(out.metric, out.took)
}

// reload re-reads the mapping. One that fails to load or validate leaves
// the last good mapping (and its schedule and audit log) in force: it is
// logged with its file:line error and counted as a reload failure.
//
// A new sync.audit_log is opened outside d.mu, so that a slow or hung
// filesystem cannot stall /readyz, /sync and the Okta hook. If it cannot
// be opened, the mapping is still good and takes effect; the records keep
// going to the previous audit log, the failure is logged and counted as an
// audit log error, and the next run tries the new path again.
func (d *daemon) reload(log *slog.Logger) (*config.Mapping, *audit.Log) {
	m, err := d.cfg.Load(d.cfg.ConfigPath)
	var sched schedule
	if err == nil {
		sched, err = parseSchedule(m.Sync.Schedule)
	}
	if err != nil {
		d.met.ReloadFailed()
		log.Error("the mapping does not validate; keeping the last good one", "error", err)
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.mapping, d.audit
	}

	if m.Sync.DryRun && !d.cfg.DryRun {
		// Decided once, at start: a daemon never starts or stops writing
		// halfway through its life because a file changed. Whoever set
		// this expects no writes, so every run says that it still writes.
		log.Warn("sync.dry_run: true takes effect when serve restarts; until then this daemon writes (sync.policy: observe stops writes at the next run)")
	}

	// Runs never overlap, and only a run reloads, so auditPath cannot
	// change between here and the swap below.
	d.mu.Lock()
	prevPath := d.auditPath
	d.mu.Unlock()
	var opened *audit.Log
	if m.Sync.AuditLog != prevPath {
		if opened, err = d.cfg.openAudit(m.Sync.AuditLog, d.now); err != nil {
			d.met.AuditError()
			log.Error("the new audit log cannot be opened; the mapping takes effect, audit records still go to the previous audit log",
				"audit_log", m.Sync.AuditLog, "previous_audit_log", describeAuditPath(prevPath), "error", err)
		}
	}

	d.mu.Lock()
	d.mapping = m
	d.setScheduleLocked(sched)
	var old *audit.Log
	if opened != nil {
		old = d.audit
		d.audit, d.auditPath = opened, m.Sync.AuditLog
	}
	current := d.audit
	d.mu.Unlock()
	if old != nil {
		if cerr := old.Close(); cerr != nil {
			log.Error("closing the previous audit log", "error", cerr)
		}
	}
	return m, current
}

// describeAuditPath names an audit_log value for a log line.
func describeAuditPath(p string) string {
	switch p {
	case "":
		return "(none: audit records are not written)"
	case audit.Stderr:
		return "(stderr)"
	}
	return p
}

// errNoTeams means none of a hook run's teams is mapped any more.
var errNoTeams = errors.New("none of the teams is in the mapping")

// scope limits m to the given teams that it still maps.
func scope(m *config.Mapping, teams []string) (*config.Mapping, error) {
	var keep []string
	for _, t := range m.Teams {
		if slices.Contains(teams, t.Slug) {
			keep = append(keep, t.Slug)
		}
	}
	if len(keep) == 0 {
		return nil, errNoTeams
	}
	return m.Select(keep)
}
