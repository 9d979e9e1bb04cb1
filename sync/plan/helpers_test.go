package plan

import (
	"fmt"
	"strings"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// Short names for roles and policies in tables.
const (
	mem = model.RoleMember
	mnt = model.RoleMaintainer
)

// active returns active IdP members with the given emails, normalised
// with model.NormalizeEmail as every provider does.
func active(emails ...string) []providers.Member {
	out := make([]providers.Member, 0, len(emails))
	for _, e := range emails {
		out = append(out, providers.Member{Email: model.NormalizeEmail(e), Status: "ACTIVE", Active: true})
	}
	return out
}

// inactive returns a deprovisioned IdP member, email normalised.
func inactive(email string) providers.Member {
	return providers.Member{Email: model.NormalizeEmail(email), Status: "SUSPENDED"}
}

func oktaGroup(name string, role model.Role) config.Group {
	return config.Group{Okta: name, Role: role}
}

func googleGroup(email string, role model.Role) config.Group {
	return config.Group{Google: email, Role: role}
}

func usersGroup(role model.Role, users ...string) config.Group {
	return config.Group{Users: users, Role: role}
}

func team(slug string, groups ...config.Group) config.Team {
	return config.Team{Slug: slug, Name: slug, Privacy: "secret", Groups: groups}
}

// mapping returns a mapping for org acme with the documented defaults.
func mapping(teams ...config.Team) *config.Mapping {
	return &config.Mapping{
		Path:      "mapping.yaml",
		Buildkite: config.Buildkite{Organization: "acme"},
		Sync: config.Sync{
			Policy:            model.PolicyAuthoritative,
			MissingUsers:      config.MissingReport,
			MaxRemovals:       config.DefaultMaxRemovals,
			MaxRemovalPercent: config.DefaultMaxRemovalPercent,
		},
		Teams: teams,
	}
}

// orgOf builds an organization whose members are the given emails plus
// everyone in teams; teams maps slug → email → role. Emails are normalised
// with model.NormalizeEmail, as the buildkite client does when it reads an
// organization.
func orgOf(members []string, teams map[string]map[string]model.Role) *model.Org {
	o := &model.Org{
		Slug: "acme", ID: "org-1",
		Members:     map[string]model.Member{},
		Teams:       map[string]model.Team{},
		TeamErrors:  map[string]error{},
		Invitations: map[string]model.Invitation{},
	}
	add := func(e string) {
		e = model.NormalizeEmail(e)
		o.Members[e] = model.Member{ID: "om-" + e, UserID: "u-" + e, Email: e}
	}
	for _, e := range members {
		add(e)
	}
	for slug, ms := range teams {
		t := model.Team{ID: "t-" + slug, Slug: slug, Name: slug, Members: map[string]model.TeamMember{}}
		for e, r := range ms {
			add(e)
			e = model.NormalizeEmail(e)
			t.Members[e] = model.TeamMember{ID: "tm-" + slug + "-" + e, UserID: "u-" + e, Email: e, Role: r}
		}
		o.Teams[slug] = t
	}
	return o
}

// roster returns n emails name0@acme.com … for big-team cases.
func roster(name string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d@acme.com", name, i)
	}
	return out
}

// rolesOf gives every email the same role.
func rolesOf(role model.Role, emails ...string) map[string]model.Role {
	m := map[string]model.Role{}
	for _, e := range emails {
		m[e] = role
	}
	return m
}

// describeChange is a one-line form of a change for table tests.
func describeChange(c Change) string {
	var s string
	switch c.Action {
	case ActionCreateTeam:
		s = "create_team " + c.Team
	case ActionAddMember:
		s = fmt.Sprintf("add_member %s %s %s", c.Team, c.Email, c.Role)
	case ActionUpdateRole:
		s = fmt.Sprintf("update_role %s %s %s->%s", c.Team, c.Email, c.FromRole, c.Role)
	case ActionRemoveMember:
		s = fmt.Sprintf("remove_member %s %s %s", c.Team, c.Email, c.Role)
	case ActionInvite:
		parts := make([]string, 0, len(c.Teams))
		for _, tr := range c.Teams {
			parts = append(parts, string(tr.Team)+":"+string(tr.Role))
		}
		s = fmt.Sprintf("invite %s %s", c.Email, strings.Join(parts, ","))
	default:
		s = string(c.Action)
	}
	if len(c.Groups) > 0 {
		s += " via " + strings.Join(c.Groups, ",")
	}
	if c.Guard != "" {
		s = c.Guard + ": " + s
	}
	return s
}

func describeChanges(cs []Change) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, describeChange(c))
	}
	return out
}

func describeUnplaced(us []Unplaced) []string {
	out := []string{}
	for _, u := range us {
		out = append(out, fmt.Sprintf("%s %s %s", u.Team, u.Email, u.Reason))
	}
	return out
}

func describeErrors(es []Error) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s %s: %s", e.Team, e.Source, e.Message))
	}
	return out
}

// list is a readable way to write an expected []string in tables.
func list(s ...string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
