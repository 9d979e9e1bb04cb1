package main

import (
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
)

// TestExplainAndReportNeedNoWritePermission: explain and report write nothing, so a token that may not administer
// teams (or remove members) runs them.
func TestExplainAndReportNeedNoWritePermission(t *testing.T) {
	_, h := startOffboardWith(t, oktaWeb(), webOktaMapping(""), rootAlice(), bksim.Options{Denied: []string{"teamAdmin"}})
	for _, args := range [][]string{{"explain", "alice@acme.com"}, {"report"}} {
		if _, code := h.run(args...); code != 0 {
			t.Errorf("%v with a token that may not administer teams: exit %d: %s", args, code, h.stderr.String())
		}
	}
}
