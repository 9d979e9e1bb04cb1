package plan

import (
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// TestProtectedUserUnderEmailDomainsKeepsTeams: ProtectedSet's doc says
// "either spelling protects the person", and offboarding honours it
// (protectedBy tries the member's email and its rewrite): with
// protected_users [bob@acme.com] and corp.acme.com rewritten to acme.com,
// the Buildkite member bob@corp.acme.com is "never judged: a protected
// user". The team diff looks the Buildkite email up in the set as is
// (d.protected[email]), so the same protected person is removed from an
// authoritative team. explain then says both "a protected user" and
// "remove_member remove from web".
func TestProtectedUserUnderEmailDomainsKeepsTeams(t *testing.T) {
	m := &config.Mapping{
		Sync: config.Sync{MaxRemovals: 10, ProtectedUsers: []string{"bob@acme.com"}, EmailDomains: map[string]string{"corp.acme.com": "acme.com"}},
		Teams: []config.Team{{Slug: "web", Policy: model.PolicyAuthoritative,
			Groups: []config.Group{{Users: []string{"alice@acme.com"}}}}},
		Offboarding: &config.Offboarding{Source: "okta", Domains: []string{"acme.com", "corp.acme.com"}},
	}
	bob := model.Member{UserID: "u-bob", Email: "bob@corp.acme.com", Role: model.OrgRoleMember}
	if why := Exclusion(m, "bob@corp.acme.com", bob, ""); why != "a protected user (sync.protected_users)" {
		t.Fatalf("setup: offboarding's exclusion of bob@corp.acme.com = %q", why)
	}
	org := &model.Org{Slug: "acme",
		Members: map[string]model.Member{"bob@corp.acme.com": bob, "alice@acme.com": {UserID: "u-alice", Email: "alice@acme.com", Role: model.OrgRoleMember}},
		Teams: map[string]model.Team{"web": {Slug: "web", Members: map[string]model.TeamMember{
			"alice@acme.com":    {UserID: "u-alice", Email: "alice@acme.com", Role: model.RoleMember},
			"bob@corp.acme.com": {UserID: "u-bob", Email: "bob@corp.acme.com", Role: model.RoleMember},
		}}}}
	m2 := *m
	m2.Offboarding = nil
	p := Build(&m2, map[string]GroupRead{"users:alice@acme.com": {Members: []providers.Member{{Email: "alice@acme.com", Active: true}}}}, org, Options{})
	t.Logf("changes %+v held %+v errors %+v", p.Changes, p.Held, p.Errors)
	for _, c := range append(p.Changes, p.Held...) {
		if c.Email == "bob@corp.acme.com" {
			t.Errorf("protected user bob@acme.com (Buildkite spelling bob@corp.acme.com) gets %s %s: %s", c.Action, c.Team, c.Reason)
		}
	}
}
