package main

import (
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// TestValidateCatchesAWrongUserAttribute: validate --online asks the source about a sample of members and fails
// when it counts none of them, as a wrong okta.user_email makes it.
func TestValidateCatchesAWrongUserAttribute(t *testing.T) {
	dir := offboardDir(t, map[string]string{
		"okta.yaml": `groups:
  - name: Web
    users: [{email: alice@acme.com, login: alice@acme-okta.example}]
users:
  - {email: root@acme.com, login: root@acme-okta.example}
  - {email: dave@acme.com}
`,
		"mapping.yaml": `buildkite:
  organization: acme
  graphql_url: "{{buildkite_url}}"
okta:
  org_url: "{{okta_url}}"
  user_email: login
teams:
  - slug: web
    groups:
      - okta: Web
offboarding:
  source: okta
  domains: [acme.com]
`,
	})
	_, srv := bksimtest.Start(t, bksim.State{Organization: "acme",
		Members: []bksim.Member{{Email: "root@acme.com", Role: "admin"}, {Email: "alice@acme.com"}, {Email: "dave@acme.com"}},
		Teams:   []bksim.Team{{Slug: "web", Members: []bksim.TeamMember{{Email: "alice@acme.com"}}}}})
	h := newHarness(t, dir, srv.URL, nil)
	vout, vcode := h.run("validate", "--online")
	verr := h.stderr.String()
	pout, pcode := h.run("plan")
	if vcode == 0 {
		t.Errorf("validate --online passes (exit 0):\n%s%s\nyet plan (exit %d) reads the wrong attribute and removes an active person as not found in okta:\n%s%s", vout, verr, pcode, pout, h.stderr.String())
	}
}
