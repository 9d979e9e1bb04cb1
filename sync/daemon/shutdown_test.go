package daemon

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
	"github.com/teamsync/teamsync/sync/apply"
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

func (p pausingBuildkite) AddTeamMember(ctx context.Context, teamID, userID string, role model.Role) error {
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

	// The audit log: every planned change has a line; the two adds that
	// started are applied, the rest were not attempted.
	var applied, notAttempted []string
	for _, l := range h.changeLines("") {
		switch {
		case l.Status == "applied":
			applied = append(applied, l.Action+" "+l.Email)
		case l.Status == "failed" && l.Error == apply.ErrCancelled.Error():
			notAttempted = append(notAttempted, l.Action+" "+l.Email)
		default:
			t.Errorf("unexpected audit line %+v", l)
		}
	}
	if want := []string{"add_member bob@acme.com", "add_member carol@acme.com"}; !slices.Equal(applied, want) {
		t.Errorf("applied = %v, want %v", applied, want)
	}
	if want := []string{"add_member dave@acme.com", "add_member erin@acme.com", "remove_member zed@acme.com"}; !slices.Equal(notAttempted, want) {
		t.Errorf("not attempted = %v, want %v", notAttempted, want)
	}
	runs := h.runLines()
	if len(runs) != 1 || runs[0].Result != "cancelled" {
		t.Fatalf("run lines = %+v, want one cancelled run", runs)
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
