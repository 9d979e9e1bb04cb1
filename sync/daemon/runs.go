package daemon

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/teamsync/teamsync/sync/plan"
)

// keptRuns is how many runs GET /runs/{id} can answer for: the newest.
const keptRuns = 100

// Run states in GET /runs/{id}.
const (
	RunRunning  = "running"
	RunFinished = "finished"
)

// RunStatus is GET /runs/{id}'s answer: what a run was asked to do and,
// once it has finished, its result (audit.Result* words, or "skipped" for
// a hook run with nothing left to do), summary and error.
type RunStatus struct {
	RunID    string        `json:"run_id"`
	Trigger  string        `json:"trigger"`
	State    string        `json:"state"`
	Started  time.Time     `json:"started"`
	Finished *time.Time    `json:"finished,omitempty"`
	Result   string        `json:"result,omitempty"`
	Summary  *plan.Summary `json:"summary,omitempty"`
	Error    string        `json:"error,omitempty"`
}

// runLog keeps the newest keptRuns runs' statuses, under daemon.mu.
type runLog struct {
	order []string
	byID  map[string]*RunStatus
}

func (l *runLog) started(id, trigger string, at time.Time) {
	if l.byID == nil {
		l.byID = make(map[string]*RunStatus)
	}
	l.byID[id] = &RunStatus{RunID: id, Trigger: trigger, State: RunRunning, Started: at.UTC()}
	l.order = append(l.order, id)
	if len(l.order) > keptRuns {
		delete(l.byID, l.order[0])
		l.order = l.order[1:]
	}
}

func (l *runLog) finished(id, result string, p *plan.Plan, err error, at time.Time) {
	s := l.byID[id]
	if s == nil {
		return
	}
	at = at.UTC()
	s.State, s.Finished, s.Result = RunFinished, &at, result
	if p != nil {
		sum := p.Summary
		s.Summary = &sum
	}
	if err != nil {
		s.Error = err.Error()
	}
}

// runStatus answers GET /runs/{id} for a caller with the trigger token.
func (d *daemon) runStatus(w http.ResponseWriter, r *http.Request) {
	if !d.authorized(w, r) {
		return
	}
	d.mu.Lock()
	var s RunStatus
	p := d.runs.byID[r.PathValue("id")]
	if p != nil {
		s = *p
	}
	d.mu.Unlock()
	if d.cfg.Secrets != nil {
		s.Error = d.cfg.Secrets.Redact(s.Error)
	}
	if p == nil {
		text(w, http.StatusNotFound, "no such run (the daemon keeps the newest 100 since it started)")
		return
	}
	b, err := json.Marshal(s)
	if err != nil {
		text(w, http.StatusInternalServerError, "cannot render the run")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}
