package plan

import (
	"sort"
	"strings"

	"github.com/teamsync/teamsync/sync/model"
)

// snapshot is the Buildkite side of the diff with every key normalised again:
// callers promise lower-case keys, but a stray capital would otherwise turn a
// member into a removal plus an add.
type snapshot struct {
	slug        string
	members     map[string]bool                  // org members by email
	teams       map[string]map[string]model.Role // team slug → email → role
	teamErrors  map[string]string                // team slug → message
	invitations map[string]bool                  // emails with a pending invitation
}

// normaliseSlug lower-cases and trims a team slug.
func normaliseSlug(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// readSnapshot copies what the planner needs out of org, normalising keys.
// A nil org reads as an empty organization.
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
	for k, m := range org.Members {
		if e := firstEmail(k, m.Email); e != "" {
			s.members[e] = true
		}
	}
	for k, t := range org.Teams {
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
		for _, k := range sortedKeys(t.Members) {
			tm := t.Members[k]
			e := firstEmail(k, tm.Email)
			if e == "" {
				continue
			}
			// Two keys that normalise to one person keep the higher role, so
			// the result does not depend on map order.
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
	for k, inv := range org.Invitations {
		if e := firstEmail(k, inv.Email); e != "" {
			s.invitations[e] = true
		}
		if e := model.NormalizeEmail(inv.Email); e != "" {
			s.invitations[e] = true
		}
	}
	return s
}

// firstEmail is the normalised map key, or the record's own email when the
// key is blank.
func firstEmail(key, email string) string {
	if e := model.NormalizeEmail(key); e != "" {
		return e
	}
	return model.NormalizeEmail(email)
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
