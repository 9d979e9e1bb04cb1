package audit

import (
	"context"
	"errors"
	"testing"

	"github.com/teamsync/teamsync/sync/plan"
)

func TestResult(t *testing.T) {
	held := func(guard string) []plan.Change {
		return []plan.Change{{Action: plan.ActionRemoveMember, Team: "t", Email: "a@acme.com", Guard: guard}}
	}
	applied := []plan.Change{{Action: plan.ActionAddMember, Team: "t", Email: "b@acme.com", Status: plan.StatusApplied}}
	failed := []plan.Change{{Action: plan.ActionAddMember, Team: "t", Email: "b@acme.com", Status: plan.StatusFailed, Error: "boom"}}
	tests := []struct {
		name string
		plan *plan.Plan
		want string
	}{
		{"no plan", nil, ResultError},
		{"empty plan", &plan.Plan{}, ResultSuccess},
		{"all applied", &plan.Plan{Changes: applied, Summary: plan.Summary{AddMember: 1, Applied: 1}}, ResultSuccess},
		{"observe alone is not held", &plan.Plan{Held: held(plan.GuardObserve)}, ResultSuccess},
		{"held by a guard", &plan.Plan{Held: held(plan.GuardMaxRemovals)}, ResultHeld},
		{"held behind observe", &plan.Plan{Held: append(held(plan.GuardObserve), held(plan.GuardEmptyGroup)...)}, ResultHeld},
		{"read error", &plan.Plan{Errors: []plan.Error{{Team: "t", Source: "okta:X", Message: "404"}}}, ResultError},
		{"failed change counted", &plan.Plan{Changes: failed, Summary: plan.Summary{AddMember: 1, Failed: 1}}, ResultError},
		{"failed change not recounted", &plan.Plan{Changes: failed}, ResultError},
		{"error beats held", &plan.Plan{Held: held(plan.GuardMaxRemovals), Changes: failed}, ResultError},
		{"skipped is not failed", &plan.Plan{Changes: []plan.Change{{Action: plan.ActionAddMember, Team: "t", Email: "c@acme.com", Status: plan.StatusSkipped, Error: "not attempted"}}}, ResultSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Result(tt.plan); got != tt.want {
				t.Errorf("Result() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRunResult(t *testing.T) {
	live := context.Background()
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	skipped := plan.Change{Action: plan.ActionAddMember, Team: "t", Email: "a@acme.com", Status: plan.StatusSkipped, Error: "not attempted: the run was cancelled"}
	applied := plan.Change{Action: plan.ActionAddMember, Team: "t", Email: "b@acme.com", Status: plan.StatusApplied}
	failed := plan.Change{Action: plan.ActionAddMember, Team: "t", Email: "c@acme.com", Status: plan.StatusFailed, Error: "boom"}
	held := plan.Change{Action: plan.ActionRemoveMember, Team: "t", Email: "d@acme.com", Guard: plan.GuardMaxRemovals}
	tests := []struct {
		name string
		ctx  context.Context
		plan *plan.Plan
		err  error
		want string
	}{
		{"success", live, &plan.Plan{Changes: []plan.Change{applied}}, nil, ResultSuccess},
		{"held", live, &plan.Plan{Held: []plan.Change{held}}, nil, ResultHeld},
		{"failed change", live, &plan.Plan{Changes: []plan.Change{applied, failed}}, nil, ResultError},
		{"run error without a plan", live, nil, errors.New("connect: boom"), ResultError},
		{"run error with a plan", live, &plan.Plan{}, errors.New("read: boom"), ResultError},
		{"no plan and no error", live, nil, nil, ResultError},
		{"skipped without a cancel is no failure", live, &plan.Plan{Changes: []plan.Change{applied, skipped}}, nil, ResultSuccess},
		{"cut short by a cancel", stopped, &plan.Plan{Changes: []plan.Change{applied, skipped}}, nil, ResultCancelled},
		{"cut short while held", stopped, &plan.Plan{Changes: []plan.Change{skipped}, Held: []plan.Change{held}}, nil, ResultCancelled},
		{"failed, then cancelled", stopped, &plan.Plan{Changes: []plan.Change{failed}}, nil, ResultCancelled},
		{"reads cut short by a cancel", stopped, nil, context.Canceled, ResultCancelled},
		{"finished before the cancel took effect", stopped, &plan.Plan{Changes: []plan.Change{applied}}, nil, ResultSuccess},
		{"held when the cancel came", stopped, &plan.Plan{Held: []plan.Change{held}}, nil, ResultHeld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RunResult(tt.ctx, tt.plan, tt.err); got != tt.want {
				t.Errorf("RunResult() = %q, want %q", got, tt.want)
			}
		})
	}
}
