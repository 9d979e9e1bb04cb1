package main

import (
	"strings"
	"testing"
)

// TestValidateOnlineOffboarding: validate --online checks
// "credentials, groups and teams"; with an offboarding section it runs a
// whole plan, offboarding's judging included (every member read, everyone
// in domains looked up). When the lookups fail its messages read
// `team "": offboarding: …`, a team with no name.
func TestValidateOnlineOffboarding(t *testing.T) {
	_, h := startOffboard(t, oktaWeb(), webOktaMapping(oktaOffboarding), rootAlice("dave@acme.com"),
		scenarioFault{Source: "okta", UsersSearch: true, Malformed: true})
	out, code := h.run("validate", "--online")
	stderr := h.stderr.String()
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	if code != exitError || !strings.Contains(stderr, "offboarding: okta lookup failed") {
		t.Errorf("validate --online: exit %d, want %d with the failed offboarding lookup reported:\n%s", code, exitError, stderr)
	}
	if strings.Contains(stderr, `team "":`) {
		t.Errorf("validate --online names a team with no name for offboarding's errors:\n%s", stderr)
	}
}

// TestValidateOnlineDoesNotJudgeTheOrganization: validate
// --online is a check of credentials, groups and teams, run in CI on
// every change; with offboarding it pages every organization member and
// looks each one up in Okta (~20,000 points and 510 searches at 10,200
// members), the cost serve spreads over offboarding.every.
func TestValidateOnlineDoesNotJudgeTheOrganization(t *testing.T) {
	sim, h, searches, _ := explainCostFixture(t, true)
	if _, code := h.run("validate", "--online"); code != 0 {
		t.Fatalf("validate --online: exit %d\n%s", code, h.stderr.String())
	}
	simOff, hOff, _, _ := explainCostFixture(t, false)
	if _, code := hOff.run("validate", "--online"); code != 0 {
		t.Fatalf("validate --online without offboarding: exit %d\n%s", code, hOff.stderr.String())
	}
	with, without := sim.Stats().ActualComplexity, simOff.Stats().ActualComplexity
	t.Logf("points: %d with offboarding, %d without; okta searches %d", with, without, searches.Load())
	if with > without+50 || searches.Load() > 1 {
		t.Errorf("validate --online judged the whole organization: %d points (%d without offboarding), %d Okta searches for 202 members", with, without, searches.Load())
	}
}
