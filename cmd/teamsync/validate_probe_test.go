package main

import (
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// TestValidateOnlineProbesTheSearchWithNobodyToAsk: with no member of the
// managed teams to ask about, validate --online still tries the source's
// search once, with an address nobody has, and names its failure.
func TestValidateOnlineProbesTheSearchWithNobodyToAsk(t *testing.T) {
	dir := fixtureDir(t, map[string]string{
		"okta.yaml":    "groups:\n  - name: Web\n    users: [{email: newhire@acme.com}]\n", // not in Buildkite: no one to sample
		"mapping.yaml": webOktaMapping("offboarding:\n  source: okta\n  domains: [acme.com]\n"),
	})
	_, srv := bksimtest.Start(t, bksim.State{Organization: "acme",
		Members: []bksim.Member{{Email: "root@acme.com", Role: "admin"}, {Email: "alice@acme.com"}},
		Teams:   []bksim.Team{{Slug: "web"}}})
	h := newHarness(t, dir, srv.URL, []scenarioFault{{Source: "okta", UsersSearch: true, Status: 400}})
	_, code := h.run("validate", "--online")
	stderr := h.stderr.String()
	if code != exitError || !strings.Contains(stderr, "offboarding: okta user search failed: okta: look up teamsync-validate-probe@acme.com: ") {
		t.Fatalf("validate --online: exit %d, stderr:\n%s", code, stderr)
	}
}
