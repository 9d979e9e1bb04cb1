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
)

// resultCancelled is the audit result of a run cut short by shutdown; in
// metrics it counts as an error.
const resultCancelled = "cancelled"

// startStatus says whether start began a run.
type startStatus int

const (
	started startStatus = iota
	startBusy
	startStopping
)

// start begins a run in the background unless one is going or the daemon
// is stopping. teams limits it to those slugs; nil means every team.
func (d *daemon) start(ctx context.Context, trigger string, teams []string) (string, startStatus) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.startLocked(ctx, trigger, teams)
}

func (d *daemon) startLocked(ctx context.Context, trigger string, teams []string) (string, startStatus) {
	if d.stopping || ctx.Err() != nil {
		return "", startStopping
	}
	if d.running {
		return "", startBusy
	}
	d.running = true
	id := audit.NewRunID()
	d.tasks.Add(1)
	go func() {
		defer d.tasks.Done()
		d.run(ctx, id, trigger, teams)
	}()
	return id, started
}

// run is one reconcile: re-read the mapping, apply, audit, count.
func (d *daemon) run(ctx context.Context, id, trigger string, teams []string) {
	begin := d.now()
	log := d.log.With("run_id", id, "trigger", trigger)
	m, auditLog := d.reload(log)
	if teams != nil {
		var err error
		if m, err = scope(m, teams); err != nil {
			log.Info("no team of the hook run is mapped any more; nothing to do", "teams", teams, "reason", err)
			d.finish(ctx, log, runOutcome{trigger: trigger, skipped: true})
			return
		}
		log = log.With("teams", teams)
	}
	d.met.RunStarted()
	log.Info("reconcile started")
	runner := &reconcile.Runner{
		Connect: d.observed(d.cfg.Connect),
		Logger:  log,
		OnChange: func(c plan.Change) {
			d.met.Change(c)
			if err := auditLog.Change(id, trigger, c); err != nil {
				log.Error("audit log write failed", "error", err)
			}
		},
	}
	res, err := runner.Apply(ctx, m, plan.Options{})
	out := runOutcome{trigger: trigger, full: teams == nil, took: d.now().Sub(begin)}
	if res != nil {
		out.plan = res.Plan
	}
	out.metric, out.audit = classify(ctx, out.plan, err)
	var sum plan.Summary
	if out.plan != nil {
		sum = out.plan.Summary
	}
	if err := auditLog.Run(id, trigger, sum, out.took, out.audit); err != nil {
		log.Error("audit log write failed", "error", err)
	}
	if out.plan != nil {
		for _, e := range out.plan.Errors {
			log.Warn("read failed: no removals or downgrades for the team", "team", e.Team, "source", e.Source, "error", e.Message)
		}
	}
	if err != nil {
		log.Error("reconcile failed", "error", err, "duration", out.took)
	} else {
		log.Info("reconcile finished", "result", out.audit, "duration", out.took,
			"applied", sum.Applied, "failed", sum.Failed, "held", sum.Held,
			"unplaced", sum.Unplaced, "errors", sum.Errors)
	}
	d.finish(ctx, log, out)
}

// runOutcome is what finish needs to know about a run.
type runOutcome struct {
	trigger string
	full    bool // every team, not a hook's subset
	skipped bool // nothing was run
	plan    *plan.Plan
	metric  string
	audit   string
	took    time.Duration
}

// classify names a run's result: an error or failed read or write is an
// error, a guard holding changes back is held, else success. A run cut
// short by shutdown is "cancelled" in the audit log.
func classify(ctx context.Context, p *plan.Plan, err error) (metric, auditResult string) {
	switch {
	case err != nil || len(p.Errors) > 0 || p.Summary.Failed > 0:
		metric = metrics.ResultError
	case p.HeldByGuard():
		metric = metrics.ResultHeld
	default:
		metric = metrics.ResultSuccess
	}
	if ctx.Err() != nil && metric == metrics.ResultError {
		return metric, resultCancelled
	}
	return metric, metric
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
	if out.full && ok {
		d.lastOK = now
	}
	if d.hook.due {
		d.hook.due = false
		teams := d.hook.take()
		if _, st := d.startLocked(ctx, audit.TriggerOktaHook, teams); st == started {
			log.Info("starting the Okta hook run that came due during this one", "teams", teams)
		}
	}
	d.mu.Unlock()
	if out.skipped {
		return
	}
	if out.full && out.plan != nil {
		d.met.Outcome(out.plan)
	}
	if out.full && ok {
		d.met.Succeeded(now)
	}
	d.met.RunFinished(out.metric, out.took)
}

// reload re-reads the mapping. One that fails to load or validate leaves
// the last good mapping (and its schedule and audit log) in force: it is
// logged with its file:line error and counted.
func (d *daemon) reload(log *slog.Logger) (*config.Mapping, *audit.Log) {
	m, err := d.cfg.Load(d.cfg.ConfigPath)
	var sched schedule
	if err == nil {
		sched, err = parseSchedule(m.Sync.Schedule)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil && m.Sync.AuditLog != d.auditPath {
		var a *audit.Log
		if a, err = audit.Open(m.Sync.AuditLog, d.now); err == nil {
			old := d.audit
			d.audit, d.auditPath = a, m.Sync.AuditLog
			if cerr := old.Close(); cerr != nil {
				log.Error("closing the previous audit log", "error", cerr)
			}
		}
	}
	if err != nil {
		d.met.ReloadFailed()
		log.Error("the mapping does not validate; keeping the last good one", "error", err)
		return d.mapping, d.audit
	}
	d.mapping = m
	d.setScheduleLocked(sched)
	return m, d.audit
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
