package review_test

import (
	"os"
	"time"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/review"
)

// A command reads the groups and Buildkite as plan does, then hands what
// it read to BuildReport and renders the report in --format.
func ExampleBuildReport() {
	m := &config.Mapping{
		Buildkite: config.Buildkite{Organization: "acme"},
		Sync:      config.Sync{Policy: model.PolicyAdditive},
		Teams:     []config.Team{{Slug: "platform", Groups: []config.Group{{Okta: "Eng", Role: model.RoleMember}}}},
	}
	reads := map[string]plan.GroupRead{
		"okta:Eng": {Members: []providers.Member{{Email: "ann@acme.com", Status: "ACTIVE", Active: true}}},
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	org := &model.Org{Slug: "acme", Teams: map[string]model.Team{"platform": {Slug: "platform", Members: map[string]model.TeamMember{
		"ann@acme.com": {Email: "ann@acme.com", Role: model.RoleMember, CreatedAt: created},
		"old@acme.com": {Email: "old@acme.com", Role: model.RoleMember},
	}}}}
	r := review.BuildReport(review.ReportInput{Mapping: m, Reads: reads, Org: org})
	if err := review.WriteReport(os.Stdout, r, review.FormatCSV); err != nil {
		panic(err)
	}
	// Output:
	// kind,team,policy,email,name,role,granted_role,groups,via,created_at,justification,role_exceeds_grant,next_apply,note
	// member,platform,additive,ann@acme.com,,member,member,okta:Eng,,2026-01-02T03:04:05Z,justified,false,,
	// member,platform,additive,old@acme.com,,member,,,,,unjustified,false,,in none of the team's groups; stays: additive team
	// admin,,,,,,,,,,,,,organization members were not read: admins unknown
}
