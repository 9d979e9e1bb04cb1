package bench

import (
	"context"
	"slices"
	"testing"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// TestPlanBaseReadsOnlyTheChangedTeam: on the steady 10,000-person
// organization, a pull request that makes one team's group maintainers
// reads that team alone from Buildkite, and costs a fraction of a full
// plan's points. Counts, not times.
func TestPlanBaseReadsOnlyTheChangedTeam(t *testing.T) {
	r := Start(t, steady.Build())
	full, _ := planOnce(t, r)

	m := *r.Mapping
	m.Teams = slices.Clone(r.Mapping.Teams)
	changed := m.Teams[5]
	changed.Groups = slices.Clone(changed.Groups)
	changed.Groups[0].Role = model.RoleMaintainer
	m.Teams[5] = changed

	r.Buildkite.ResetStats()
	res, affected, err := r.Runner.PlanBase(context.Background(), &m, r.Mapping, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := r.Buildkite.Stats()
	t.Logf("full plan: %d Buildkite requests, %d points; --base plan of one team: %d requests, %d points, %d teams read",
		full.buildkite, full.points, st.Requests, st.ActualComplexity, st.ByOperation["team"])
	if !slices.Equal(affected, []string{changed.Slug}) || st.ByOperation["team"] != 1 {
		t.Fatalf("affected %v, %d teams read; want only %s", affected, st.ByOperation["team"], changed.Slug)
	}
	var scopes = map[string]int{}
	for _, c := range res.Plan.Changes {
		if c.Team != changed.Slug {
			t.Fatalf("a change outside the changed team: %+v", c)
		}
		scopes[c.Scope]++
	}
	// The change: the 98 who stay re-roled, and the team's 2 joiners
	// added as maintainers rather than members. Pending before it: the 2
	// leavers' removals.
	if scopes[plan.ScopeChange] != 100 || scopes[plan.ScopePending] != 2 {
		t.Fatalf("scopes %v", scopes)
	}
	if st.ActualComplexity*10 > full.points {
		t.Errorf("--base plan cost %d points, more than a tenth of the full plan's %d", st.ActualComplexity, full.points)
	}
}
