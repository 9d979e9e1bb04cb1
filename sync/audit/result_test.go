package audit

import (
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Result(tt.plan); got != tt.want {
				t.Errorf("Result() = %q, want %q", got, tt.want)
			}
		})
	}
}
