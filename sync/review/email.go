package review

import (
	"slices"
	"time"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/plan"
)

// CanonicalEmail is email (already normalised with model.NormalizeEmail)
// as teamsync matches it to Buildkite: rewritten once by
// sync.email_domains, so that explain asked about alice@corp.acme.com
// explains alice@acme.com. The rewrite is the planner's own, reached
// through plan.Desired with a one-person list, so that the rule lives in
// one place.
func CanonicalEmail(m *config.Mapping, email string) string {
	if m == nil || len(m.Sync.EmailDomains) == 0 || email == "" {
		return email
	}
	g := config.Group{Users: []string{email}}
	probe := &config.Mapping{Sync: config.Sync{EmailDomains: m.Sync.EmailDomains},
		Teams: []config.Team{{Slug: "probe", Groups: []config.Group{g}}}}
	reads := map[string]plan.GroupRead{g.Key(): {Members: []providers.Member{{Email: email, Active: true}}}}
	for e := range plan.Desired(probe, reads, time.Time{})["probe"].Members {
		return e
	}
	return email
}

// createsTeam reports whether the mapping creates the team when missing.
func createsTeam(m *config.Mapping, slug string) bool {
	return m != nil && slices.ContainsFunc(m.Teams, func(t config.Team) bool { return t.Slug == slug && t.Create })
}
