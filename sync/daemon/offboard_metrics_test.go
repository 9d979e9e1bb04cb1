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

// TestFailedLookupsDoNotCountAsOffboarded: a run whose lookups all failed
// (everyone held unknown_person) has not judged anyone, so the next run
// judges again instead of waiting offboarding.every, while a departed
// person keeps their membership (and API tokens).
func TestFailedLookupsDoNotCountAsOffboarded(t *testing.T) {
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

// TestOffboardHoldStaysInMetrics: a still_granted hold waits for a person,
// so it stays in teamsync_held_changes_by_guard through the scheduled runs
// that do not judge the organization, and an alert on it can fire.
func TestOffboardHoldStaysInMetrics(t *testing.T) {
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
