package audit

import (
	"context"

	"github.com/teamsync/teamsync/sync/plan"
)

// Results name how a run ended, as written in the run line's "result"
// field. The daemon's metrics use the same words for their result label,
// except that a cancelled run counts there as an error.
const (
	// ResultSuccess: every planned change was applied and every read
	// succeeded.
	ResultSuccess = "success"
	// ResultHeld: nothing failed, but a guard other than observe held
	// changes back (apply exits 3).
	ResultHeld = "held"
	// ResultError: a read or a change failed, or the run could not plan.
	ResultError = "error"
	// ResultCancelled: SIGINT or SIGTERM cut the run short before it could
	// finish (see RunResult).
	ResultCancelled = "cancelled"
)

// Result is the result word for a plan that has been applied (or only
// planned): ResultError if it has read errors or failed changes,
// ResultHeld if a guard held changes back, else ResultSuccess. A nil plan
// means the run never got as far as planning, which is ResultError.
// Skipped changes are not failures; whether the run was cancelled is
// RunResult's to say, since that needs the run's context.
func Result(p *plan.Plan) string {
	switch {
	case p == nil || len(p.Errors) > 0 || p.Summary.Failed > 0 || anyStatus(p.Changes, plan.StatusFailed):
		return ResultError
	case p.HeldByGuard():
		return ResultHeld
	}
	return ResultSuccess
}

// RunResult is the result word for a whole run, which the CLI's apply and
// the daemon both write: the run's context ctx, the plan p it ended with
// (nil if it never planned) and the error it returned. A run whose context
// was cancelled is ResultCancelled if that cut it short: it returned an
// error, a change failed, or the applier skipped changes it never reached.
// A run that finished all its work before the cancel took effect keeps
// its result. Otherwise it is Result(p), or ResultError when err is set.
func RunResult(ctx context.Context, p *plan.Plan, err error) string {
	r := Result(p)
	if err != nil {
		r = ResultError
	}
	if ctx.Err() != nil && (r == ResultError || (p != nil && anyStatus(p.Changes, plan.StatusSkipped))) {
		return ResultCancelled
	}
	return r
}

// anyStatus looks at the changes themselves as well as the summary, so a
// plan whose summary was not recounted after apply is not misread.
func anyStatus(cs []plan.Change, s plan.Status) bool {
	for _, c := range cs {
		if c.Status == s {
			return true
		}
	}
	return false
}
