package bench

import (
	"testing"

	"github.com/teamsync/teamsync/providers/okta/oktasim"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/plan"
)

// offboardingWorld is the steady 10,000-member organization with
// offboarding on: the first member is its admin (the token's user), and
// leavers of them are DEPROVISIONED in Okta, in no group.
func offboardingWorld(leavers int) World {
	w := steady.Build()
	w.Buildkite.Members[0].Role = "admin"
	w.Mapping.Offboarding = &config.Offboarding{Source: "okta", Domains: []string{"acme.com"}, RevokeInvitations: true}
	inGroups := map[string]bool{}
	for _, g := range w.Okta.Groups {
		for _, u := range g.Users {
			inGroups[u.Email] = true
		}
	}
	left := 0
	for i := 1; i < len(w.Buildkite.Members); i++ {
		e := w.Buildkite.Members[i].Email
		if inGroups[e] {
			continue
		}
		status := "ACTIVE"
		if left < leavers {
			status, left = "DEPROVISIONED", left+1
		}
		w.Okta.Users = append(w.Okta.Users, oktasim.User{Email: e, Status: status})
	}
	return w
}

// TestOffboardingCost pins what offboarding adds to a plan of the steady
// 10,000-member organization: one paged read of every member (about two
// points a member) and one Okta user search per 20 people judged.
// Counts, not times.
func TestOffboardingCost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-member organization")
	}
	base := Start(t, steady.Build())
	without, _ := planOnce(t, base)
	r := Start(t, offboardingWorld(3))
	with, p := planOnce(t, r)
	t.Logf("without offboarding: %d Buildkite requests, %d points, %d Okta requests", without.buildkite, without.points, without.okta)
	t.Logf("with offboarding:    %d Buildkite requests, %d points, %d Okta requests; %+v", with.buildkite, with.points, with.okta, p.Summary)
	if p.Summary.RemoveOrgMember != 3 || len(p.Errors) != 0 || len(p.Held) != 0 {
		t.Fatalf("plan: %+v, errors %v, held %d; want 3 organization removals", p.Summary, p.Errors, len(p.Held))
	}
	judged := 10200 - 1 // everyone but the token's user
	if want := without.okta + (judged+19)/20; with.okta != want {
		t.Errorf("Okta requests = %d, want %d (one search per 20 judged)", with.okta, want)
	}
	if extra := with.points - without.points; extra > 2*10200+200 {
		t.Errorf("offboarding cost %d more points, budget about 2 a member", extra)
	}
}

// BenchmarkOffboarding10k plans the steady organization with offboarding.
func BenchmarkOffboarding10k(b *testing.B) {
	r := Start(b, offboardingWorld(3))
	var c cost
	var p *plan.Plan
	for range b.N {
		c, p = planOnce(b, r)
	}
	b.ReportMetric(float64(c.buildkite), "bk-requests/op")
	b.ReportMetric(float64(c.points), "bk-points/op")
	b.ReportMetric(float64(c.okta), "okta-requests/op")
	b.ReportMetric(float64(p.Summary.RemoveOrgMember), "removals/op")
}
