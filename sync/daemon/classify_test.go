package daemon

import (
	"context"
	"errors"
	"testing"

	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/plan"
)

// TestClassify: a run's result in the audit log and in metrics. The audit
// word is audit.RunResult's, shared with the CLI's apply; metrics count a
// cancelled run as an error.
func TestClassify(t *testing.T) {
	t.Parallel()
	live := context.Background()
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	notAttempted := plan.Change{Action: plan.ActionAddMember, Team: "t", Email: "a@acme.com", Status: plan.StatusSkipped, Error: "not attempted: the run was cancelled"}
	applied := plan.Change{Action: plan.ActionAddMember, Team: "t", Email: "b@acme.com", Status: plan.StatusApplied}
	held := plan.Change{Action: plan.ActionRemoveMember, Team: "t", Email: "c@acme.com", Guard: plan.GuardMaxRemovals}
	tests := []struct {
		name                string
		ctx                 context.Context
		plan                *plan.Plan
		err                 error
		wantMetric, wantLog string
	}{
		{"success", live, &plan.Plan{Changes: []plan.Change{applied}}, nil, "success", "success"},
		{"held", live, &plan.Plan{Held: []plan.Change{held}}, nil, "held", "held"},
		{"run error without a plan", live, nil, errors.New("connect: boom"), "error", "error"},
		{"run error with a plan", live, &plan.Plan{}, errors.New("read: boom"), "error", "error"},
		{"no plan and no error", live, nil, nil, "error", "error"},
		{"cut short by shutdown", stopped, &plan.Plan{Changes: []plan.Change{applied, notAttempted}}, nil, "error", "cancelled"},
		{"reads cut short by shutdown", stopped, nil, context.Canceled, "error", "cancelled"},
		{"finished before shutdown took effect", stopped, &plan.Plan{Changes: []plan.Change{applied}}, nil, "success", "success"},
		{"held when shutdown came", stopped, &plan.Plan{Held: []plan.Change{held}}, nil, "held", "held"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := audit.RunResult(tt.ctx, tt.plan, tt.err)
			metric := metricResult(log)
			if metric != tt.wantMetric || log != tt.wantLog {
				t.Errorf("(metric, audit) = (%q, %q), want (%q, %q)", metric, log, tt.wantMetric, tt.wantLog)
			}
		})
	}
}
