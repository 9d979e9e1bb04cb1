// Package bench measures teamsync end to end at organization scale: the
// real clients and reconciler against the in-process simulators, counting
// the API requests and Buildkite complexity points one run costs. Figures
// are counts, not times, so they are the same on any machine; run
//
//	go test ./bench -run TestRequestBudget -v
//	go test ./bench -run '^$' -bench . -benchtime 3x
package bench

import (
	"fmt"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// Shape is the size of a synthetic organization.
type Shape struct {
	Members    int // organization members; those beyond Teams·TeamSize are in no team
	Teams      int // managed teams, each fed by one Okta group
	TeamSize   int // members of each team in Buildkite
	Drift      int // per team: people who left the group and people who joined it
	EmptyTeams bool
}

// World is the seed of the simulators and the mapping for a Shape.
type World struct {
	Buildkite bksim.State
	Okta      oktasim.State
	Mapping   *config.Mapping
}

func email(i int) string { return fmt.Sprintf("user%05d@acme.com", i) }

// Build makes the world: team t holds users [t·size, (t+1)·size); its
// Okta group drops the first Drift of them and adds Drift people from the
// pool of organization members beyond the teams.
func (s Shape) Build() World {
	w := World{Buildkite: bksim.State{Organization: "acme"}}
	for i := range s.Members {
		w.Buildkite.Members = append(w.Buildkite.Members, bksim.Member{Email: email(i)})
	}
	pool := s.Teams * s.TeamSize
	w.Mapping = &config.Mapping{
		Buildkite: config.Buildkite{Organization: "acme"},
		Sync: config.Sync{
			Policy: model.PolicyAuthoritative, MissingUsers: config.MissingReport,
			MaxRemovals: 1 << 30, MaxRemovalPercent: 100,
		},
	}
	for t := range s.Teams {
		slug := fmt.Sprintf("team-%03d", t)
		group := fmt.Sprintf("Team %03d", t)
		team := bksim.Team{Slug: slug}
		var users []oktasim.User
		for j := range s.TeamSize {
			i := t*s.TeamSize + j
			if !s.EmptyTeams {
				team.Members = append(team.Members, bksim.TeamMember{Email: email(i), Role: "member"})
			}
			if j >= s.Drift {
				users = append(users, oktasim.User{Email: email(i)})
			}
		}
		for d := range s.Drift {
			users = append(users, oktasim.User{Email: email(pool + (t*s.Drift+d)%max(1, s.Members-pool))})
		}
		w.Buildkite.Teams = append(w.Buildkite.Teams, team)
		w.Okta.Groups = append(w.Okta.Groups, oktasim.Group{Name: group, Users: users})
		w.Mapping.Teams = append(w.Mapping.Teams, config.Team{
			Slug: slug, Name: slug, Privacy: config.PrivacySecret, Policy: model.PolicyAuthoritative,
			Groups: []config.Group{{Okta: group, Role: model.RoleMember}},
		})
	}
	return w
}
