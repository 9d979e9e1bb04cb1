package okta_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// BenchmarkMembers2000 reads a 2,000-member group by name and reports the
// requests one read costs: one search and ten pages of 200.
func BenchmarkMembers2000(b *testing.B) { benchmarkMembers2000(b, false) }

// BenchmarkMembers2000Prepared is BenchmarkMembers2000 after Prepare
// resolved the name: ten pages, no search.
func BenchmarkMembers2000Prepared(b *testing.B) { benchmarkMembers2000(b, true) }

func benchmarkMembers2000(b *testing.B, prepared bool) {
	e := newEnv(b, oneGroup("Eng", people(2000, "acme.com")), oktasim.Options{RateLimit: 1 << 30})
	src := e.source(b, e.config())
	ctx := context.Background()
	if prepared {
		if err := src.(providers.Preparer).Prepare(ctx, []providers.GroupRef{ref("Eng")}); err != nil {
			b.Fatal(err)
		}
	}
	before := e.sim.TotalRequests()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got, err := src.Members(ctx, ref("Eng"))
		if err != nil || len(got) != 2000 {
			b.Fatalf("got %d members, error %v", len(got), err)
		}
	}
	b.ReportMetric(float64(e.sim.TotalRequests()-before)/float64(b.N), "requests/op")
}

func TestMembersConcurrently(t *testing.T) {
	// The reconciler reads groups in parallel through one source.
	var st oktasim.State
	for i := range 8 {
		st.Groups = append(st.Groups, oktasim.Group{
			Name: fmt.Sprintf("team-%d", i), Users: people(250+i, fmt.Sprintf("t%d.acme.com", i)),
		})
	}
	e := newEnv(t, st, oktasim.Options{})
	src := e.source(t, e.config())
	var wg sync.WaitGroup
	errs := make([]error, len(st.Groups))
	for i := range st.Groups {
		wg.Go(func() {
			got, err := src.Members(context.Background(), ref(fmt.Sprintf("team-%d", i)))
			if err == nil && len(got) != 250+i {
				err = fmt.Errorf("got %d members, want %d", len(got), 250+i)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("team-%d: %v", i, err)
		}
	}
}
