package bench

import (
	"context"
	"testing"

	"github.com/teamsync/teamsync/sync/plan"
)

// steady is a large organization in its everyday state: 10,200 members,
// 100 teams of 100, two joiners (from the 200 in no team) and two leavers
// per team.
var steady = Shape{Members: 10200, Teams: 100, TeamSize: 100, Drift: 2}

// firstSync is the same organization the day teamsync is switched on:
// every team exists but is empty.
var firstSync = Shape{Members: 10200, Teams: 100, TeamSize: 100, Drift: 2, EmptyTeams: true}

// cost is what one run sent.
type cost struct {
	buildkite, mutations, points, okta int
}

func planOnce(tb testing.TB, r *Rig) (cost, *plan.Plan) {
	tb.Helper()
	r.Buildkite.ResetStats()
	oktaBefore := r.Okta.TotalRequests()
	res, err := r.Runner.Plan(context.Background(), r.Mapping, plan.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	st := r.Buildkite.Stats()
	return cost{st.Requests, st.Mutations, st.ActualComplexity, r.Okta.TotalRequests() - oktaBefore}, res.Plan
}

// TestRequestBudget pins how many requests a plan of a 10,000-person
// organization costs. Counts, not times: they do not depend on the machine.
func TestRequestBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-member organization")
	}
	for _, tt := range []struct {
		name      string
		shape     Shape
		adds      int
		maxBK     int // Buildkite requests
		maxPoints int // actual complexity points
		// oktaPerRun is exact: the 100 group names resolved in 5 batched
		// searches of 20 (okta Prepare), then one page per group.
		// Without batching it was 200, a search and a page per group.
		oktaPerRun int
	}{
		// 3 team batches, invitations, 2 lookups of 100 of the 200 joiners.
		{"steady", steady, 200, 6, 25000, 105},
		// Everyone must be placed: above the lookup threshold the member
		// list is paged instead (20 pages of 500).
		{"first sync", firstSync, 10000, 26, 45000, 105},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := Start(t, tt.shape.Build())
			c, p := planOnce(t, r)
			t.Logf("%s: %d Buildkite requests, %d actual points, %d Okta requests; plan: %+v",
				tt.name, c.buildkite, c.points, c.okta, p.Summary)
			if p.Summary.AddMember != tt.adds || len(p.Errors) != 0 {
				t.Fatalf("plan summary %+v, errors %v; want %d adds", p.Summary, p.Errors, tt.adds)
			}
			if c.mutations != 0 {
				t.Errorf("plan sent %d mutations", c.mutations)
			}
			if c.buildkite > tt.maxBK {
				t.Errorf("plan sent %d Buildkite requests, budget %d", c.buildkite, tt.maxBK)
			}
			if c.points > tt.maxPoints {
				t.Errorf("plan cost %d actual complexity points, budget %d", c.points, tt.maxPoints)
			}
			if c.okta != tt.oktaPerRun {
				t.Errorf("plan sent %d Okta requests, want %d (5 batched name searches and one page per group)", c.okta, tt.oktaPerRun)
			}
		})
	}
}

func benchmarkPlan(b *testing.B, s Shape) {
	r := Start(b, s.Build())
	var c cost
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c, _ = planOnce(b, r)
	}
	b.ReportMetric(float64(c.buildkite), "bk-requests/op")
	b.ReportMetric(float64(c.points), "bk-points/op")
	b.ReportMetric(float64(c.okta), "okta-requests/op")
}

// BenchmarkPlanSteady10k plans the steady 10,000-member organization.
func BenchmarkPlanSteady10k(b *testing.B) { benchmarkPlan(b, steady) }

// BenchmarkPlanFirstSync10k plans the first sync of the same organization.
func BenchmarkPlanFirstSync10k(b *testing.B) { benchmarkPlan(b, firstSync) }
