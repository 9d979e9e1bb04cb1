package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Manages reports whether slug is one of the mapping's teams: teamsync
// touches no other.
func (m *Mapping) Manages(slug string) bool {
	return slices.ContainsFunc(m.Teams, func(t Team) bool { return t.Slug == slug })
}

// Select returns a copy of the mapping limited to the teams with the given
// slugs (for --team), in the mapping's order. No slugs selects every team.
// A slug the mapping does not define is an error that lists the ones it
// does. The copy shares nothing mutable with m. A selection of teams
// leaves offboarding out: it is organization-wide, and a run of some
// teams (--team, an Okta hook's) does not judge the whole organization.
func (m *Mapping) Select(slugs []string) (*Mapping, error) {
	want := map[string]bool{}
	for _, s := range slugs {
		want[s] = true
	}
	known := make([]string, 0, len(m.Teams))
	for _, t := range m.Teams {
		known = append(known, t.Slug)
	}
	var unknown []string
	for _, s := range slugs {
		if !slices.Contains(known, s) && !slices.Contains(unknown, s) {
			unknown = append(unknown, s)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(known)
		quoted := make([]string, len(unknown))
		for i, s := range unknown {
			quoted[i] = fmt.Sprintf("%q", s)
		}
		noun := "team"
		if len(unknown) > 1 {
			noun = "teams"
		}
		return nil, fmt.Errorf("%s: no %s %s; the teams are: %s", m.Path, noun, strings.Join(quoted, ", "), strings.Join(known, ", "))
	}

	c := *m
	c.Teams = make([]Team, 0, len(m.Teams))
	for _, t := range m.Teams {
		if len(slugs) == 0 || want[t.Slug] {
			c.Teams = append(c.Teams, t.clone())
		}
	}
	if m.Okta != nil {
		k := *m.Okta
		k.Scopes = slices.Clone(k.Scopes)
		c.Okta = &k
	}
	if m.Google != nil {
		g := *m.Google
		c.Google = &g
	}
	// Offboarding is about the whole organization, not about teams: a run
	// limited to some teams leaves it out.
	c.Offboarding = nil
	if m.Offboarding != nil && len(slugs) == 0 {
		o := *m.Offboarding
		o.Domains = slices.Clone(o.Domains)
		c.Offboarding = &o
	}
	c.Sync.ProtectedUsers = slices.Clone(m.Sync.ProtectedUsers)
	c.Sync.EmailDomains = maps.Clone(m.Sync.EmailDomains)
	c.lines = maps.Clone(m.lines)
	return &c, nil
}

// clone copies a team and its groups.
func (t Team) clone() Team {
	t.Groups = slices.Clone(t.Groups)
	for i := range t.Groups {
		t.Groups[i].Users = slices.Clone(t.Groups[i].Users)
	}
	return t
}
