package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// Buildkite's budgets: every request is charged to the token user's window
// and the organization's.
var realBudgets = bksim.Options{UserRateLimit: bksim.DefaultUserRateLimit, RateLimit: bksim.DefaultRateLimit}

// steadyRun is what serve's runs cost on a converged organization.
type steadyRun struct {
	full, quiet *reconcile.Result
	fullPoints  int // as the simulator charged them
	quietPoints int
}

// measureSteady starts serve on o, lets its first run read everything,
// then measures one quiet scheduled run (nothing changed in between).
func measureSteady(tb testing.TB, o Org, noAuditLog bool) steadyRun {
	tb.Helper()
	s := StartServe(tb, o.Build(), bksim.Options{NoAuditLog: noAuditLog})
	var r steadyRun
	s.Buildkite.ResetStats()
	r.full = s.Run(tb, false)
	r.fullPoints = s.Buildkite.Stats().ActualComplexity
	if r.full.Read.Mode != reconcile.ReadFull || r.full.Plan.HasChanges() {
		tb.Fatalf("first run: mode %s, changes %+v; want a full read of a converged organization", r.full.Read.Mode, r.full.Plan.Summary)
	}
	s.Clock.Advance(15 * time.Minute)
	s.Buildkite.ResetStats()
	r.quiet = s.Run(tb, false)
	r.quietPoints = s.Buildkite.Stats().ActualComplexity
	if r.quiet.Read.TeamsRead != 0 || r.quiet.Plan.HasChanges() {
		tb.Fatalf("quiet run read %d teams and planned %+v", r.quiet.Read.TeamsRead, r.quiet.Plan.Summary)
	}
	if r.quiet.Points != r.quietPoints || r.full.Points != r.fullPoints {
		tb.Fatalf("the client counted %d and %d points, the simulator charged %d and %d", r.full.Points, r.quiet.Points, r.fullPoints, r.quietPoints)
	}
	return r
}

// TestServeSteadyState: on a converged organization a quiet scheduled run
// reads no team, with the audit log or with fingerprints, and costs a
// small part of a full read. (The 10,000-person figures are measured by
// BenchmarkServeSteady.)
func TestServeSteadyState(t *testing.T) {
	for _, mode := range []struct {
		name    string
		noAudit bool
		want    string
		max     func(full int) int
	}{
		{"audit log", false, reconcile.ReadAudit, func(int) int { return 200 }},
		{"fingerprints", true, reconcile.ReadFingerprint, func(full int) int { return full / 10 }},
	} {
		t.Run(mode.name, func(t *testing.T) {
			r := measureSteady(t, OrgS, mode.noAudit)
			if r.quiet.Read.Mode != mode.want || r.quietPoints > mode.max(r.fullPoints) {
				t.Errorf("quiet run: mode %s, %d points (a full read: %d); want %s, at most %d",
					r.quiet.Read.Mode, r.quietPoints, r.fullPoints, mode.want, mode.max(r.fullPoints))
			}
			t.Logf("%s: full read %d points, quiet run %d points", mode.name, r.fullPoints, r.quietPoints)
		})
	}
}

// initialSync is serve's first run on o against Buildkite's real budgets,
// with windows shortened to a minute (the clock the waits move is fake
// anyway), then a full run to check it converged.
type initialSync struct {
	res          *reconcile.Result
	points       int
	requests     int
	rateLimited  int
	waits        int
	waited       time.Duration
	changesAfter int
}

func runInitialSync(tb testing.TB, o Org) initialSync {
	tb.Helper()
	opts := realBudgets
	opts.Window = time.Minute
	s := StartServe(tb, o.Build(), opts)
	var r initialSync
	r.res = s.Run(tb, false)
	st := s.Buildkite.Stats()
	r.points, r.requests, r.rateLimited = st.ActualComplexity, st.Requests, st.RateLimited
	r.waited, r.waits = s.Clock.Waited()
	if r.res.Plan.Summary.Failed != 0 {
		tb.Fatalf("the initial sync failed changes: %+v", r.res.Plan.Summary)
	}
	s.Clock.Advance(15 * time.Minute)
	after := s.Run(tb, true)
	r.changesAfter = len(after.Plan.Changes)
	if s.Buildkite.Stats().RateLimited != r.rateLimited {
		r.rateLimited = s.Buildkite.Stats().RateLimited
	}
	return r
}

