package bksim_test

import (
	"fmt"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// bigOrg is 2,000 members and 250 teams of 20, the size the reference uses
// for a full read.
func bigOrg() bksim.State {
	st := bksim.State{Organization: "acme"}
	for i := range 2000 {
		st.Members = append(st.Members, bksim.Member{Email: fmt.Sprintf("user%04d@acme.com", i)})
	}
	for i := range 250 {
		t := bksim.Team{Slug: fmt.Sprintf("team-%03d", i)}
		for j := range 20 {
			t.Members = append(t.Members, bksim.TeamMember{Email: fmt.Sprintf("user%04d@acme.com", (i*20+j)%2000)})
		}
		st.Teams = append(st.Teams, t)
	}
	return st
}

// BenchmarkFullRead reads every member (4 pages of 500) and every team with
// its members (teams(first: 100) × members(first: 50), 3 pages), as the
// client's full read would, over HTTP with schema validation.
func BenchmarkFullRead(b *testing.B) {
	_, hs := bksimtest.StartWith(b, bigOrg(), bksim.Options{RateLimit: 1 << 30})
	members := `query($after: String) { organization(slug: "acme") { members(first: 500, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id role user { id email name } } } } } }`
	teams := `query($after: String) { organization(slug: "acme") { teams(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id slug name members(first: 50) { pageInfo { hasNextPage endCursor } edges { node { id role user { id email } } } } } } } } }`
	for b.Loop() {
		for _, q := range []string{members, teams} {
			var after any
			for {
				r := gql(b, hs.URL, q, map[string]any{"after": after})
				var d struct {
					Organization map[string]struct {
						PageInfo struct {
							HasNextPage bool
							EndCursor   string
						}
					}
				}
				r.decode(b, &d)
				var info struct {
					HasNextPage bool
					EndCursor   string
				}
				for _, v := range d.Organization {
					info = v.PageInfo
				}
				if !info.HasNextPage {
					break
				}
				after = info.EndCursor
			}
		}
	}
}

// BenchmarkMemberBatch is one aliased batch of 50 teamMemberCreate and
// then one of 50 teamMemberDelete, per op, in a 2,000-member organization.
func BenchmarkMemberBatch(b *testing.B) {
	_, hs := bksimtest.StartWith(b, bigOrg(), bksim.Options{RateLimit: 1 << 30})
	id := lookupIDs(b, hs.URL)
	team := id.Teams["team-000"]
	add := "mutation {"
	for j := range 50 {
		add += fmt.Sprintf(" a%d: teamMemberCreate(input: {teamID: %q, userID: %q, role: MEMBER}) { teamMemberEdge { node { id } } }", j, team, id.Users[fmt.Sprintf("user%04d@acme.com", 20+j)])
	}
	add += " }"
	for b.Loop() {
		var added map[string]struct {
			TeamMemberEdge struct{ Node struct{ ID string } }
		}
		gql(b, hs.URL, add, nil).decode(b, &added)
		del := "mutation {"
		for alias, a := range added {
			del += fmt.Sprintf(" %s: teamMemberDelete(input: {id: %q}) { deletedTeamMemberID }", alias, a.TeamMemberEdge.Node.ID)
		}
		del += " }"
		if r := gql(b, hs.URL, del, nil); len(r.Errors) > 0 {
			b.Fatal(r.messages())
		}
	}
}
