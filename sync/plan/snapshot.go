package plan

import (
	"sort"
	"strings"

	"github.com/teamsync/teamsync/sync/model"
)

// snapshot is the Buildkite side of the diff. Its emails are org's keys as
// they are: the buildkite client normalised them (model.NormalizeEmail)
// when it read them, and normalising again here would hide which layer
// owns that.
type snapshot struct {
	slug        string
	members     map[string]bool                  // org members by email
	teams       map[string]map[string]model.Role // team slug → email → role
	teamErrors  map[string]string                // team slug → message
	invitations map[string]bool                  // emails with a pending invitation
}

// normaliseSlug lower-cases and trims a team slug.
func normaliseSlug(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// readSnapshot copies what the planner needs out of org, normalising team
// slugs. A nil org reads as an empty organization.
func readSnapshot(org *model.Org) snapshot {
	s := snapshot{
		members:     map[string]bool{},
		teams:       map[string]map[string]model.Role{},
		teamErrors:  map[string]string{},
		invitations: map[string]bool{},
	}
	if org == nil {
		return s
	}
	s.slug = org.Slug
	for e := range org.Members {
		s.members[e] = true
	}
	// Two team keys that normalise to one slug hold their people twice: the
	// higher role is kept, and keys are visited in order so that a tie is
	// settled the same way every run.
	for _, k := range sortedKeys(org.Teams) {
		t := org.Teams[k]
		slug := normaliseSlug(k)
		if slug == "" {
			slug = normaliseSlug(t.Slug)
		}
		if slug == "" {
			continue
		}
		members := s.teams[slug]
		if members == nil {
			members = map[string]model.Role{}
			s.teams[slug] = members
		}
		for e, tm := range t.Members {
			if old, ok := members[e]; !ok || tm.Role.Rank() > old.Rank() {
				members[e] = tm.Role
			}
		}
	}
	for k, err := range org.TeamErrors {
		msg := "team membership could not be read"
		if err != nil {
			msg = err.Error()
		}
		slug := normaliseSlug(k)
		// Keep the smallest message if two keys collide, for determinism.
		if old, ok := s.teamErrors[slug]; !ok || msg < old {
			s.teamErrors[slug] = msg
		}
	}
	for e := range org.Invitations {
		s.invitations[e] = true
	}
	return s
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