// TestInitialSyncDrawsNo429: the first sync of the 2,000-person
// organization (5,800 memberships, about 12,000 points: more than two
// per-user windows), with ten teams out of step, under Buildkite's
// budgets, is paced so that no request is refused, and converges. (The
// 40,000-membership figure is measured by BenchmarkInitialSync.)
func TestInitialSyncDrawsNo429(t *testing.T) {
	o := OrgM
	o.Drift = 10
	r := runInitialSync(t, o)
	if r.rateLimited != 0 {
		t.Errorf("%d requests were refused with 429", r.rateLimited)
	}
	if got := r.res.Plan.Summary.Applied; got != 2*o.Drift {
		t.Errorf("applied %d changes, want %d", got, 2*o.Drift)
	}
	if r.changesAfter != 0 {
		t.Errorf("a full read after the sync plans %d changes: it did not converge", r.changesAfter)
	}
	if r.waits == 0 {
		t.Errorf("%d points against a per-user window of 5,000, and no wait", r.points)
	}
	t.Logf("%d points in %d requests, %d waits (%s), no 429", r.points, r.requests, r.waits, r.waited)
}

// BenchmarkServeSteady measures serve on converged organizations of three
// sizes: the points of the full read a run makes at start, and of a quiet
// scheduled run after it, with the audit log and with fingerprints.
//
//	go test ./bench -run '^$' -bench ServeSteady -benchtime 1x
func BenchmarkServeSteady(b *testing.B) {
	for _, o := range []struct {
		name string
		org  Org
	}{{"S", OrgS}, {"M", OrgM}, {"L", OrgL}} {
		for _, mode := range []struct {
			name    string
			noAudit bool
		}{{"audit", false}, {"fingerprint", true}} {
			b.Run(fmt.Sprintf("%s-%dmemberships/%s", o.name, o.org.Memberships(), mode.name), func(b *testing.B) {
				var r steadyRun
				for range b.N {
					r = measureSteady(b, o.org, mode.noAudit)
				}
				b.ReportMetric(float64(r.fullPoints), "full-points")
				b.ReportMetric(float64(r.quietPoints), "quiet-points")
				b.ReportMetric(100*float64(r.quietPoints)/float64(r.fullPoints), "quiet-%-of-full")
				b.ReportMetric(0, "ns/op")
				if o.org == OrgL {
					switch {
					case !mode.noAudit && r.quietPoints > 200:
						b.Errorf("a quiet run with the audit log spent %d points, more than 200", r.quietPoints)
					case mode.noAudit && 50*r.quietPoints > r.fullPoints:
						b.Errorf("a quiet run with fingerprints spent %d points, more than 2%% of a full read's %d", r.quietPoints, r.fullPoints)
					}
				}
			})
		}
	}
}

// BenchmarkInitialSync measures serve's first run on the 40,000-membership
// organization, with 25 teams out of step, under Buildkite's budgets
// (5,000 points per user and 20,000 per organization a window, the window
// shortened to a minute): it must draw no 429 and converge.
//
//	go test ./bench -run '^$' -bench InitialSync -benchtime 1x
func BenchmarkInitialSync(b *testing.B) {
	o := OrgL
	o.Drift = 25
	var r initialSync
	for range b.N {
		r = runInitialSync(b, o)
	}
	b.ReportMetric(float64(r.points), "points")
	b.ReportMetric(float64(r.requests), "requests")
	b.ReportMetric(float64(r.rateLimited), "429s")
	b.ReportMetric(float64(r.waits), "waits")
	b.ReportMetric(0, "ns/op")
	if r.rateLimited != 0 {
		b.Errorf("%d requests were refused with 429", r.rateLimited)
	}
	if r.changesAfter != 0 {
		b.Errorf("a full read after the sync plans %d changes: it did not converge", r.changesAfter)
	}
}
