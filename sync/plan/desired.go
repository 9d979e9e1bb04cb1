package plan

import (
	"slices"
	"strings"
	"time"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// msgNotRead is the error for a group key the caller did not read.
const msgNotRead = "group was not read"

// want is one person a team should have.
type want struct {
	role   model.Role
	groups []string // provenance labels, mapping order, no repeats
}

// teamSources is a team's desired membership and what went wrong reading it.
type teamSources struct {
	desired map[string]*want
	failed  []string // labels of groups whose read failed or is missing
	empty   []string // labels of groups that read empty without allow_empty
	errors  []Error
	// inactive says, for people a group lists but does not count (a
	// suspended or deactivated account, an expired entry), why:
	// "suspended in okta:X", "grant users expired at 2026-12-01T00:00:00Z".
	// The first group that lists them gives the reason.
	inactive map[string]string
}

// desiredTeam unions the active members of the team's groups that read
// successfully. Failed groups are left out and reported, so the desired set
// is "what we know", and the guards decide what may be done with it. An
// entry expired at now grants nothing: it is neither failed nor empty, and
// only gives the reason its people are removed.
func desiredTeam(slug string, t config.Team, reads map[string]GroupRead, domains map[string]string, now time.Time) teamSources {
	ts := teamSources{desired: map[string]*want{}, inactive: map[string]string{}}
	for _, g := range t.Groups {
		label := g.Label()
		read, ok := reads[g.Key()]
		switch {
		case g.ExpiredAt(now):
			if ok && read.Err == nil {
				ts.expired(g, read, domains)
			}
			continue
		case !ok:
			ts.fail(slug, label, msgNotRead)
			continue
		case read.Err != nil:
			ts.fail(slug, label, read.Err.Error())
			continue
		}
		role := roleOf(g)
		found := 0
		for _, mem := range read.Members {
			email := RewriteEmail(mem.Email, domains)
			if email == "" {
				continue
			}
			if !mem.Active {
				if _, seen := ts.inactive[email]; !seen {
					ts.inactive[email] = inactiveReason(mem.Status, label)
				}
				continue
			}
			found++
			w := ts.desired[email]
			if w == nil {
				w = &want{role: role}
				ts.desired[email] = w
			}
			if role.Rank() > w.role.Rank() {
				w.role = role
			}
			if !slices.Contains(w.groups, label) {
				w.groups = append(w.groups, label)
			}
		}
		if found == 0 && !g.AllowEmpty && !slices.Contains(ts.empty, label) {
			ts.empty = append(ts.empty, label)
		}
	}
	return ts
}

// expired records, for the people an expired entry lists, that the entry
// no longer grants them anything.
func (ts *teamSources) expired(g config.Group, read GroupRead, domains map[string]string) {
	reason := ExpiredReason(g.Label(), g.Expires)
	for _, mem := range read.Members {
		email := RewriteEmail(mem.Email, domains)
		if _, seen := ts.inactive[email]; email != "" && !seen {
			ts.inactive[email] = reason
		}
	}
}

// ExpiredReason is the reason of a removal whose person only an expired
// entry lists: "grant users expired at 2026-12-01T00:00:00Z".
func ExpiredReason(label string, at time.Time) string {
	return "grant " + label + " expired at " + at.UTC().Format(time.RFC3339)
}

// fail records a group the team could not read, once per label.
func (ts *teamSources) fail(team, label, msg string) {
	if slices.Contains(ts.failed, label) {
		return
	}
	ts.failed = append(ts.failed, label)
	ts.errors = append(ts.errors, Error{Team: team, Source: label, Message: msg})
}

// roleOf is the entry's role, member when unset or unknown.
func roleOf(g config.Group) model.Role {
	if g.Role.Valid() {
		return g.Role
	}
	return model.RoleMember
}

// RewriteEmail rewrites an email's domain once through domains
// (sync.email_domains): the address teamsync matches to Buildkite. Both
// were normalised where they entered teamsync: the email by its provider,
// the domains when mapping.yaml was read.
func RewriteEmail(e string, domains map[string]string) string {
	at := strings.LastIndexByte(e, '@')
	if at < 0 {
		return e
	}
	if to, ok := domains[e[at+1:]]; ok {
		return e[:at+1] + to
	}
	return e
}

// inactiveReason says why a listed person does not count: their IdP status
// in words, and the group.
func inactiveReason(status, label string) string {
	word := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(status), "_", " "))
	if word == "" {
		word = "inactive"
	}
	return word + " in " + label
}
