package daemon

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// a failed lookup waits offboarding.every: docs/semantics.md says
// "A run whose member read or lookups failed is not counted, so the next
// run judges again", and offboarded's own comment says "a run whose member
// read and lookups went through". It checks only the member read: a run
// whose Okta searches all failed (every judged person held
// unknown_person) is recorded as having judged everyone, so a departed
// person keeps their organization membership (and API tokens) for another
// offboarding.every (6h by default, up to a week) after Okta recovers.
func TestFailedLookupsCountAsOffboarded(t *testing.T) {
	d := &daemon{}
	m := &config.Mapping{Offboarding: &config.Offboarding{Source: "okta", Domains: []string{"acme.com"}, Every: 6 * time.Hour}}
	fail := errors.New("okta: look up \"gone@acme.com\": batched user search: HTTP 503")
	res := &reconcile.Result{
		Plan: &plan.Plan{Held: []plan.Change{{Action: plan.ActionRemoveOrgMember, Email: "gone@acme.com", Guard: plan.GuardUnknownPerson}}},
		People: &plan.PeopleRead{
			People:  &model.People{ViewerUserID: "u-root", Members: map[string]model.Member{"gone@acme.com": {ID: "om-1", UserID: "u-1", Email: "gone@acme.com"}}},
			Lookups: map[string]providers.Person{"gone@acme.com": {Err: fail}},
		},
	}
	at := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	log := slog.New(slog.DiscardHandler)
	d.offboarded(log, m, res, at)
	if d.offboarding(log, m, false, at.Add(time.Minute)).Offboarding == nil {
		t.Errorf("a run whose lookups all failed was counted as having offboarded (lastOffboard %v): the next judging waits offboarding.every", d.lastOffboard)
	}
}

// TestOffboardingRetriesBackOff: after a judging run that could not judge
// everyone the next run tries again; after more failures in a row the
// waits grow (15m, 30m, …) up to offboarding.every, so a lasting failure
// does not make every run read the whole organization; a judging run that
// goes through resets them.
func TestOffboardingRetriesBackOff(t *testing.T) {
	d := &daemon{}
	log := slog.New(slog.DiscardHandler)
	m := &config.Mapping{Offboarding: &config.Offboarding{Source: "okta", Domains: []string{"acme.com"}, Every: time.Hour}}
	failed := &reconcile.Result{Plan: &plan.Plan{}, People: &plan.PeopleRead{Err: errors.New("HTTP 502")}}
	at := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	due := func(after time.Duration) bool { return d.offboarding(log, m, false, at.Add(after)).Offboarding != nil }
	for i, wait := range []time.Duration{0, 15 * time.Minute, 30 * time.Minute, time.Hour, time.Hour} {
		d.offboarded(log, m, failed, at)
		if !due(wait) || (wait > 0 && due(wait-time.Second)) {
			t.Fatalf("after %d failures in a row: due at +%v? %v; a second before? %v", i+1, wait, due(wait), wait > 0 && due(wait-time.Second))
		}
	}
	ok := &reconcile.Result{Plan: &plan.Plan{}, People: &plan.PeopleRead{People: &model.People{}}}
	d.offboarded(log, m, ok, at)
	if due(59*time.Minute) || !due(time.Hour) || d.offboardFailures != 0 {
		t.Fatalf("after a judging run that went through: due before an hour, or failures %d kept", d.offboardFailures)
	}
}

// a hold a human must settle vanishes from /metrics: a
// still_granted hold ("a person decides") is in the gauge only until the
// next scheduled run, which leaves offboarding out and resets
// teamsync_held_changes_by_guard{guard="still_granted"} to 0. With the
// default cadence (schedule 15m, offboarding.every 6h) the gauge is 0 for
// 23 runs out of 24, so an alert "held > 0 for 30m" never fires. Same for
// unknown_person and for planned remove_org_member.
func TestOffboardHoldVanishesFromMetrics(t *testing.T) {
	h := start(t, goneOrg(bksim.Team{Slug: "web", Members: []bksim.TeamMember{{Email: "alice@acme.com"}, {Email: "gone@acme.com"}}}))
	h.writeMapping(h.offboardMapping("  - slug: web\n    groups:\n      - okta: Web\n  - slug: ops\n    create: true\n    groups:\n      - users: [gone@acme.com]\n", "1h"))
	h.run(0)
	h.waitRuns(1)
	if got := h.metric("teamsync_held_changes_by_guard", "guard", "still_granted"); got != 1 {
		t.Fatalf("after the judging run still_granted = %v, want 1", got)
	}
	h.tick(time.Minute)
	h.waitRuns(2)
	if got := h.metric("teamsync_held_changes_by_guard", "guard", "still_granted"); got != 1 {
		t.Errorf("one scheduled run later (offboarding not due) still_granted = %v: the hold is still there, unsettled", got)
	}
}
