package plan

import (
	"time"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// DesiredTeam is who one managed team should hold and why: the same
// desired state Build diffs against, for the views that explain access
// rather than change it (the access report, explain).
type DesiredTeam struct {
	// Slug is the team's slug, normalised as Build normalises it.
	Slug string
	// Policy is the team's policy as Build applies it (the team's own,
	// else sync.policy; observe for a policy it does not know).
	Policy model.Policy
	// Create says the mapping creates the team when Buildkite lacks it
	// (create: true).
	Create bool
	// Members are the people the team's groups grant, by email after
	// sync.email_domains.
	Members map[string]DesiredMember
	// Inactive says, by email, why people the groups list do not count
	// ("suspended in okta:X", "grant users expired at ..."): the reason of
	// a removal whose person is still listed.
	Inactive map[string]string
	// Errors are the groups whose read failed or is missing, one per
	// label (Error.Source), in mapping order. While any failed, the
	// team's membership is unknown, not empty.
	Errors []Error
	// Entries are the team's group entries in mapping order, with whom
	// each read lists.
	Entries []DesiredEntry
}

// DesiredMember is one person a team should hold.
type DesiredMember struct {
	// Role is the highest role their groups grant.
	Role model.Role
	// Groups are the labels of the groups that grant it, in mapping order.
	Groups []string
}

// DesiredEntry is one group entry of a team and what its read said.
type DesiredEntry struct {
	Label string // provenance label: okta:Name, google:email, users
	Key   string // config.Group.Key(), the key of its read
	Role  model.Role
	// Expires is when the entry stops granting (zero: never); Expired
	// reports that it had at the time Desired was given.
	Expires time.Time
	Expired bool
	// Err is why the entry's members are unknown (the read failed or was
	// not made); "" when it read.
	Err string
	// Listed are the rows of the read by email after sync.email_domains,
	// each with the email as the IdP gave it. When two rows rewrite to
	// one email an active one is kept, so a person counts as listed the
	// way the planner counts them. Nil when the read failed.
	Listed map[string]providers.Member
}

// Desired computes, for every managed team of m, its desired membership
// from the group reads (keyed by config.Group.Key()) at now, as Build
// does: a duplicate slug keeps its first entry. It is pure, and reads its
// inputs without changing them. A nil m has no teams.
func Desired(m *config.Mapping, reads map[string]GroupRead, now time.Time) map[string]DesiredTeam {
	out := map[string]DesiredTeam{}
	if m == nil {
		return out
	}
	domains := m.Sync.EmailDomains
	for _, t := range m.Teams {
		slug := normaliseSlug(t.Slug)
		if _, dup := out[slug]; dup {
			continue
		}
		src := desiredTeam(slug, t, reads, domains, now)
		d := DesiredTeam{
			Slug: slug, Policy: policyOf(t, m.Sync), Create: t.Create,
			Members:  make(map[string]DesiredMember, len(src.desired)),
			Inactive: src.inactive,
			Errors:   src.errors,
		}
		for email, w := range src.desired {
			d.Members[email] = DesiredMember{Role: w.role, Groups: w.groups}
		}
		for _, g := range t.Groups {
			d.Entries = append(d.Entries, desiredEntry(g, reads, domains, now))
		}
		out[slug] = d
	}
	return out
}

// desiredEntry is one entry of a team with the rows its read lists.
func desiredEntry(g config.Group, reads map[string]GroupRead, domains map[string]string, now time.Time) DesiredEntry {
	e := DesiredEntry{Label: g.Label(), Key: g.Key(), Role: roleOf(g), Expires: g.Expires, Expired: g.ExpiredAt(now)}
	read, ok := reads[e.Key]
	switch {
	case !ok:
		e.Err = msgNotRead
		return e
	case read.Err != nil:
		e.Err = read.Err.Error()
		return e
	}
	e.Listed = make(map[string]providers.Member, len(read.Members))
	for _, mem := range read.Members {
		email := RewriteEmail(mem.Email, domains)
		if email == "" {
			continue
		}
		if old, seen := e.Listed[email]; !seen || (!old.Active && mem.Active) {
			e.Listed[email] = mem
		}
	}
	return e
}
