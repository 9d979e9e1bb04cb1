// Package record keeps the record of one apply run, the same for the CLI's
// apply and the daemon: the run's id and trigger on every log line, an
// audit line for each change the applier attempted, the run's result
// (audit.RunResult, so both say "cancelled" when SIGINT or SIGTERM cut the
// run short), its audit run line, and one summary log line with the same
// keys whoever ran it. What is the caller's own stays with the caller: the
// CLI's output and exit code, the daemon's metrics and readiness.
package record

import (
	"context"
	"log/slog"
	"time"

	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// MsgFinished is the message of the summary log line.
const MsgFinished = "run finished"

// Run is the record of one run. Make it with New; set Audit (nil writes no
// audit lines) and OnAuditError before the run starts.
type Run struct {
	id      string
	trigger string
	log     *slog.Logger

	// Audit receives the run's audit lines.
	Audit *audit.Log
	// OnAuditError, when set, is called for each audit line that could
	// not be written (the daemon counts them). Change has already logged
	// the failure; Finish returns it instead.
	OnAuditError func()
}

// New starts the record of the run with the given id (audit.NewRunID) and
// trigger (audit.TriggerCLI, …). Every line of log the run writes through
// Logger carries run_id and trigger.
func New(id, trigger string, log *slog.Logger) *Run {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Run{id: id, trigger: trigger, log: log.With("run_id", id, "trigger", trigger)}
}

// ID is the run id.
func (r *Run) ID() string { return r.id }

// Logger is the run's logger, for the reconcile and the caller's own lines.
func (r *Run) Logger() *slog.Logger { return r.log }

// With adds attributes to every later line of the run's logger, the
// summary line included (the daemon names a hook run's teams).
func (r *Run) With(args ...any) { r.log = r.log.With(args...) }

// Change writes the audit line of one attempted change: it is the
// applier's OnChange hook. A failed write is logged and reported to
// OnAuditError; it does not stop the run.
func (r *Run) Change(c plan.Change) {
	if err := r.Audit.Change(r.id, r.trigger, c); err != nil {
		r.auditFailed(err)
	}
}

// Finish ends the record of a run that took took, cost cost and ended
// with plan p (nil if it never planned) and error err, ctx being the run's
// context. It names the result with audit.RunResult, writes the audit run
// line and logs the summary line, and returns the result with the error
// of the audit write, which it does not log: the caller decides whether
// that fails the run (the CLI's apply) or is logged and counted (the
// daemon).
func (r *Run) Finish(ctx context.Context, p *plan.Plan, err error, took time.Duration, cost audit.Cost) (string, error) {
	result := audit.RunResult(ctx, p, err)
	var sum plan.Summary
	if p != nil {
		sum = p.Summary
	}
	auditErr := r.Audit.Run(r.id, r.trigger, sum, took, result, cost)
	if auditErr != nil && r.OnAuditError != nil {
		r.OnAuditError()
	}
	r.log.Info(MsgFinished, summaryAttrs(result, sum, took, cost)...)
	return result, auditErr
}

// summaryAttrs are the summary line's keys, always all of them so that
// every run's line has the same shape. not_attempted counts the changes a
// cancel kept from starting (skipped, never written); read_mode and
// buildkite_points say what the run cost.
func summaryAttrs(result string, s plan.Summary, took time.Duration, cost audit.Cost) []any {
	return []any{
		"result", result,
		"duration", took.Round(time.Millisecond).String(),
		"create_team", s.CreateTeam, "add_member", s.AddMember, "update_role", s.UpdateRole,
		"remove_member", s.RemoveMember, "invite", s.Invite,
		"remove_org_member", s.RemoveOrgMember, "revoke_invitation", s.RevokeInvitation,
		"applied", s.Applied, "failed", s.Failed, "not_attempted", s.Skipped,
		"held", s.Held, "unplaced", s.Unplaced, "errors", s.Errors,
		"read_mode", cost.ReadMode, "buildkite_points", cost.BuildkitePoints,
	}
}

// CostOf is what a reconcile's result says the run cost; nil (a run that
// never connected) cost nothing.
func CostOf(res *reconcile.Result) audit.Cost {
	if res == nil {
		return audit.Cost{}
	}
	return audit.Cost{ReadMode: res.Read.Mode, BuildkitePoints: res.Points}
}

func (r *Run) auditFailed(err error) {
	r.log.Error("audit log write failed", "error", err)
	if r.OnAuditError != nil {
		r.OnAuditError()
	}
}
