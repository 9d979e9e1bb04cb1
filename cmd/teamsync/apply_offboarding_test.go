package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
)

// TestSecondApplyAfterOffboardingSendsNothing: after an apply
// that offboarded, the next apply plans nothing and sends no mutation.
func TestSecondApplyAfterOffboardingSendsNothing(t *testing.T) {
	sim, h := offboardFixture(t, "")
	if _, code := h.run("apply", "--format", "json"); code != 0 {
		t.Fatalf("first apply: exit %d\n%s", code, h.stderr.String())
	}
	before := sim.Stats().Mutations
	out, code := h.run("apply", "--format", "json")
	p := decodePlan(t, out)
	if code != 0 || len(p.Changes) != 0 || sim.Stats().Mutations != before {
		t.Errorf("second apply: exit %d, changes %v, %d mutations\nheld %v", code, p.lines(), sim.Stats().Mutations-before, p.Held)
	}
}

// TestSavedPlanRevokeAfterInvitationChanged: between plan --out
// and apply FILE the departed invitee's invitation expires (or is
// accepted). apply FILE does not send the revoke; it marks it skipped
// with why, and exits 0 for an expired one.
func TestSavedPlanRevokeAfterInvitationChanged(t *testing.T) {
	for _, state := range []string{bksim.InvitationExpired, bksim.InvitationAccepted} {
		t.Run(state, func(t *testing.T) {
			sim, h := offboardFixture(t, "")
			file := filepath.Join(t.TempDir(), "plan.json")
			if _, code := h.run("plan", "--format", "json", "--out", file); code != 0 {
				t.Fatalf("plan: exit %d\n%s", code, h.stderr.String())
			}
			if err := sim.SetInvitationState("gina@acme.com", state); err != nil {
				t.Fatal(err)
			}
			before := sim.Stats().ByOperation["organizationInvitationRevoke"]
			out, code := h.run("apply", file, "--format", "json")
			a := decodePlan(t, out)
			revokes := 0
			for _, c := range a.Changes {
				if c["action"] == "revoke_invitation" {
					revokes++
					if c["status"] != "skipped" || !strings.Contains(c["error"].(string), "no pending invitation") {
						t.Errorf("revoke of a %s invitation: %v %v", state, c["status"], c["error"])
					}
				}
			}
			if n := sim.Stats().ByOperation["organizationInvitationRevoke"] - before; n != 0 {
				t.Errorf("apply FILE sent %d revokes for a %s invitation", n, state)
			}
			if revokes != 1 {
				t.Errorf("apply FILE reports %d revoke_invitation changes, want the planned one, skipped: %v", revokes, a.Changes)
			}
			if state == bksim.InvitationExpired && code != 0 {
				t.Errorf("apply FILE with an expired invitation: exit %d, want 0\n%s", code, h.stderr.String())
			}
			t.Logf("exit %d", code)
		})
	}
}
