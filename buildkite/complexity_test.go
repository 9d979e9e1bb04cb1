package buildkite

import (
	"fmt"
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
		{"team follow-up page of 500", teamMembersPageQuery, map[string]any{"first": 500}, 1004},
		{"TeamsBatch 3 teams x 10", teamsBatchQuery(3).doc, map[string]any{"first": 10}, 3 * (4 + 2*10)},
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

func TestTeamBatchSize(t *testing.T) {
	tests := []struct {
		teams, pageSize int
		wantK, wantB    int
	}{
		{0, 500, 0, 0},
		{1, 500, 500, 1},
		{10, 500, 500, 10},
		{39, 500, 500, 39},  // 39 × (4 + 2·500) = 39,156
		{40, 500, 500, 39},  // one more needs a second query
		{250, 500, 500, 39}, // the org maximum: 7 queries
		{5, 2, 2, 5},        // tests' tiny pages
		{1000, 20, 20, 909}, // 909 × 44 = 39,996
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d teams page %d", tt.teams, tt.pageSize), func(t *testing.T) {
			k, b, err := teamBatchSize(tt.teams, tt.pageSize)
			if err != nil {
				t.Fatal(err)
			}
			if k != tt.wantK || b != tt.wantB {
				t.Errorf("teamBatchSize = (k %d, batch %d), want (%d, %d)", k, b, tt.wantK, tt.wantB)
			}
		})
	}
}

// TestTeamBatchesStayUnderLimit checks every size the first pass can pick
// against the estimator and Buildkite's hard limit.
func TestTeamBatchesStayUnderLimit(t *testing.T) {
	for _, pageSize := range []int{1, 2, 50, 100, 500} {
		for _, n := range []int{1, 2, 39, 40, 250, 1000} {
			k, b, err := teamBatchSize(n, pageSize)
			if err != nil {
				t.Fatal(err)
			}
			if k < 1 || k > pageSize || b < 1 || b > n {
				t.Fatalf("n=%d page=%d: k=%d batch=%d out of range", n, pageSize, k, b)
			}
			cost, err := estimateComplexity(teamsBatchQuery(b).doc, map[string]any{"first": k})
			if err != nil {
				t.Fatal(err)
			}
			if cost > complexityBudget || cost >= maxComplexity {
				t.Fatalf("n=%d page=%d: k=%d batch=%d costs %d, over %d", n, pageSize, k, b, cost, complexityBudget)
			}
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
