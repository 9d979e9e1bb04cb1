package buildkite

import (
	"context"
	"fmt"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
)

// BenchmarkReadOrg reads an organization of 10,000 members and 100 managed
// teams of 20 to 499 members from the simulator, then looks up 10 people
// the teams do not show (8 members outside every managed team and 2
// strangers), as a run that places them does. It reports the requests and
// actual complexity points of the whole read, and of the lookup alone.
func BenchmarkReadOrg(b *testing.B) {
	const outside = 8 // the last members are in no managed team
	st := bksim.State{Organization: "acme"}
	for i := range 10_000 {
		st.Members = append(st.Members, bksim.Member{Email: fmt.Sprintf("user%05d@acme.com", i)})
	}
	var slugs []string
	next := 0
	for i := range 100 {
		team := bksim.Team{Slug: fmt.Sprintf("team-%03d", i)}
		for range 20 + (i*97)%480 {
			team.Members = append(team.Members, bksim.TeamMember{Email: st.Members[next%(len(st.Members)-outside)].Email})
			next++
		}
		st.Teams = append(st.Teams, team)
		slugs = append(slugs, team.Slug)
	}
	var lookup []string
	for i := range outside {
		lookup = append(lookup, st.Members[len(st.Members)-1-i].Email)
	}
	lookup = append(lookup, "stranger1@acme.com", "stranger2@acme.com")

	srv, ts := startSim(b, st)
	c, err := New(Config{URL: ts.URL, Organization: "acme", Token: "test-token"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	srv.ResetStats()
	var lookupRequests, lookupPoints int
	b.ResetTimer()
	for b.Loop() {
		org, err := c.ReadOrg(ctx, slugs)
		if err != nil {
			b.Fatal(err)
		}
		if len(org.Members) != 10_000-outside || len(org.Teams) != 100 || len(org.TeamErrors) != 0 {
			b.Fatalf("read %d members, %d teams, %d team errors", len(org.Members), len(org.Teams), len(org.TeamErrors))
		}
		before := srv.Stats()
		found, err := c.LookupMembers(ctx, lookup)
		if err != nil {
			b.Fatal(err)
		}
		if len(found) != outside {
			b.Fatalf("looked up %d of %d members", len(found), outside)
		}
		after := srv.Stats()
		lookupRequests += after.Requests - before.Requests
		lookupPoints += after.ActualComplexity - before.ActualComplexity
	}
	s := srv.Stats()
	b.ReportMetric(float64(s.Requests)/float64(b.N), "requests/read")
	b.ReportMetric(float64(s.ActualComplexity)/float64(b.N), "points/read")
	b.ReportMetric(float64(lookupRequests)/float64(b.N), "requests/lookup")
	b.ReportMetric(float64(lookupPoints)/float64(b.N), "points/lookup")
	if s.Rejected != 0 || s.RateLimited != 0 {
		b.Fatalf("simulator rejected %d and rate-limited %d requests", s.Rejected, s.RateLimited)
	}
}
