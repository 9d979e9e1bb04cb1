package buildkite

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The reference's OrgTeams query (buildkite-api.md §3.2), whose estimates
// the documented model gives as ≈51,000 / 48,500 / 25,100.
const orgTeamsDoc = `query OrgTeams($org: ID!, $teamsFirst: Int!, $teamsAfter: String, $membersFirst: Int!) {
  organization(slug: $org) {
    teams(first: $teamsFirst, after: $teamsAfter, order: NAME) {
      pageInfo { hasNextPage endCursor }
      edges { node {
        id uuid slug name privacy
        members(first: $membersFirst) {
          count
          pageInfo { hasNextPage endCursor }
          edges { node { id role user { id uuid email } } }
        }
      } }
    }
  }
}`

func TestEstimateComplexity(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		vars map[string]any
		want int
	}{
		{"docs pipelines example", `{ organization(slug: "a") { pipelines(first: 500) { edges { node { id } } } } }`, nil, 503},
		{"members first 100 with sso", `{ organization(slug: "a") { members(first: 100) { pageInfo { hasNextPage } edges { node { id sso { mode } user { id } } } } } }`, nil, 304},
		{"members first 500 with sso", `{ organization(slug: "a") { members(first: 500) { pageInfo { hasNextPage } edges { node { id sso { mode } user { id } } } } } }`, nil, 1504},
		{"250 teams x 100 members", orgTeamsDoc, map[string]any{"teamsFirst": 250, "membersFirst": 100}, 51_004},
		{"250 teams x 95 members", orgTeamsDoc, map[string]any{"teamsFirst": 250, "membersFirst": 95}, 48_504},
		{"25 teams x 500 members", orgTeamsDoc, map[string]any{"teamsFirst": 25, "membersFirst": 500}, 25_104},
		{"nodes shortcut", `{ organization(slug: "a") { members(first: 10) { nodes { id user { id } } } } }`, nil, 1 + 1 + 10 + 10},
		{"fragment spread", `query { organization(slug: "a") { ...F } } fragment F on Organization { members(first: 3) { edges { node { user { id } } } } }`, nil, 1 + 1 + 1 + 3 + 3},
		{"scalars only", `{ viewer { id } }`, nil, 1},
		{"OrgMembers page of 500", orgMembersQuery, map[string]any{"first": 500}, 1004},
		// The viewer (2) is counted on every page, as if included.
		{"OrgPeople page of 500", orgPeopleQuery, map[string]any{"first": 500, "viewer": true}, 2 + 1004},
		{"team follow-up page of 500", teamMembersPageQuery, map[string]any{"first": 500}, 1004},
		{"TeamsBatch 3 teams x 10", teamsBatchQuery(3).doc, map[string]any{"f0": 10, "f1": 10, "f2": 10}, 3 * (4 + 2*10)},
		{"TeamFingerprints 3 teams", teamFingerprintsQuery(3).doc, nil, 3 * 5},
		{"AuditEvents page of 50", auditEventsQuery, map[string]any{"first": 50}, 2 + 4 + 50*5},
		{"invitations 20 x 250 teams", orgInvitationsQuery, map[string]any{"first": 20, "teams": 250}, 4 + 20*503},
		// organization, then per email members + edges + 1 node + user.
		{"MembersByEmail 3 emails", membersByEmailQuery(3).doc, nil, 1 + 3*4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := estimateComplexity(tt.doc, tt.vars)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("estimate = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestEstimateComplexityErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		vars      map[string]any
		want      string
	}{
		{"unset variable", orgMembersQuery, nil, "variable $first of members.first is not set"},
		{"variable of the wrong type", orgMembersQuery, map[string]any{"first": "10"}, "variable $first of members.first is string, not int"},
		{"syntax error", `{ organization(slug: "a") {`, nil, "parse query:"},
		{"unknown fragment", `{ organization(slug: "a") { ...G } }`, nil, `unknown fragment "G"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := estimateComplexity(tt.doc, tt.vars)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestTeamBatches(t *testing.T) {
	slugs := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("t%03d", i)
		}
		return out
	}
	all := func(s []string, first int) map[string]int {
		m := make(map[string]int, len(s))
		for _, x := range s {
			m[x] = first
		}
		return m
	}
	sizes := func(b [][]string) []int {
		var out []int
		for _, x := range b {
			out = append(out, len(x))
		}
		return out
	}
	tests := []struct {
		name   string
		slugs  []string
		firsts map[string]int
		limit  int
		want   []int // teams per query
	}{
		{"none", nil, nil, complexityBudget, nil},
		{"one", slugs(1), all(slugs(1), 500), complexityBudget, []int{1}},
		{"39 full pages fit the budget", slugs(39), all(slugs(39), 500), complexityBudget, []int{39}}, // 39 × 1004 = 39,156
		{"40 need a second query", slugs(40), all(slugs(40), 500), complexityBudget, []int{39, 1}},
		{"the org maximum: 7 queries", slugs(250), all(slugs(250), 500), complexityBudget, []int{39, 39, 39, 39, 39, 39, 16}},
		{"a limit below the budget cuts smaller", slugs(10), all(slugs(10), 500), 2500, []int{2, 2, 2, 2, 2}},
		{"sized pages: 250 teams of 165", slugs(250), all(slugs(250), 165), 2500, []int{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 5}},
		{"a team beyond the limit still goes, alone", slugs(2), all(slugs(2), 500), 100, []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := teamBatches(tt.slugs, tt.firsts, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sizes(got), tt.want) {
				t.Errorf("teams per query = %v, want %v", sizes(got), tt.want)
			}
			for _, b := range got {
				cost, err := estimateComplexity(teamsBatchQuery(len(b)).doc, batchVars(b, tt.firsts))
				if err != nil {
					t.Fatal(err)
				}
				if len(b) > 1 && cost > min(tt.limit, complexityBudget) || cost >= maxComplexity {
					t.Errorf("a query of %d teams costs %d, over %d", len(b), cost, min(tt.limit, complexityBudget))
				}
			}
		})
	}
}

// batchVars are the page-size variables of a TeamsBatch query for b.
func batchVars(b []string, firsts map[string]int) map[string]any {
	vars := make(map[string]any, len(b))
	for i, s := range b {
		vars[firstVar(i)] = firsts[s]
	}
	return vars
}

func TestFingerprintBatchSize(t *testing.T) {
	for _, tt := range []struct{ limit, want int }{{complexityBudget, 8000}, {2500, 500}, {3, 1}} {
		got, err := fingerprintBatchSize(tt.limit)
		if err != nil || got != tt.want {
			t.Errorf("fingerprintBatchSize(%d) = %d, %v; want %d", tt.limit, got, err, tt.want)
		}
	}
}

// TestLookupBatchSize: the alias cap, not the budget, bounds a lookup
// query, and the largest one stays within the budget.
func TestLookupBatchSize(t *testing.T) {
	n, err := lookupBatchSize()
	if err != nil {
		t.Fatal(err)
	}
	if n != maxLookupAliases {
		t.Errorf("lookupBatchSize = %d, want %d", n, maxLookupAliases)
	}
	cost, err := estimateComplexity(membersByEmailQuery(n).doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cost != 1+4*n || cost > complexityBudget {
		t.Errorf("a lookup of %d emails costs %d, want %d and at most %d", n, cost, 1+4*n, complexityBudget)
	}
}

func TestLargestFirst(t *testing.T) {
	tests := []struct {
		name  string
		op    operation
		vars  map[string]any
		limit int
		want  int
	}{
		{"members capped by page size", opOrgMembers, nil, 500, 500},
		{"invitations capped by budget", opOrgInvitations, map[string]any{"teams": maxTeamsPerOrg}, 500, (complexityBudget - 4) / 503},
		{"invitations small page", opOrgInvitations, map[string]any{"teams": maxTeamsPerOrg}, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := largestFirst(tt.op, tt.vars, "first", tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("largestFirst = %d, want %d", got, tt.want)
			}
		})
	}
}
