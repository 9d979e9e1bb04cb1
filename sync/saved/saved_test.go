package saved

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

func org() *model.Org {
	return &model.Org{
		Slug:    "acme",
		Members: map[string]model.Member{"a@acme.com": {UserID: "U1"}, "b@acme.com": {UserID: "U2"}},
		Teams: map[string]model.Team{"web": {ID: "T1", Members: map[string]model.TeamMember{
			"b@acme.com": {ID: "TM2", Email: "b@acme.com", Role: model.RoleMaintainer},
		}}},
		Invitations: map[string]model.Invitation{"i@acme.com": {Email: "i@acme.com"}},
	}
}

func TestStale(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change plan.Change
		want   string // "" holds
	}{
		{"add holds", plan.Change{Action: plan.ActionAddMember, Team: "web", Email: "a@acme.com", Role: model.RoleMember}, ""},
		{"add done", plan.Change{Action: plan.ActionAddMember, Team: "web", Email: "b@acme.com", Role: model.RoleMember}, `b@acme.com is in team "web" now, as maintainer`},
		{"add of someone who left", plan.Change{Action: plan.ActionAddMember, Team: "web", Email: "z@acme.com"}, "z@acme.com is not a member of the organization any more"},
		{"role holds", plan.Change{Action: plan.ActionUpdateRole, Team: "web", Email: "b@acme.com", FromRole: model.RoleMaintainer, Role: model.RoleMember}, ""},
		{"role changed", plan.Change{Action: plan.ActionUpdateRole, Team: "web", Email: "b@acme.com", FromRole: model.RoleMember, Role: model.RoleMaintainer}, `b@acme.com is maintainer in team "web" now, not member as planned`},
		{"remove done", plan.Change{Action: plan.ActionRemoveMember, Team: "web", Email: "a@acme.com", Role: model.RoleMember}, `a@acme.com is not in team "web" any more`},
		{"team gone", plan.Change{Action: plan.ActionAddMember, Team: "ios", Email: "a@acme.com"}, `team "ios" does not exist any more`},
		{"create holds", plan.Change{Action: plan.ActionCreateTeam, Team: "ios"}, ""},
		{"create done", plan.Change{Action: plan.ActionCreateTeam, Team: "web"}, `team "web" exists now`},
		{"invite pending", plan.Change{Action: plan.ActionInvite, Email: "i@acme.com"}, "i@acme.com has a pending invitation now"},
		{"invite joined", plan.Change{Action: plan.ActionInvite, Email: "a@acme.com"}, "a@acme.com is a member of the organization now"},
		{"org removal holds", plan.Change{Action: plan.ActionRemoveOrgMember, Email: "a@acme.com", Reason: "deprovisioned in okta"}, ""},
		{"org removal done", plan.Change{Action: plan.ActionRemoveOrgMember, Email: "z@acme.com"}, "z@acme.com is not a member of the organization any more"},
		{"revoke holds", plan.Change{Action: plan.ActionRevokeInvitation, Email: "i@acme.com"}, ""},
		{"revoke done", plan.Change{Action: plan.ActionRevokeInvitation, Email: "j@acme.com"}, "j@acme.com has no pending invitation any more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &File{Plan: plan.Plan{Version: 1, Organization: "acme", Changes: []plan.Change{tc.change}}}
			got := Stale(f, org()).Changes[0]
			want := ""
			if tc.want != "" {
				want = "no longer holds: " + tc.want
			}
			if got.Error != want || (want != "") != (got.Status == plan.StatusSkipped) {
				t.Fatalf("Stale = %q %q, want %q", got.Status, got.Error, want)
			}
			if f.Changes[0].Status != "" {
				t.Fatal("Stale changed its input")
			}
		})
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	p := &plan.Plan{Version: 1, Organization: "acme", Changes: []plan.Change{
		{Action: plan.ActionRemoveMember, Team: "web", Email: "b@acme.com", Role: model.RoleMaintainer},
	}}
	now := time.Date(2026, 12, 5, 16, 0, 0, 0, time.UTC)
	f := New(p, org(), MappingHash([]byte("teams: []\n")), now)
	var buf bytes.Buffer
	if err := Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	back, err := Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if back.Basis.Teams["web"] != TeamDigest(org(), "web") || !back.Basis.CreatedAt.Equal(now) {
		t.Fatalf("basis = %+v", back.Basis)
	}
	managed := func(slug string) bool { return slug == "web" }
	if err := Check(back, f.Basis.MappingSHA256, "acme", managed, now.Add(time.Hour), DefaultMaxAge); err != nil {
		t.Fatal(err)
	}
	if err := Check(back, MappingHash([]byte("x")), "acme", managed, now, DefaultMaxAge); err == nil || !strings.Contains(err.Error(), "the mapping changed") {
		t.Fatalf("Check with another mapping: %v", err)
	}
	o := org()
	o.Teams["web"].Members["a@acme.com"] = model.TeamMember{Email: "a@acme.com", Role: model.RoleMember}
	if got := ChangedTeams(back, o); len(got) != 1 || got[0] != "web" {
		t.Fatalf("ChangedTeams = %v", got)
	}
}

// TestCheckRefusesEditedPlans: a saved plan whose changes were edited
// after it was made, that changes a team the mapping does not manage or
// its basis did not read, or that claims to come from the future is
// refused whole.
func TestCheckRefusesEditedPlans(t *testing.T) {
	now := time.Date(2026, 12, 5, 16, 0, 0, 0, time.UTC)
	hash := MappingHash([]byte("teams: []\n"))
	managed := func(slug string) bool { return slug == "web" }
	fresh := func() *File {
		p := &plan.Plan{Version: 1, Organization: "acme", Changes: []plan.Change{
			{Action: plan.ActionRemoveMember, Team: "web", Email: "b@acme.com", Role: model.RoleMaintainer},
		}, Held: []plan.Change{
			{Action: plan.ActionRemoveMember, Team: "web", Email: "c@acme.com", Role: model.RoleMember, Guard: plan.GuardMaxRemovals},
		}}
		return New(p, org(), hash, now)
	}
	tests := []struct {
		name string
		edit func(f *File)
		want string
	}{
		{"email retargeted", func(f *File) { f.Changes[0].Email = "d@acme.com" },
			"the plan's changes were edited after it was made (they no longer match basis.changes_sha256): plan again"},
		{"held change moved into changes", func(f *File) { f.Changes, f.Held = append(f.Changes, f.Held...), nil },
			"the plan's changes were edited after it was made (they no longer match basis.changes_sha256): plan again"},
		{"unmanaged team, digest recomputed", func(f *File) {
			f.Changes = append(f.Changes, plan.Change{Action: plan.ActionAddMember, Team: "legacy", Email: "b@acme.com", Role: model.RoleMaintainer})
			f.Basis.Teams["legacy"] = DigestAbsent
			f.Basis.ChangesSHA256 = ChangesHash(&f.Plan)
		}, `the plan changes team "legacy", which the mapping does not manage`},
		{"team the basis did not read", func(f *File) { delete(f.Basis.Teams, "web") },
			`the plan changes team "web", which its basis did not read`},
		{"made in the future", func(f *File) { f.Basis.CreatedAt = now.Add(time.Hour) },
			"the plan says it was made at 2026-12-05T17:00:00Z, in the future: plan again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fresh()
			if err := Check(f, hash, "acme", managed, now, DefaultMaxAge); err != nil {
				t.Fatalf("the unedited plan: %v", err)
			}
			tt.edit(f)
			err := Check(f, hash, "acme", managed, now, DefaultMaxAge)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Check = %v, want %q", err, tt.want)
			}
		})
	}
}
