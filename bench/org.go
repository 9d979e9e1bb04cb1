package bench

import (
	"fmt"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// Org is an organization in serve's steady state: People members and
// Teams teams of Size members each, in overlapping windows of the people
// (team t holds people t·People/Teams onwards), so that everyone is in
// about Size·Teams/People teams. The first Leads of each team are its
// maintainers. Each team is fed by one Okta group (its members) and a
// users entry (its leads, as maintainers); Buildkite holds exactly what
// they say, except in the first Drift teams, whose groups have lost their
// last member and gained the person after it.
type Org struct {
	People, Teams, Size, Leads, Drift int
}

// The organizations the sizing table in docs/operations.md is measured on.
var (
	// OrgS is a small organization: 500 people, 20 teams of 50.
	OrgS = Org{People: 500, Teams: 20, Size: 50, Leads: 2}
	// OrgM is the 2,000-person organization with 5,800 team
	// memberships: 58 teams of 100.
	OrgM = Org{People: 2000, Teams: 58, Size: 100, Leads: 2}
	// OrgL is 10,000 people in 250 teams (Buildkite's most) of 160: 40,000
	// memberships.
	OrgL = Org{People: 10000, Teams: 250, Size: 160, Leads: 2}
)

// Memberships is how many team memberships the organization holds.
func (o Org) Memberships() int { return o.Teams * o.Size }

// Build makes the world.
func (o Org) Build() World {
	w := World{Buildkite: bksim.State{Organization: "acme"}}
	for i := range o.People {
		w.Buildkite.Members = append(w.Buildkite.Members, bksim.Member{Email: email(i)})
	}
	w.Mapping = &config.Mapping{
		Buildkite: config.Buildkite{Organization: "acme"},
		Sync: config.Sync{
			Policy: model.PolicyAuthoritative, MissingUsers: config.MissingReport,
			MaxRemovals: 1 << 30, MaxRemovalPercent: 100, FullReadEvery: config.DefaultFullReadEvery,
		},
	}
	stride := max(1, o.People/o.Teams)
	for t := range o.Teams {
		slug, group := fmt.Sprintf("team-%03d", t), fmt.Sprintf("Team %03d", t)
		team := bksim.Team{Slug: slug}
		var users []oktasim.User
		var leads []string
		for j := range o.Size {
			e := email((t*stride + j) % o.People)
			role := bksim.RoleMember
			if j < o.Leads {
				role = bksim.RoleMaintainer
				leads = append(leads, e)
			}
			team.Members = append(team.Members, bksim.TeamMember{Email: e, Role: role})
			if t >= o.Drift || j < o.Size-1 {
				users = append(users, oktasim.User{Email: e})
			}
		}
		if t < o.Drift {
			users = append(users, oktasim.User{Email: email((t*stride + o.Size) % o.People)})
		}
		w.Buildkite.Teams = append(w.Buildkite.Teams, team)
		w.Okta.Groups = append(w.Okta.Groups, oktasim.Group{Name: group, Users: users})
		groups := []config.Group{{Okta: group, Role: model.RoleMember}}
		if len(leads) > 0 {
			groups = append(groups, config.Group{Users: leads, Role: model.RoleMaintainer})
		}
		w.Mapping.Teams = append(w.Mapping.Teams, config.Team{
			Slug: slug, Name: slug, Privacy: config.PrivacySecret, Policy: model.PolicyAuthoritative, Groups: groups,
		})
	}
	return w
}
