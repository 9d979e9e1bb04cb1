package apply

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// recorder is a Writer that records calls and fails the ones listed. The
// real client is exercised end to end against the Buildkite simulator in
// cmd/teamsync's scenarios; this pins the applier's own rules.
type recorder struct {
	calls []string
	// ctxErrs is the context error each write saw.
	ctxErrs []error
	fail    map[string]error
	// onCall runs after each call is recorded (to cancel mid-run).
	onCall func()
}

func (r *recorder) do(ctx context.Context, call string) error {
	r.calls = append(r.calls, call)
	if r.onCall != nil {
		r.onCall()
	}
	// Read after onCall: a cancel arriving mid-write must not reach it.
	r.ctxErrs = append(r.ctxErrs, ctx.Err())
	return r.fail[call]
}

func (r *recorder) CreateTeam(ctx context.Context, orgID string, t model.NewTeam) (string, error) {
	err := r.do(ctx, fmt.Sprintf("create %s %s %s", orgID, t.Name, t.Privacy))
	return "T-" + strings.ToLower(t.Name), err
}
func (r *recorder) AddTeamMember(ctx context.Context, teamID, userID string, role model.Role) (model.TeamMember, error) {
	return model.TeamMember{}, r.do(ctx, fmt.Sprintf("add %s %s %s", teamID, userID, role))
}
func (r *recorder) UpdateTeamMember(ctx context.Context, id string, role model.Role) error {
	return r.do(ctx, fmt.Sprintf("update %s %s", id, role))
}
func (r *recorder) RemoveTeamMember(ctx context.Context, id string) error {
	return r.do(ctx, "remove "+id)
}
func (r *recorder) Invite(ctx context.Context, orgID, email string, teams []model.TeamAssignment) error {
	return r.do(ctx, fmt.Sprintf("invite %s %s %v", orgID, email, teams))
}
func (r *recorder) RemoveOrgMember(ctx context.Context, id string) error {
	return r.do(ctx, "offboard "+id)
}
func (r *recorder) RevokeInvitation(ctx context.Context, id string) error {
	return r.do(ctx, "revoke "+id)
}

func fixture() (*model.Org, *plan.Plan) {
	org := &model.Org{
		ID: "O1",
		Members: map[string]model.Member{
			"alice@acme.com": {UserID: "U-alice", Email: "alice@acme.com"},
			"bob@acme.com":   {UserID: "U-bob", Email: "Bob@acme.com"},
		},
		Teams: map[string]model.Team{"web": {ID: "T-web", Slug: "web", Members: map[string]model.TeamMember{
			"bob@acme.com":   {ID: "TM-bob", Email: "Bob@acme.com", Role: model.RoleMember},
			"carol@acme.com": {ID: "TM-carol", Email: "carol@acme.com", Role: model.RoleMember},
		}}},
	}
	p := &plan.Plan{Changes: []plan.Change{
		{Action: plan.ActionAddMember, Team: "sec", Email: "alice@acme.com", Role: model.RoleMaintainer},
		{Action: plan.ActionCreateTeam, Team: "sec", Name: "Sec", Privacy: "visible"},
		{Action: plan.ActionAddMember, Team: "web", Email: "alice@acme.com", Role: model.RoleMember},
		{Action: plan.ActionRemoveMember, Team: "web", Email: "carol@acme.com", Role: model.RoleMember},
		{Action: plan.ActionUpdateRole, Team: "web", Email: "bob@acme.com", FromRole: model.RoleMember, Role: model.RoleMaintainer},
		{Action: plan.ActionInvite, Email: "newbie@acme.com", Teams: []model.TeamRole{{Team: "sec", Role: model.RoleMember}, {Team: "web", Role: model.RoleMaintainer}}},
	}}
	return org, p
}

