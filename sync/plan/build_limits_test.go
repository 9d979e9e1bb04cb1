package plan

import (
	"testing"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// shrink returns a case where a team of size members keeps size-remove of
// them; everyone is a member of the okta group Eng.
func shrink(slug string, size, remove int) (config.Team, GroupRead, map[string]model.Role) {
	people := roster(slug, size)
	return team(slug, oktaGroup("Eng-"+slug, mem)),
		GroupRead{Members: active(people[remove:]...)},
		rolesOf(mem, people...)
}

func removals(slug string, from, to int, guard string) []string {
	out := []string{}
	for _, e := range roster(slug, to)[from:] {
		s := "remove_member " + slug + " " + e + " member"
		if guard != "" {
			s = guard + ": " + s
		}
		out = append(out, s)
	}
	return out
}

func TestBuildRemovalLimits(t *testing.T) {
	ten, tenRead, tenNow := shrink("ten", 10, 3)
	tenMore, tenMoreRead, tenMoreNow := shrink("ten", 10, 4)
	nine, nineRead, nineNow := shrink("nine", 9, 5)
	a, aRead, aNow := shrink("a", 3, 2)
	b, bRead, bNow := shrink("b", 3, 1)
	two := 2
	three := 3
	zero := 0
	withMax := func(n int, teams ...config.Team) *config.Mapping {
		m := mapping(teams...)
		m.Sync.MaxRemovals = n
		return m
	}
	ab := func(n int) *config.Mapping { return withMax(n, a, b) }
	abReads := map[string]GroupRead{"okta:Eng-a": aRead, "okta:Eng-b": bRead}
	abOrg := orgOf(nil, map[string]map[string]model.Role{"a": aNow, "b": bNow})

	runBuildCases(t, []buildCase{
		{
			name:    "exactly max_removal_percent of a 10-member team is allowed",
			m:       mapping(ten),
			reads:   map[string]GroupRead{"okta:Eng-ten": tenRead},
			org:     orgOf(nil, map[string]map[string]model.Role{"ten": tenNow}),
			changes: removals("ten", 0, 3, ""),
		},
		{
			name:  "more than max_removal_percent holds all the team's removals",
			m:     mapping(tenMore),
			reads: map[string]GroupRead{"okta:Eng-ten": tenMoreRead},
			org:   orgOf(nil, map[string]map[string]model.Role{"ten": tenMoreNow}),
			held:  removals("ten", 0, 4, GuardMaxRemovalPercent),
		},
		{
			name:    "a 9-member team is exempt from max_removal_percent",
			m:       mapping(nine),
			reads:   map[string]GroupRead{"okta:Eng-nine": nineRead},
			org:     orgOf(nil, map[string]map[string]model.Role{"nine": nineNow}),
			changes: removals("nine", 0, 5, ""),
		},
		{
			name:    "removals up to max_removals go ahead",
			m:       ab(3),
			reads:   abReads,
			org:     abOrg,
			changes: append(removals("a", 0, 2, ""), removals("b", 0, 1, "")...),
		},
		{
			name:  "more removals than max_removals holds all of them, across teams",
			m:     ab(2),
			reads: abReads,
			org:   abOrg,
			held:  append(removals("a", 0, 2, GuardMaxRemovals), removals("b", 0, 1, GuardMaxRemovals)...),
		},
		{
			name:    "AllowRemovals replaces max_removals upwards",
			m:       ab(2),
			reads:   abReads,
			org:     abOrg,
			opts:    Options{AllowRemovals: &three},
			changes: append(removals("a", 0, 2, ""), removals("b", 0, 1, "")...),
		},
		{
			name:  "AllowRemovals replaces max_removals downwards",
			m:     ab(25),
			reads: abReads,
			org:   abOrg,
			opts:  Options{AllowRemovals: &two},
			held:  append(removals("a", 0, 2, GuardMaxRemovals), removals("b", 0, 1, GuardMaxRemovals)...),
		},
		{
			name:  "AllowRemovals 0 holds every removal",
			m:     ab(25),
			reads: abReads,
			org:   abOrg,
			opts:  Options{AllowRemovals: &zero},
			held:  append(removals("a", 0, 2, GuardMaxRemovals), removals("b", 0, 1, GuardMaxRemovals)...),
		},
		{
			name: "max_removals counts only removals earlier guards let through",
			m: func() *config.Mapping {
				m := withMax(2, a, b)
				m.Teams[0].Groups = append(m.Teams[0].Groups, oktaGroup("Empty", mem))
				return m
			}(),
			reads:   map[string]GroupRead{"okta:Eng-a": aRead, "okta:Eng-b": bRead, "okta:Empty": {}},
			org:     abOrg,
			changes: removals("b", 0, 1, ""),
			held:    removals("a", 0, 2, GuardEmptyGroup),
		},
	})
}
