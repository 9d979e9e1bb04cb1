package google_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/teamsync/teamsync/providers/google/googlesim"
)

// BenchmarkMembers2000 reads a 2,000-member group as one run would: a new
// provider (so a token fetch), groups.get, then every members page. It
// reports the requests the simulator saw per read.
func BenchmarkMembers2000(b *testing.B) {
	for _, bc := range []struct {
		name string
		st   googlesim.State
	}{
		{"flat", googlesim.State{Groups: []googlesim.Group{{Email: "big@acme.com", Members: users(2000, "")}}}},
		{"ten_nested_groups", nestedState(10, 200)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, bc.st, googlesim.Options{})
			e.sim.ResetCounts()
			for b.Loop() {
				got, err := e.provider(b, nil).Members(context.Background(), ref("big@acme.com"))
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != 2000 {
					b.Fatalf("got %d members", len(got))
				}
			}
			b.ReportMetric(float64(e.sim.TotalRequests())/float64(b.N), "requests/op")
			b.ReportMetric(float64(e.sim.Requests("/token"))/float64(b.N), "token-requests/op")
		})
	}
}

// nestedState is big@acme.com holding n groups of size people each.
func nestedState(n, size int) googlesim.State {
	top := googlesim.Group{Email: "big@acme.com"}
	st := googlesim.State{}
	for i := range n {
		g := googlesim.Group{Email: fmt.Sprintf("team%02d@acme.com", i)}
		for j := range size {
			g.Members = append(g.Members, googlesim.Member{Email: fmt.Sprintf("u%02d-%03d@acme.com", i, j)})
		}
		top.Members = append(top.Members, googlesim.Member{Email: g.Email, Type: "GROUP"})
		st.Groups = append(st.Groups, g)
	}
	st.Groups = append(st.Groups, top)
	return st
}