func TestApplyOrderAndIDs(t *testing.T) {
	org, p := fixture()
	w := &recorder{}
	got := (&Applier{Writer: w}).Apply(context.Background(), org, p)
	want := []string{
		"create O1 Sec visible",
		"add T-sec U-alice maintainer",
		"add T-web U-alice member",
		"update TM-bob maintainer",
		"remove TM-carol",
		"invite O1 newbie@acme.com [{T-sec member} {T-web maintainer}]",
	}
	if !reflect.DeepEqual(w.calls, want) {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(w.calls, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range got.Changes {
		if c.Status != plan.StatusApplied {
			t.Errorf("%s %s %s: status %q, error %q", c.Action, c.Team, c.Email, c.Status, c.Error)
		}
	}
	if got.Summary.Applied != 6 || got.Summary.Failed != 0 {
		t.Errorf("summary = %+v", got.Summary)
	}
	if p.Changes[0].Status != "" {
		t.Error("Apply changed its input plan")
	}
}

func TestApplyContinuesPastFailures(t *testing.T) {
	org, p := fixture()
	w := &recorder{fail: map[string]error{
		"create O1 Sec visible":    errors.New("buildkite: teamCreate: boom"),
		"remove TM-carol":          fmt.Errorf("buildkite: teamMemberDelete: %w", model.ErrNotFound),
		"add T-web U-alice member": fmt.Errorf("buildkite: teamMemberCreate: %w", model.ErrAlreadyExists),
		"update TM-bob maintainer": fmt.Errorf("buildkite: teamMemberUpdate: %w", model.ErrNotFound),
	}}
	got := (&Applier{Writer: w}).Apply(context.Background(), org, p)
	status := map[string]string{}
	for _, c := range got.Changes {
		status[string(c.Action)+" "+c.Team+" "+c.Email] = string(c.Status) + " " + c.Error
	}
	want := map[string]string{
		"create_team sec ":                 "failed buildkite: teamCreate: boom",
		"add_member sec alice@acme.com":    `failed team "sec" could not be created`,
		"add_member web alice@acme.com":    "applied ",
		"update_role web bob@acme.com":     "failed buildkite: teamMemberUpdate: not found",
		"remove_member web carol@acme.com": "applied ",
		"invite  newbie@acme.com":          `failed team "sec" could not be created`,
	}
	if !reflect.DeepEqual(status, want) {
		t.Fatalf("statuses:\n%v\nwant:\n%v", status, want)
	}
	if got.Summary.Applied != 2 || got.Summary.Failed != 4 {
		t.Errorf("summary = %+v", got.Summary)
	}
}

func TestApplyStopsStartingChangesWhenCancelled(t *testing.T) {
	org, p := fixture()
	ctx, cancel := context.WithCancel(context.Background())
	w := &recorder{}
	w.onCall = func() {
		if len(w.calls) == 2 {
			cancel() // SIGTERM arrives while the second write is in flight
		}
	}
	var seen []plan.Change
	got := (&Applier{Writer: w, OnChange: func(c plan.Change) { seen = append(seen, c) }}).Apply(ctx, org, p)
	if len(w.calls) != 2 {
		t.Fatalf("writes after cancel: %v", w.calls)
	}
	if got.Summary.Applied != 2 || got.Summary.Failed != 0 || got.Summary.Skipped != 4 {
		t.Fatalf("summary = %+v", got.Summary)
	}
	// The changes never attempted are skipped, not failed: nothing was
	// written, and the caller tells them by their status.
	for _, c := range got.Changes {
		if c.Status != plan.StatusApplied && (c.Status != plan.StatusSkipped || c.Error != ErrCancelled.Error()) {
			t.Errorf("%s %s: status %q, error %q", c.Action, c.Email, c.Status, c.Error)
		}
	}
	// The write in flight when the cancel came still had a live context.
	if w.ctxErrs[1] != nil {
		t.Errorf("the in-flight write saw %v", w.ctxErrs[1])
	}
	// Only attempted changes reach the audit log.
	if len(seen) != 2 || seen[0].Status != plan.StatusApplied || seen[1].Status != plan.StatusApplied {
		t.Errorf("OnChange saw %+v, want the 2 attempted changes", seen)
	}
}

// pacer records what Apply told it, and cancels the run at its nth call
// (the run ends while a change waits for a rate-limit window).
type pacer struct {
	seen   []string
	nth    int
	cancel context.CancelFunc
}

func (p *pacer) Pace(ctx context.Context, progress string) error {
	p.seen = append(p.seen, progress)
	if len(p.seen) == p.nth {
		p.cancel()
		return context.Canceled
	}
	return ctx.Err()
}

// TestApplyPacesEachChange: every change waits for the pacer first, which
// hears how far the run has got; a run that ends during that wait leaves
// the change and the rest not attempted.
func TestApplyPacesEachChange(t *testing.T) {
	org, p := fixture()
	w := &recorder{}
	pc := &pacer{}
	(&Applier{Writer: w, Pacer: pc}).Apply(context.Background(), org, p)
	want := []string{"write 0/6", "write 1/6", "write 2/6", "write 3/6", "write 4/6", "write 5/6"}
	if !reflect.DeepEqual(pc.seen, want) {
		t.Errorf("pacer heard %q, want %q", pc.seen, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	w = &recorder{}
	pc = &pacer{nth: 3, cancel: cancel}
	got := (&Applier{Writer: w, Pacer: pc}).Apply(ctx, org, p)
	if len(w.calls) != 2 || got.Summary.Applied != 2 || got.Summary.Skipped != 4 {
		t.Errorf("writes %v, summary %+v; want the 2 changes before the wait, the rest skipped", w.calls, got.Summary)
	}
}

// TestApplyCreateTeamDefaults: a create_team change without a name or
// privacy, as a plan saved by an older teamsync has, creates a secret team
// named after its slug.
func TestApplyCreateTeamDefaults(t *testing.T) {
	org, _ := fixture()
	w := &recorder{}
	p := &plan.Plan{Changes: []plan.Change{{Action: plan.ActionCreateTeam, Team: "ops"}}}
	got := (&Applier{Writer: w}).Apply(context.Background(), org, p)
	if want := []string{"create O1 ops secret"}; !reflect.DeepEqual(w.calls, want) {
		t.Fatalf("calls = %q, want %q", w.calls, want)
	}
	if got.Changes[0].Status != plan.StatusApplied {
		t.Errorf("status %q, error %q", got.Changes[0].Status, got.Changes[0].Error)
	}
}

func TestApplyUnknownMember(t *testing.T) {
	org, _ := fixture()
	p := &plan.Plan{Changes: []plan.Change{
		{Action: plan.ActionAddMember, Team: "web", Email: "ghost@acme.com", Role: model.RoleMember},
		{Action: plan.ActionRemoveMember, Team: "web", Email: "ghost@acme.com"},
		{Action: plan.ActionAddMember, Team: "nope", Email: "alice@acme.com", Role: model.RoleMember},
	}}
	got := (&Applier{Writer: &recorder{}}).Apply(context.Background(), org, p)
	var errs []string
	for _, c := range got.Changes {
		errs = append(errs, c.Error)
	}
	want := []string{
		"ghost@acme.com is not a member of the organization",
		`ghost@acme.com is not a member of team "web"`,
		`team "nope" does not exist in Buildkite`,
	}
	if !reflect.DeepEqual(errs, want) {
		t.Fatalf("errors = %q", errs)
	}
}

// TestApplyOffboarding runs offboarding's changes after every team change,
// by the IDs of the snapshot, and takes "already gone" as done.
func TestApplyOffboarding(t *testing.T) {
	org, p := fixture()
	org.Members["dave@acme.com"] = model.Member{ID: "OM-dave", UserID: "U-dave", Email: "dave@acme.com"}
	org.Invitations = map[string]model.Invitation{"eve@acme.com": {ID: "INV-eve", Email: "eve@acme.com"}}
	p.Changes = append([]plan.Change{
		{Action: plan.ActionRevokeInvitation, Email: "eve@acme.com"},
		{Action: plan.ActionRemoveOrgMember, Email: "dave@acme.com"},
		{Action: plan.ActionRemoveOrgMember, Email: "ghost@acme.com"},
		{Action: plan.ActionRevokeInvitation, Email: "nobody@acme.com"},
	}, p.Changes...)
	w := &recorder{fail: map[string]error{"revoke INV-eve": fmt.Errorf("buildkite: organizationInvitationRevoke: %w", model.ErrNotFound)}}
	got := (&Applier{Writer: w}).Apply(context.Background(), org, p)
	if n := len(w.calls); n != 8 || w.calls[6] != "offboard OM-dave" || w.calls[7] != "revoke INV-eve" {
		t.Fatalf("calls:\n%s", strings.Join(w.calls, "\n"))
	}
	status := map[string]string{}
	for _, c := range got.Changes[:4] {
		status[string(c.Action)+" "+c.Email] = string(c.Status) + " " + c.Error
	}
	want := map[string]string{
		"revoke_invitation eve@acme.com":    "applied ",
		"remove_org_member dave@acme.com":   "applied ",
		"remove_org_member ghost@acme.com":  "failed ghost@acme.com is not a member of the organization",
		"revoke_invitation nobody@acme.com": "failed nobody@acme.com has no pending invitation",
	}
	if !reflect.DeepEqual(status, want) {
		t.Fatalf("statuses:\n%v\nwant:\n%v", status, want)
	}
}
