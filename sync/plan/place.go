package plan

import (
	"time"

	"slices"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// PeopleToPlace lists, sorted, the people the plan for m may need to place
// whose organization membership org does not already show: the active
// members of the groups that read (after sync.email_domains) who are
// neither in org.Members nor in any team org holds. The reconciler looks
// them up in Buildkite before Build, so that reading the organization costs
// requests in proportion to the drift, not to its size, and Build's
// not_in_organization is never a guess.
func PeopleToPlace(m *config.Mapping, reads map[string]GroupRead, org *model.Org, now time.Time) []string {
	if m == nil {
		return nil
	}
	snap := readSnapshot(org)
	known := func(email string) bool {
		if snap.members[email] {
			return true
		}
		for _, members := range snap.teams {
			if _, ok := members[email]; ok {
				return true
			}
		}
		return false
	}
	domains := m.Sync.EmailDomains
	seen := map[string]bool{}
	var out []string
	for _, t := range m.Teams {
		slug := normaliseSlug(t.Slug)
		for email := range desiredTeam(slug, t, reads, domains, now).desired {
			if !seen[email] && !known(email) {
				seen[email] = true
				out = append(out, email)
			}
		}
	}
	slices.Sort(out)
	return out
}
