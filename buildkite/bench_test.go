package buildkite

import (
	"context"
	"fmt"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
)

// BenchmarkReadOrg reads an organization of 10,000 members and 100 managed
// teams of 20 to 499 members from the simulator, and reports the requests
// and actual complexity points one read costs.
func BenchmarkReadOrg(b *testing.B) {
	st := bksim.State{Organization: "acme"}
	for i := range 10_000 {
		st.Members = append(st.Members, bksim.Member{Email: fmt.Sprintf("user%05d@acme.com", i)})
	}
	var slugs []string
	next := 0
	for i := range 100 {
		team := bksim.Team{Slug: fmt.Sprintf("team-%03d", i)}
		for range 20 + (i*97)%480 {
			team.Members = append(team.Members, bksim.TeamMember{Email: st.Members[next%len(st.Members)].Email})
			next++
		}
		st.Teams = append(st.Teams, team)
		slugs = append(slugs, team.Slug)
	}
	srv, ts := startSim(b, st)
	c, err := New(Config{URL: ts.URL, Organization: "acme", Token: "test-token"})
	if err != nil {
		b.Fatal(err)
	}
	srv.ResetStats()
	b.ResetTimer()
	for b.Loop() {
		org, err := c.ReadOrg(context.Background(), slugs)
		if err != nil {
			b.Fatal(err)
		}
		if len(org.Members) != 10_000 || len(org.Teams) != 100 || len(org.TeamErrors) != 0 {
			b.Fatalf("read %d members, %d teams, %d team errors", len(org.Members), len(org.Teams), len(org.TeamErrors))
		}
	}
	s := srv.Stats()
	b.ReportMetric(float64(s.Requests)/float64(b.N), "requests/read")
	b.ReportMetric(float64(s.ActualComplexity)/float64(b.N), "points/read")
	if s.Rejected != 0 || s.RateLimited != 0 {
		b.Fatalf("simulator rejected %d and rate-limited %d requests", s.Rejected, s.RateLimited)
	}
}
