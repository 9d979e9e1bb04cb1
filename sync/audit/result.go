package audit

import "github.com/teamsync/teamsync/sync/plan"

// Results name how a run ended, as written in the run line's "result"
// field. The daemon's metrics use the same words for their result label.
const (
	// ResultSuccess: every planned change was applied and every read
	// succeeded.
	ResultSuccess = "success"
	// ResultHeld: nothing failed, but a guard other than observe held
	// changes back (apply exits 3).
	ResultHeld = "held"
	// ResultError: a read or a change failed, or the run could not plan.
	ResultError = "error"
	// ResultCancelled: shutdown cut the run short before it could finish;
	// only the daemon writes it, since it alone knows why a run stopped.
	ResultCancelled = "cancelled"
)

// Result is the result word for a plan that has been applied (or only
// planned): ResultError if it has read errors or failed changes,
// ResultHeld if a guard held changes back, else ResultSuccess. A nil plan
// means the run never got as far as planning, which is ResultError.
// Cancellation is the caller's to decide: a plan cannot tell.
func Result(p *plan.Plan) string {
	switch {
	case p == nil || len(p.Errors) > 0 || p.Summary.Failed > 0 || anyFailed(p.Changes):
		return ResultError
	case p.HeldByGuard():
		return ResultHeld
	}
	return ResultSuccess
}

// anyFailed looks at the changes themselves as well as the summary, so a
// plan whose summary was not recounted after apply is not taken for a
// success.
func anyFailed(cs []plan.Change) bool {
	for _, c := range cs {
		if c.Status == plan.StatusFailed {
			return true
		}
	}
	return false
}
