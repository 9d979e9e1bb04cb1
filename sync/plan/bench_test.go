package plan

import (
	"fmt"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// benchScenario is 100 teams of 100 desired people each (10,000 in all),
// fed by an Okta group of members and a Google group of maintainers that
// overlap, against teams that are about 90% in sync.
func benchScenario() scenario {
	const teams, perTeam = 100, 100
	var ts []config.Team
	reads := map[string]GroupRead{}
	org := orgOf(nil, nil)
	for i := range teams {
		slug := fmt.Sprintf("team-%03d", i)
		okta, google := "Eng "+slug, slug+"-leads@acme.com"
		ts = append(ts, team(slug, oktaGroup(okta, mem), googleGroup(google, mnt)))
		var engs, leads []providers.Member
		current := map[string]model.TeamMember{}
		for j := range perTeam {
			lower := model.NormalizeEmail(fmt.Sprintf("user-%03d-%03d@Acme.com", i, j)) // as providers give it
			engs = append(engs, providers.Member{Email: lower, Active: j%50 != 7})
			if j < 20 {
				leads = append(leads, providers.Member{Email: lower, Active: true})
			}
			if j%10 != 0 { // 10% are still to be added
				role := mem
				if j%25 == 0 {
					role = mnt
				}
				current[lower] = model.TeamMember{Email: lower, Role: role}
			}
			if j%30 != 0 { // 0, 30, 60 and 90 are not in the organization yet
				org.Members[lower] = model.Member{Email: lower}
			}
		}
		for j := range 3 { // people to remove
			e := fmt.Sprintf("former-%03d-%d@acme.com", i, j)
			current[e] = model.TeamMember{Email: e, Role: mem}
			org.Members[e] = model.Member{Email: e}
		}
		reads["okta:"+okta] = GroupRead{Members: engs}
		reads["google:"+google] = GroupRead{Members: leads}
		org.Teams[slug] = model.Team{Slug: slug, Members: current}
	}
	m := mapping(ts...)
	m.Sync.MissingUsers = config.MissingInvite
	m.Sync.MaxRemovals = 1000
	return scenario{m: m, reads: reads, org: org}
}

func BenchmarkBuild(b *testing.B) {
	s := benchScenario()
	b.ReportAllocs()
	for b.Loop() {
		p := s.build()
		if len(p.Changes) == 0 {
			b.Fatal("no changes")
		}
	}
}

func TestBenchScenarioPlans(t *testing.T) {
	// Per team: j%10==0 are not in the team (10), of whom 4 are not in the
	// organization (invites) and 6 are added; 1..19 but 10 are raised to
	// maintainer (18) and 25 and 75 lowered (2); 3 former members and j=57
	// (inactive) are removed.
	want := Summary{AddMember: 600, UpdateRole: 2000, RemoveMember: 400, Invite: 400}
	if got := benchScenario().build().Summary; got != want {
		t.Fatalf("bench plan summary %+v, want %+v", got, want)
	}
}
