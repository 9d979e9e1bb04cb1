package daemon

import (
	"context"
	"log/slog"

	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// reconcile runs one reconcile of m: a plan only when the daemon is a dry
// run (Runner.Plan builds no applier, so nothing can be written), else
// plan and apply. Config.DryRun was decided once, in cmd/, when serve
// started; this is the one place the daemon acts on it.
func (d *daemon) reconcile(ctx context.Context, runner *reconcile.Runner, m *config.Mapping) (*reconcile.Result, error) {
	if d.cfg.DryRun {
		return runner.Plan(ctx, m, plan.Options{})
	}
	return runner.Apply(ctx, m, plan.Options{})
}

// wouldApply logs, for a dry run, one line per change a real run would
// write, as an applied change's line would read.
func wouldApply(log *slog.Logger, p *plan.Plan) {
	for _, c := range p.Changes {
		attrs := []any{"action", c.Action}
		for _, kv := range [][2]string{
			{"team", c.Team}, {"email", c.Email}, {"from_role", string(c.FromRole)}, {"role", string(c.Role)}, {"reason", c.Reason},
		} {
			if kv[1] != "" {
				attrs = append(attrs, kv[0], kv[1])
			}
		}
		if len(c.Groups) > 0 {
			attrs = append(attrs, "groups", c.Groups)
		}
		log.Info("dry run: would apply", attrs...)
	}
}

// budgetGuards are the guards that hold removals over the removal budgets.
var budgetGuards = map[string]bool{plan.GuardMaxRemovals: true, plan.GuardMaxRemovalPercent: true}

// warnBudgets says, after the startup run, which removals the removal
// budgets held back and what lets them through: a daemon pointed at an
// organization that has drifted far should say so at once, not only in
// a gauge. Each distinct reason is one line.
func (d *daemon) warnBudgets(log *slog.Logger, trigger string, p *plan.Plan) {
	if trigger != audit.TriggerStartup || p == nil {
		return
	}
	msg := "first run: removals held back, over the removal budget; review them (GET /plan or `teamsync plan`), then let them through once as the reason says"
	if d.cfg.DryRun {
		msg = "first run (dry run): removals a real run would hold back, over the removal budget; review them (GET /plan or `teamsync plan`) before leaving dry run"
	}
	held := map[string]int{}
	var reasons []string
	for _, c := range p.Held {
		if !budgetGuards[c.Guard] {
			continue
		}
		if held[c.GuardReason] == 0 {
			reasons = append(reasons, c.GuardReason)
		}
		held[c.GuardReason]++
	}
	for _, r := range reasons {
		log.Warn(msg, "held", held[r], "reason", r)
	}
}

// remember keeps a full run's plan for GET /plan.
func (d *daemon) remember(p *plan.Plan) {
	d.mu.Lock()
	d.lastPlan = p
	d.mu.Unlock()
}
