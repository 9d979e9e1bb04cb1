package daemon

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// pausingBuildkite blocks the nth team-member add until release is closed,
// after telling the test through entered that it got there.
type pausingBuildkite struct {
	reconcile.Buildkite
	mu      *sync.Mutex
	adds    *int
	nth     int
	entered chan struct{}
	release chan struct{}
}

func (p pausingBuildkite) AddTeamMember(ctx context.Context, teamID, userID string, role model.Role) (model.TeamMember, error) {
	p.mu.Lock()
	*p.adds++
	n := *p.adds
	p.mu.Unlock()
	if n == p.nth {
		close(p.entered)
		<-p.release
	}
	return p.Buildkite.AddTeamMember(ctx, teamID, userID, role)
}

func TestShutdownDuringApplyLosesNoChange(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	adds := 0
	initial := bksim.State{
		Organization: "acme",
		Members:      members("alice@acme.com", "bob@acme.com", "carol@acme.com", "dave@acme.com", "erin@acme.com", "zed@acme.com"),
		Teams: []bksim.Team{{Slug: "platform", Members: []bksim.TeamMember{
			{Email: "alice@acme.com"}, {Email: "zed@acme.com"},
		}}},
	}
	o := harnessOpts{
		bk: initial,
		okta: oktasim.State{Groups: []oktasim.Group{oktaGroup("Platform Engineers",
			"alice@acme.com", "bob@acme.com", "carol@acme.com", "dave@acme.com", "erin@acme.com")}},
		teams: `  - slug: platform
    groups:
      - okta: Platform Engineers
`,
		connect: func(h *harness) {
			h.wrap = func(b reconcile.Buildkite) reconcile.Buildkite {
				return pausingBuildkite{Buildkite: b, mu: &mu, adds: &adds, nth: 2, entered: entered, release: release}
			}
		},
	}
	h := start(t, o)
	await(t, "the startup run to write its second add", entered)
	h.cancel()
	close(release)
	if err := h.stop(); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}

	// The audit log and the metrics see only the changes that were
	// attempted: the two adds that started. The three that shutdown kept
	// from starting have no line and are not counted as failed.
	var applied []string
	for _, l := range h.changeLines("") {
		if l.Status != "applied" {
			t.Errorf("unexpected audit line %+v", l)
			continue
		}
		applied = append(applied, l.Action+" "+l.Email)
	}
	if want := []string{"add_member bob@acme.com", "add_member carol@acme.com"}; !slices.Equal(applied, want) {
		t.Errorf("applied = %v, want %v", applied, want)
	}
	for _, c := range []struct {
		action, status string
		want           float64
	}{
		{"add_member", "applied", 2},
		{"add_member", "failed", 0},
		{"remove_member", "applied", 0},
		{"remove_member", "failed", 0},
	} {
		if got := h.metric("teamsync_changes_total", "action", c.action, "status", c.status); got != c.want {
			t.Errorf("teamsync_changes_total{%s,%s} = %v, want %v", c.action, c.status, got, c.want)
		}
	}
	runs := h.runLines()
	if len(runs) != 1 || runs[0].Result != "cancelled" {
		t.Fatalf("run lines = %+v, want one cancelled run", runs)
	}
	if got := h.metric("teamsync_reconcile_total", "result", "error"); got != 1 {
		t.Errorf("error runs = %v, want 1: a cancelled run counts as an error", got)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "result=cancelled") || !strings.Contains(logs, "not_attempted=3") {
		t.Errorf("the run's summary line does not say cancelled with 3 changes not attempted:\n%s", logs)
	}

	// Buildkite changed exactly by the applied lines.
	before := map[string]bool{"alice@acme.com:member": true, "zed@acme.com:member": true}
	after := h.team("platform")
	var added []string
	for _, m := range after {
		if !before[m] {
			added = append(added, "add_member "+m[:len(m)-len(":member")])
		}
	}
	if !slices.Equal(added, applied) {
		t.Errorf("members added in Buildkite %v, audit says %v", added, applied)
	}
	if !slices.Contains(after, "zed@acme.com:member") {
		t.Errorf("zed was removed without an audit line: %v", after)
	}
}

// TestShutdownDuringReadIsNotAnError: SIGTERM while a run is still
// reading is the daemon doing what it was asked. It says so at INFO; no
// line is an ERROR or a WARN about "context canceled".
func TestShutdownDuringReadIsNotAnError(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOpts{
		bk: bksim.State{Organization: "acme", Teams: []bksim.Team{{Slug: "platform"}}},
		teams: `  - slug: platform
    groups:
      - users: [alice@acme.com]
`,
		connect: func(h *harness) { h.gate = make(chan struct{}) }, // never opens
	})
	waitFor(t, "the startup run to start", func() bool { return strings.Contains(h.logs.String(), "reconcile started") })
	if err := h.stop(); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, `level=INFO msg="reconcile stopped: the daemon is shutting down"`) {
		t.Errorf("no INFO line says the run stopped for shutdown:\n%s", logs)
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "level=ERROR") || (strings.Contains(line, "level=WARN") && strings.Contains(line, "canceled")) {
			t.Errorf("shutdown logged %q", line)
		}
	}
}
