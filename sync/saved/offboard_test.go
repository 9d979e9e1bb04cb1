package saved

import (
	"strings"
	"testing"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// a saved plan (plan --out) that offboards someone is re-checked by
// Stale as if remove_org_member / revoke_invitation were team changes: the
// empty team slug does not exist, so every organization change is skipped
// with `no longer holds: team "" does not exist any more` — apply FILE can
// never offboard, and the reason it gives is nonsense.
func TestStaleSkipsOrgChangesWithEmptyTeam(t *testing.T) {
	o := org()
	o.Members["gone@acme.com"] = model.Member{ID: "M9", UserID: "U9", Email: "gone@acme.com"}
	o.Invitations["left@acme.com"] = model.Invitation{ID: "I9", Email: "left@acme.com"}
	for _, c := range []plan.Change{
		{Action: plan.ActionRemoveOrgMember, Email: "gone@acme.com", Reason: "deprovisioned in okta"},
		{Action: plan.ActionRevokeInvitation, Email: "left@acme.com", Reason: "not found in okta"},
	} {
		f := &File{Plan: plan.Plan{Version: 1, Organization: "acme", Changes: []plan.Change{c}}}
		got := Stale(f, o).Changes[0]
		if got.Status == plan.StatusSkipped {
			t.Errorf("%s %s: skipped (%q), want it to hold: the member/invitation is still there", c.Action, c.Email, got.Error)
		}
		if strings.Contains(got.Error, `team ""`) {
			t.Errorf("%s: reason names the empty team: %q", c.Action, got.Error)
		}
	}
}

// a saved remove_org_member whose member was promoted to admin (or
// is now the token's user / a bot) since the plan was made still holds:
// apply FILE runs no guard again, so it removes an admin that offboarding
// (without include_admins) must never touch.
func TestStaleRemovesMemberPromotedToAdminSincePlan(t *testing.T) {
	o := org()
	o.Members["gone@acme.com"] = model.Member{ID: "M9", UserID: "U9", Email: "gone@acme.com", Role: model.OrgRoleAdmin}
	f := &File{Plan: plan.Plan{Version: 1, Organization: "acme", Changes: []plan.Change{
		{Action: plan.ActionRemoveOrgMember, Email: "gone@acme.com", Reason: "deprovisioned in okta"},
	}}}
	got := Stale(f, o).Changes[0]
	if got.Status != plan.StatusSkipped || !strings.Contains(got.Error, "admin") {
		t.Errorf("remove_org_member of a member who is an admin now: status %q error %q, want skipped naming the admin role", got.Status, got.Error)
	}
}
