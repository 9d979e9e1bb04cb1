package google

import (
	"slices"
	"strings"

	"github.com/teamsync/teamsync/sync/model"
)

// groupName is how a group appears in Member.Via: its email lower-cased,
// or its id for a row that has no email.
func groupName(id, email string) string {
	if e := strings.TrimSpace(email); e != "" {
		return strings.ToLower(e)
	}
	return id
}

// via returns, by normalised email, the chain of nested groups through
// which each person the walk met is in the group read, for Member.Via:
// outermost first, ending with the group that lists them directly, the
// group read itself left out; nil for a person the group lists itself.
//
// Of the chains that reach a person, via picks the shortest and, among
// those, the least when their group names are compared one by one. It
// is computed from what the walk recorded (which group lists which)
// after the walk, so neither the order pages arrive in nor the order
// groups are read in can change it: a group's chain is the least,
// by that order, of its listing groups' chains with the group added, level
// by level from the group read, and a group is given a chain once, at
// the first level it is reached, which also ends cycles.
func (w *walk) via() map[string][]string {
	chain := map[string][]string{w.root: nil}
	level := []string{w.root}
	for len(level) > 0 {
		next := map[string][]string{}
		for _, parent := range level {
			for _, child := range w.children[parent] {
				if _, done := chain[child]; done {
					continue
				}
				cand := append(slices.Clip(chain[parent]), child)
				if cur, ok := next[child]; !ok || slices.Compare(cand, cur) < 0 {
					next[child] = cand
				}
			}
		}
		level = level[:0]
		for child, c := range next {
			chain[child] = c
			level = append(level, child)
		}
	}
	out := map[string][]string{}
	for _, r := range w.users {
		email := model.NormalizeEmail(r.m.Email)
		c, reached := chain[r.group]
		if !reached {
			continue // cannot happen: every group read was reached
		}
		if cur, ok := out[email]; !ok || better(c, cur) {
			out[email] = c
		}
	}
	for email, c := range out {
		out[email] = slices.Clone(c) // nil stays nil; no member shares another's
	}
	return out
}

// better reports whether chain a is preferred to b: shorter, or as long
// and less, name by name.
func better(a, b []string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return slices.Compare(a, b) < 0
}
