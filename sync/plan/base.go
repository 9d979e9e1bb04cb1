package plan

import (
	"time"

	"fmt"
	"slices"
	"strings"

	"github.com/teamsync/teamsync/sync/config"
)

// Scopes of a change in a plan against a base mapping (plan --base).
const (
	// ScopeChange: the mapping diff makes this change.
	ScopeChange = "change"
	// ScopePending: apply would make it under the base mapping too; it is
	// drift on a team the diff touches.
	ScopePending = "pending"
)

// TeamStates sums up, for each team of m, what the mapping makes of it
// given the group reads: its effective policy, how it would be created,
// each desired person's role and groups, and which groups failed or read
// empty. Two mappings that give a team the same state plan the same for
// it against any Buildkite, but for the run-wide removal budget.
func TeamStates(m *config.Mapping, reads map[string]GroupRead, now time.Time) map[string]string {
	out := make(map[string]string, len(m.Teams))
	domains := m.Sync.EmailDomains
	protected := make([]string, 0, len(m.Sync.ProtectedUsers))
	for u := range ProtectedSet(m.Sync.ProtectedUsers, domains) {
		protected = append(protected, u)
	}
	slices.Sort(protected)
	for _, t := range m.Teams {
		slug := normaliseSlug(t.Slug)
		if _, dup := out[slug]; dup {
			continue
		}
		src := desiredTeam(slug, t, reads, domains, now)
		var b strings.Builder
		fmt.Fprintf(&b, "policy=%s create=%t name=%q privacy=%q invite=%t protected=%q max_removal_percent=%d\n",
			policyOf(t, m.Sync), t.Create, t.Name, t.Privacy, inviteMode(m.Sync), protected, m.Sync.MaxRemovalPercent)
		emails := make([]string, 0, len(src.desired))
		for e := range src.desired {
			emails = append(emails, e)
		}
		slices.Sort(emails)
		for _, e := range emails {
			w := src.desired[e]
			fmt.Fprintf(&b, "want %s %s %q\n", e, w.role, w.groups)
		}
		fmt.Fprintf(&b, "failed=%q empty=%q\n", src.failed, src.empty)
		inactive := make([]string, 0, len(src.inactive))
		for e, why := range src.inactive {
			inactive = append(inactive, e+" "+why)
		}
		slices.Sort(inactive)
		fmt.Fprintf(&b, "inactive=%q\n", inactive)
		out[slug] = b.String()
	}
	return out
}

// Affected lists, sorted, the teams of m whose state (TeamStates) differs
// under base: teams base does not have included, teams m dropped left out
// (teamsync no longer touches them).
func Affected(base, m *config.Mapping, reads map[string]GroupRead, at time.Time) []string {
	was, now := TeamStates(base, reads, at), TeamStates(m, reads, at)
	var out []string
	for slug, state := range now {
		if was[slug] != state {
			out = append(out, slug)
		}
	}
	slices.Sort(out)
	return out
}

// Scope marks each change of p ScopePending when base, the plan of the
// same teams under the base mapping, has the same change, and ScopeChange
// otherwise. Two changes are the same when they would write the same
// thing; the groups that caused them may differ.
func Scope(p, base *Plan) {
	pending := make(map[string]bool, len(base.Changes))
	for _, c := range base.Changes {
		pending[changeKey(c)] = true
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		c.Scope = ScopeChange
		if pending[changeKey(*c)] {
			c.Scope = ScopePending
		}
	}
}

func changeKey(c Change) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%v", c.Action, c.Team, c.Email, c.FromRole, c.Role, c.Name, c.Privacy, c.Teams)
}

// scoped reports whether p's changes carry a scope (plan --base).
func (p *Plan) scoped() bool {
	for _, c := range p.Changes {
		if c.Scope != "" {
			return true
		}
	}
	return false
}

// byScope returns p's changes of scope s, in plan order.
func (p *Plan) byScope(s string) []Change {
	var out []Change
	for _, c := range p.Changes {
		if c.Scope == s {
			out = append(out, c)
		}
	}
	return out
}

// scopeSections are the two sections of a scoped plan, in order, as the
// text and markdown views title them.
var scopeSections = []struct{ scope, title string }{
	{ScopeChange, "this change"},
	{ScopePending, "already pending (drift on the same teams that apply would also fix)"},
}
