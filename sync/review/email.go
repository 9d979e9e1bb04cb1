package review

import (
	"slices"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/plan"
)

// CanonicalEmail is email (already normalised with model.NormalizeEmail)
// as teamsync matches it to Buildkite: rewritten once by
// sync.email_domains (plan.RewriteEmail), so that alice@corp.acme.com is
// alice@acme.com.
func CanonicalEmail(m *config.Mapping, email string) string {
	if m == nil {
		return email
	}
	return plan.RewriteEmail(email, m.Sync.EmailDomains)
}

// createsTeam reports whether the mapping creates the team when missing.
func createsTeam(m *config.Mapping, slug string) bool {
	return m != nil && slices.ContainsFunc(m.Teams, func(t config.Team) bool { return t.Slug == slug && t.Create })
}
