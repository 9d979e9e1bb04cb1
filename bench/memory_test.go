package bench

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// The large organization with a run's worth of drift: 200 teams each lost
// a member and gained one, 400 changes.
func driftedL() Org {
	o := OrgL
	o.Drift = 200
	return o
}

const mib = 1 << 20

// heapRun is what one measured run held: the peak of the heap during it,
// and the heap live before it (the simulators and their seed, which share
// the process). peak − base is teamsync's peak plus the simulators'
// garbage of the run; BenchmarkRSSLarge measures the binary alone.
type heapRun struct {
	base, peak uint64
}

func (h heapRun) report(b *testing.B) {
	b.ReportMetric(float64(h.peak)/mib, "peak-heap-MiB")
	b.ReportMetric(float64(h.base)/mib, "seed-heap-MiB")
	b.ReportMetric(float64(h.peak-min(h.peak, h.base))/mib, "peak-above-seed-MiB")
}

// oneShot measures `teamsync plan` (or apply) of o: a Runner with no
// Memory, as the CLI builds it, against fresh simulators.
func oneShot(b *testing.B, o Org, apply bool) {
	var h heapRun
	b.ReportAllocs()
	for range b.N {
		b.StopTimer()
		s := StartServe(b, o.Build(), bksim.Options{})
		r := s.Runner(false)
		r.Memory = nil
		h.base = LiveHeap()
		b.StartTimer()
		peak := StartHeapPeak()
		run := r.Plan
		if apply {
			run = r.Apply
		}
		var res *reconcile.Result
		res, err := run(context.Background(), s.Mapping, plan.Options{})
		h.peak = peak.Stop()
		if err != nil {
			b.Fatal(err)
		}
		p, want := res.Plan, 2*o.Drift
		if n := len(p.Changes); n != want || (apply && p.Summary.Applied != want) {
			b.Fatalf("%d changes (%d applied), want %d", n, p.Summary.Applied, want)
		}
	}
	h.report(b)
}

// BenchmarkMemoryLarge measures the heap teamsync needs on the
// 10,000-person organization (OrgL: 250 teams, 40,000 memberships): a
// plan and an apply of 400 changes, a no-op plan, and serve after a full
// run and four quiet scheduled runs, which also reports what serve's
// memory of Buildkite keeps between runs. The simulators run in the same
// process: seed-heap-MiB is what they hold before the run,
// peak-above-seed-MiB the peak above it (their garbage included), and B/op
// counts both sides' allocations, so these are for comparing one commit
// with another; BenchmarkRSSLarge gives the binary's own figures.
//
//	go test ./bench -run '^$' -bench MemoryLarge -benchtime 1x
func BenchmarkMemoryLarge(b *testing.B) {
	b.Run("plan", func(b *testing.B) { oneShot(b, driftedL(), false) })
	b.Run("apply", func(b *testing.B) { oneShot(b, driftedL(), true) })
	b.Run("noop-plan", func(b *testing.B) { oneShot(b, OrgL, false) })
	b.Run("serve", func(b *testing.B) {
		var h heapRun // the peak over all five runs
		var kept uint64
		b.ReportAllocs()
		for range b.N {
			b.StopTimer()
			s := StartServe(b, OrgL.Build(), bksim.Options{})
			h.base = LiveHeap()
			b.StartTimer()
			peak := StartHeapPeak()
			for i := range 5 {
				if res := s.Run(b, false); res.Plan.HasChanges() || (i > 0 && res.Read.TeamsRead != 0) {
					b.Fatalf("run %d: %+v, read %d teams; want a quiet converged run", i, res.Plan.Summary, res.Read.TeamsRead)
				}
				s.Clock.Advance(15 * time.Minute)
			}
			h.peak = peak.Stop()
			b.StopTimer()
			kept = LiveHeap()
			kept -= min(kept, h.base)
			runtime.KeepAlive(s) // its Memory is what is measured
			b.StartTimer()
		}
		h.report(b)
		b.ReportMetric(float64(kept)/mib, "kept-between-runs-MiB")
	})
}
