package config

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/teamsync/teamsync/sync/model"
)

// teams decodes the teams list. Policies default to sync.policy, so the
// sync section must be decoded first.
func (d *decoder) teams(root object, m *Mapping) []Team {
	v, line := root.value("teams")
	switch {
	case v == nil:
		d.add(max(line, root.line), "", "teams must list at least one team")
		return nil
	case v.Kind != yaml.SequenceNode:
		d.add(line, "", "teams must be a list, got %s", describe(v))
		return nil
	case len(v.Content) == 0:
		d.add(line, "", "teams must list at least one team")
		return nil
	}
	type first struct{ idx, line int }
	bySlug := map[string]first{}
	teams := make([]Team, 0, len(v.Content))
	for i, n := range v.Content {
		t, slugLine, ok := d.team(n, i, m)
		if !ok {
			continue
		}
		if t.Slug != "" {
			if f, dup := bySlug[t.Slug]; dup {
				d.add(slugLine, fmt.Sprintf("teams[%d]", i), "slug %q is already used by teams[%d] (line %d)", t.Slug, f.idx, f.line)
			} else {
				bySlug[t.Slug] = first{idx: i, line: slugLine}
			}
		}
		teams = append(teams, t)
	}
	return teams
}

// team decodes teams[i]; slugLine is the line of its slug, for the
// duplicate check.
func (d *decoder) team(n *yaml.Node, i int, m *Mapping) (t Team, slugLine int, ok bool) {
	o, ok := d.object(n, n.Line, "", fmt.Sprintf("teams[%d]", i), knownKeys("team"))
	if !ok {
		return Team{}, 0, false
	}
	t = Team{Line: n.Line, Privacy: PrivacySecret, Policy: m.Sync.Policy}

	slug, slugAt := d.str(o, "slug")
	switch {
	case slugAt.absent() || (slugAt.ok && slug == ""):
		d.add(max(slugAt.line, o.line), o.path, "slug is required")
	case slugAt.ok && !validSlug(slug):
		hint := ""
		if s := model.Slugify(slug); s != "" {
			hint = fmt.Sprintf(", such as %q", s)
		}
		d.add(slugAt.line, o.path, "slug %q is not a valid slug; use lower-case letters, digits and single \"-\" between them%s", slug, hint)
	}
	t.Slug, t.Name = slug, slug

	if name, nameAt := d.str(o, "name"); nameAt.ok {
		if validSlug(slug) && model.Slugify(name) != slug {
			d.add(nameAt.line, o.path, "name %q slugifies to %q, not to slug %q", name, model.Slugify(name), slug)
		}
		t.Name = name
	}
	t.Create, _ = d.boolean(o, "create")
	if p, pAt := d.str(o, "privacy"); pAt.ok {
		if p != PrivacySecret && p != PrivacyVisible {
			d.add(pAt.line, o.path, "privacy %q is not one of %s", p, oneOf(PrivacySecret, PrivacyVisible))
		}
		t.Privacy = p
	}
	if p, pAt := d.str(o, "policy"); pAt.ok {
		t.Policy = d.policy(model.Policy(p), pAt.line, o.path)
	}

	gv, gLine := o.value("groups")
	switch {
	case gv == nil:
		d.add(max(gLine, o.line), o.path, "groups must list at least one group")
	case gv.Kind != yaml.SequenceNode:
		d.add(gLine, o.path, "groups must be a list, got %s", describe(gv))
	case len(gv.Content) == 0:
		d.add(gLine, o.path, "groups must list at least one group")
	default:
		for j, gn := range gv.Content {
			if g, ok := d.group(gn, o.path, j, m); ok {
				t.Groups = append(t.Groups, g)
			}
		}
	}
	return t, slugAt.line, true
}

// group decodes one group entry of the team at teamPath.
func (d *decoder) group(n *yaml.Node, teamPath string, j int, m *Mapping) (Group, bool) {
	o, ok := d.object(n, n.Line, teamPath, fmt.Sprintf("groups[%d]", j), knownKeys("group"))
	if !ok {
		return Group{}, false
	}
	g := Group{Role: model.RoleMember, Line: n.Line}

	okta, oktaAt := d.str(o, "okta")
	google, googleAt := d.str(o, "google")
	users, usersAt := d.stringList(o, "users")
	var sources []string
	for _, s := range []struct {
		name string
		at   at
	}{{"okta", oktaAt}, {"google", googleAt}, {"users", usersAt}} {
		if !s.at.absent() {
			sources = append(sources, s.name)
		}
	}
	switch len(sources) {
	case 0:
		d.add(o.line, o.path, "names no source; set one of okta, google or users")
	case 1:
	default:
		d.add(o.line, o.path, "names more than one source (%s); set exactly one", strings.Join(sources, ", "))
	}

	switch {
	case !oktaAt.ok:
	case okta == "":
		d.add(oktaAt.line, o.path, "okta is empty; name an Okta group by name or id")
	case m.Okta == nil:
		d.add(o.line, o.path, "names an okta group but the file has no okta section")
	}
	switch {
	case !googleAt.ok:
	case google == "":
		d.add(googleAt.line, o.path, "google is empty; name a Google group by email")
	case m.Google == nil:
		d.add(o.line, o.path, "names a google group but the file has no google section")
	}
	if usersAt.ok {
		if v, _ := o.value("users"); len(v.Content) == 0 {
			d.add(usersAt.line, o.path, "users is empty; list at least one email")
		}
		g.Users = d.emails(users, o.path, "users")
	}
	g.Okta, g.Google = okta, google

	if r, rAt := d.str(o, "role"); rAt.ok {
		g.Role = model.Role(r)
		if !g.Role.Valid() {
			d.add(rAt.line, o.path, "role %q is not one of %s", r, oneOf(model.RoleMember, model.RoleMaintainer))
		}
	}
	g.AllowEmpty, _ = d.boolean(o, "allow_empty")
	g.Expires, g.ExpiresLine = d.expires(o)
	return g, true
}

// expires reads a group entry's expires: a date (the end of that day in
// UTC, so the first moment after it is returned) or an RFC 3339 time.
func (d *decoder) expires(o object) (time.Time, int) {
	v, line := o.value("expires")
	if v == nil {
		return time.Time{}, 0
	}
	if v.Kind != yaml.ScalarNode {
		d.add(line, o.path, "expires must be a date (2026-12-31) or an RFC 3339 time (2026-12-31T18:00:00Z), got %s", describe(v))
		return time.Time{}, line
	}
	if day, err := time.Parse(time.DateOnly, v.Value); err == nil {
		return day.AddDate(0, 0, 1), line
	}
	if t, err := time.Parse(time.RFC3339, v.Value); err == nil {
		return t.UTC(), line
	}
	d.add(line, o.path, "expires %q is not a date (2026-12-31) or an RFC 3339 time (2026-12-31T18:00:00Z)", v.Value)
	return time.Time{}, line
}
