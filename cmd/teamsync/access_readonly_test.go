package main

import (
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// TestExplainAndReportNeedNoWritePermission: explain and report write nothing, so a token that may not administer
// teams (or remove members) runs them.
func TestExplainAndReportNeedNoWritePermission(t *testing.T) {
	dir := offboardDir(t, map[string]string{
		"okta.yaml":    "groups:\n  - name: Web\n    users: [{email: alice@acme.com}]\n",
		"mapping.yaml": webOktaMapping(""),
	})
	_, srv := bksimtest.StartWith(t, bksim.State{Organization: "acme",
		Members: []bksim.Member{{Email: "root@acme.com", Role: "admin"}, {Email: "alice@acme.com"}},
		Teams:   []bksim.Team{{Slug: "web", Members: []bksim.TeamMember{{Email: "alice@acme.com"}}}}},
		bksim.Options{Denied: []string{"teamAdmin"}})
	h := newHarness(t, dir, srv.URL, nil)
	for _, args := range [][]string{{"explain", "alice@acme.com"}, {"report"}} {
		if _, code := h.run(args...); code != 0 {
			t.Errorf("%v with a token that may not administer teams: exit %d: %s", args, code, h.stderr.String())
		}
	}
}
