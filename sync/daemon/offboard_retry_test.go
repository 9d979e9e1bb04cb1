package daemon

import (
	"context"
	"errors"

	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// TestServeMemoryAfterOffboarding: a departed person in three
// teams leaves each team, then the organization, in that order, each
// audit line with its reason; the next scheduled run reads through the
// audit log (not fingerprints, not a full read) and changes nothing.
func TestServeMemoryAfterOffboarding(t *testing.T) {
	h := start(t, goneOrg(
		bksim.Team{Slug: "web", Members: []bksim.TeamMember{{Email: "alice@acme.com"}, {Email: "gone@acme.com"}}},
		bksim.Team{Slug: "api", Members: []bksim.TeamMember{{Email: "alice@acme.com"}, {Email: "gone@acme.com"}}},
		bksim.Team{Slug: "ops", Members: []bksim.TeamMember{{Email: "alice@acme.com"}, {Email: "gone@acme.com"}}},
	))
	teams := "  - slug: web\n    groups:\n      - okta: Web\n  - slug: api\n    groups:\n      - okta: Web\n  - slug: ops\n    groups:\n      - okta: Web\n"
	h.writeMapping(h.offboardMapping(teams, "1h"))
	h.run(0)
	h.waitRuns(1)
	var got []string
	for _, l := range h.changeLines("") {
		got = append(got, l.Action+" "+l.Team+" "+l.Email+" "+l.Status+" reason="+l.Reason)
		if l.Reason == "" {
			t.Errorf("audit line without reason: %+v", l)
		}
	}
	want := []string{
		"remove_member api gone@acme.com applied reason=",
		"remove_member ops gone@acme.com applied reason=",
		"remove_member web gone@acme.com applied reason=",
		"remove_org_member  gone@acme.com applied reason=deprovisioned in okta",
	}
	if len(got) != 4 || got[3] != want[3] {
		t.Errorf("first run's changes:\n got %q\nwant (reasons aside) %q", got, want)
	}

	h.tick(time.Minute)
	h.waitRuns(2)
	runs := h.runLines()
	if len(runs) < 2 {
		t.Fatalf("runs: %+v", runs)
	}
	second := runs[len(runs)-1]
	if second.ReadMode != "audit" {
		t.Errorf("the run after serve's own offboarding read Buildkite by %q, want audit (its own removal is remembered): logs:\n%s", second.ReadMode, h.logs.String())
	}
	if n := len(h.changeLines("cron")); n != 0 {
		t.Errorf("the second run made %d changes, want none: %+v", n, h.changeLines("cron"))
	}
	// A third run after a fourth minute: still audit.
	h.tick(time.Minute)
	h.waitRuns(3)
	runs = h.runLines()
	if third := runs[len(runs)-1]; third.ReadMode != "audit" {
		t.Errorf("third run read by %q, want audit", third.ReadMode)
	}
	if got := h.orgMembers(); !slices.Equal(got, []string{"alice@acme.com", "root@acme.com"}) {
		t.Errorf("org: %v", got)
	}
}

// lostRemoval removes the member but answers an error, as a write whose
// answer was lost and whose read-back failed.
type lostRemoval struct{ reconcile.Buildkite }

func (l lostRemoval) RemoveOrgMember(ctx context.Context, id string) error {
	if err := l.Buildkite.RemoveOrgMember(ctx, id); err != nil {
		return err
	}
	return errors.New("connection reset; read-back failed")
}

// TestServeAfterAmbiguousOrgRemoval: an organization removal
// whose outcome is not known leaves the next run to find out (it may read
// by fingerprints once), never re-adds anyone, and the run after that is
// back to the audit log.
func TestServeAfterAmbiguousOrgRemoval(t *testing.T) {
	h := start(t, goneOrg(
		bksim.Team{Slug: "web", Members: []bksim.TeamMember{{Email: "alice@acme.com"}}},
		bksim.Team{Slug: "obs", Members: []bksim.TeamMember{{Email: "alice@acme.com"}, {Email: "gone@acme.com"}}},
	))
	h.set(func(h *harness) {
		h.wrap = func(b reconcile.Buildkite) reconcile.Buildkite { return lostRemoval{b} }
	})
	teams := "  - slug: web\n    groups:\n      - okta: Web\n  - slug: obs\n    policy: observe\n    groups:\n      - okta: Web\n"
	h.writeMapping(h.offboardMapping(teams, "1h"))
	h.run(0)
	h.waitRuns(1)
	for i := 2; i <= 4; i++ {
		h.tick(time.Minute)
		h.waitRuns(i)
	}
	var modes []string
	for _, r := range h.runLines() {
		modes = append(modes, r.ReadMode)
	}
	t.Logf("read modes %v; change lines %+v", modes, h.changeLines(""))
	if modes[len(modes)-1] != "audit" {
		t.Errorf("runs after an ambiguous organization removal read by %v; the last should be audit", modes)
	}
	for _, l := range h.changeLines("cron") {
		t.Errorf("a later run changed something: %+v", l)
	}
	if got := h.team("obs"); !slices.Equal(got, []string{"alice@acme.com:member"}) {
		t.Errorf("obs: %v", got)
	}
}

// failedRemoval refuses the first organization removal outright.
type failedRemoval struct {
	reconcile.Buildkite
	n *int
}

func (f failedRemoval) RemoveOrgMember(ctx context.Context, id string) error {
	*f.n++
	if *f.n == 1 {
		return errors.New("HTTP 502 from buildkite")
	}
	return f.Buildkite.RemoveOrgMember(ctx, id)
}

// TestServeRetriesAFailedOrgRemovalBeforeEvery: a run whose
// organization removal failed is counted as having judged everyone, so
// the departed person keeps their membership (and API tokens) until
// offboarding.every (default 6h) has passed, though a failed lookup is
// retried at the next run. A failed write should be retried as soon.
func TestServeRetriesAFailedOrgRemovalBeforeEvery(t *testing.T) {
	h := startGoneOrg(t)
	n := 0
	h.set(func(h *harness) {
		h.wrap = func(b reconcile.Buildkite) reconcile.Buildkite { return failedRemoval{b, &n} }
	})
	h.writeMapping(h.offboardMapping(webTeam, "6h"))
	h.run(0)
	h.waitRuns(1)
	h.tick(time.Minute)
	h.waitRuns(2)
	if slices.Contains(h.orgMembers(), "gone@acme.com") {
		t.Errorf("a minute after a failed organization removal, the next run did not try again: gone@acme.com stays a member until offboarding.every (6h) passes; attempts %d", n)
	}
}

// TestRunFinishedLogCountsOrgChanges: the "run finished" log line
// counts each change kind, but not remove_org_member or revoke_invitation:
// a run that removed someone from the organization logs
// "remove_member=0 invite=0 applied=1", a count no kind adds up to.
func TestRunFinishedLogCountsOrgChanges(t *testing.T) {
	h := startGoneOrg(t)
	h.writeMapping(h.offboardMapping(webTeam, ""))
	h.run(0)
	h.waitRuns(1)
	logs := h.logs.String()
	if !strings.Contains(logs, "remove_org_member=1") {
		t.Errorf("the run-finished line does not count the organization removal:\n%s", logs)
	}
}

// TestServeFingerprintsAfterOffboardingObserveTeam: without an
// audit log, the run after serve removed someone from the organization
// (whose observe-team membership went with them) finds no team changed.
func TestServeFingerprintsAfterOffboardingObserveTeam(t *testing.T) {
	opts := goneOrg(bksim.Team{Slug: "obs", Members: []bksim.TeamMember{{Email: "alice@acme.com"}, {Email: "gone@acme.com", Role: bksim.RoleMaintainer}}})
	opts.bkOpts = bksim.Options{NoAuditLog: true}
	h := start(t, opts)
	h.writeMapping(h.offboardMapping("  - slug: obs\n    policy: observe\n    groups:\n      - okta: Web\n", "1h"))
	h.run(0)
	h.waitRuns(1)
	h.tick(time.Minute)
	h.waitRuns(2)
	if !strings.Contains(h.logs.String(), "mode=fingerprint teams_read=0") {
		t.Errorf("the run after offboarding re-read a team it should know from memory:\n%s", h.logs.String())
	}
	if slices.Contains(h.orgMembers(), "gone@acme.com") {
		t.Errorf("gone@acme.com still a member")
	}
}

// TestServeRejudgesAfterAnUnknownSourceHold: a group read that
// fails at the judging run holds every organization removal
// (unknown_source), as it must; but the run is then counted as having
// judged everyone, so once the group reads again the departed person
// waits out offboarding.every (6h by default) instead of leaving at the
// next run, as after a failed lookup (unknown_person).
func TestServeRejudgesAfterAnUnknownSourceHold(t *testing.T) {
	opts := goneOrg(webAlice())
	opts.okta.Groups = slices.Insert(opts.okta.Groups, 1, oktaGroup("Ops", "alice@acme.com"))
	h := start(t, opts)
	id, ok := h.okta.GroupID("Ops")
	if !ok {
		t.Fatal("no Ops")
	}
	h.okta.Inject(oktasim.Fault{Path: "/api/v1/groups/" + id + "/users", Nth: 1, Times: 1, Malformed: true})
	h.writeMapping(h.offboardMapping("  - slug: web\n    groups:\n      - okta: Web\n      - okta: Ops\n", "6h"))
	h.run(0)
	h.waitRuns(1)
	if !slices.Contains(h.orgMembers(), "gone@acme.com") {
		t.Fatalf("the run with a failed group read removed gone@acme.com")
	}
	h.tick(time.Minute)
	h.waitRuns(2)
	if slices.Contains(h.orgMembers(), "gone@acme.com") {
		t.Errorf("the group reads again, yet gone@acme.com stays a member until offboarding.every (6h) passes:\n%s", h.logs.String())
	}
}

// TestServeLogsOffboardingErrorsAsOffboarding: a failed
// offboarding lookup is logged as `read failed: no removals or
// downgrades for the team` with team="": no team is concerned, and what
// is held is organization removals.
func TestServeLogsOffboardingErrorsAsOffboarding(t *testing.T) {
	opts := goneOrg(webAlice())
	opts.okta.Groups = opts.okta.Groups[:1] // Okta does not know gone@acme.com
	h := start(t, opts)
	h.okta.Inject(oktasim.Fault{Path: "/api/v1/users", Nth: 1, Times: 100, Malformed: true})
	h.writeMapping(h.offboardMapping(webTeam, ""))
	h.run(0)
	h.waitRuns(1)
	for _, line := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(line, "source=offboarding") && (strings.Contains(line, `team=""`) || strings.Contains(line, "for the team")) {
			t.Errorf("offboarding's error is logged as a team's read failure: %s", line)
		}
	}
}
