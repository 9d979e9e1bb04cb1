package memory

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// TestDriftRepairedInOnePeriod: a membership added, removed or re-roled by
// hand is repaired by the next scheduled run, with the audit log and,
// where the organization has none, with fingerprints; that run re-reads
// only the team that changed, and the quiet run after it reads no team.
func TestDriftRepairedInOnePeriod(t *testing.T) {
	drifts := []struct {
		name   string
		edit   func(h bksim.Hand) error
		team   string
		action plan.Action
	}{
		{"added by hand", func(h bksim.Hand) error { return h.AddTeamMember("api", "erin@acme.com", "member") }, "api", plan.ActionRemoveMember},
		{"removed by hand", func(h bksim.Hand) error { return h.RemoveTeamMember("web", "bob@acme.com") }, "web", plan.ActionAddMember},
		{"re-roled by hand", func(h bksim.Hand) error { return h.SetTeamRole("web", "bob@acme.com", "maintainer") }, "web", plan.ActionUpdateRole},
	}
	for _, mode := range []struct {
		name  string
		opts  bksim.Options
		mode  string
		quiet int // most points a quiet run may spend
	}{
		// The audit log's first page, with the events at the last mark and
		// teamsync's own of the repair run, read and passed over.
		{"audit log", bksim.Options{}, reconcile.ReadAudit, 20},
		// Three teams' fingerprints and the invitations.
		{"fingerprints", bksim.Options{NoAuditLog: true}, reconcile.ReadFingerprint, 20},
	} {
		for _, d := range drifts {
			t.Run(mode.name+"/"+d.name, func(t *testing.T) {
				r := newRig(t, seed(), mode.opts)
				want := teams(r.sim.State())
				if res := r.run(false); res.Read.Mode != reconcile.ReadFull || res.Plan.HasChanges() {
					t.Fatalf("first run: mode %s, changes %+v; want a full read of a converged organization", res.Read.Mode, res.Plan.Changes)
				}
				if err := d.edit(r.sim.ByHand("alice@acme.com")); err != nil {
					t.Fatal(err)
				}
				r.clock.advance(15 * time.Minute)
				res := r.run(false)
				if res.Read.Mode != mode.mode || res.Read.TeamsRead != 1 {
					t.Errorf("repair run: mode %s reading %d teams (%s), want %s reading 1", res.Read.Mode, res.Read.TeamsRead, res.Read.Why, mode.mode)
				}
				if c := res.Plan.Changes; len(c) != 1 || c[0].Team != d.team || c[0].Action != d.action || c[0].Status != plan.StatusApplied {
					t.Errorf("repair run changes = %+v, want one applied %s in %s", c, d.action, d.team)
				}
				if got := teams(r.sim.State()); !reflect.DeepEqual(got, want) {
					t.Errorf("after the repair run teams = %v\nwant %v", got, want)
				}
				r.clock.advance(15 * time.Minute)
				quiet := r.run(false)
				if quiet.Read.Mode != mode.mode || quiet.Read.TeamsRead != 0 || quiet.Plan.HasChanges() {
					t.Errorf("quiet run: mode %s, %d teams read, changes %+v; want %s, none, none", quiet.Read.Mode, quiet.Read.TeamsRead, quiet.Plan.Changes, mode.mode)
				}
				if quiet.Points > mode.quiet || quiet.Points == 0 {
					t.Errorf("a quiet run spent %d points, want 1 to %d", quiet.Points, mode.quiet)
				}
			})
		}
	}
}

// TestRefusedAuditLogFallsBack: when the audit log is refused, the runs
// find changes from fingerprints, say so once in the log, and still
// repair drift.
func TestRefusedAuditLogFallsBack(t *testing.T) {
	r := newRig(t, seed(), bksim.Options{NoAuditLog: true})
	r.run(false)
	for range 3 {
		if err := r.sim.ByHand("alice@acme.com").RemoveTeamMember("api", "dave@acme.com"); err != nil {
			t.Fatal(err)
		}
		res := r.run(false)
		if res.Read.Mode != reconcile.ReadFingerprint || len(res.Plan.Changes) != 1 || res.Plan.Changes[0].Status != plan.StatusApplied {
			t.Fatalf("mode %s, changes %+v", res.Read.Mode, res.Plan.Changes)
		}
	}
	if n := strings.Count(r.logs.String(), "the audit log is not available to this token"); n != 1 {
		t.Errorf("the refusal was logged %d times, want once:\n%s", n, r.logs.String())
	}
}

// TestFullReads: at the first run, once full_read_every has passed, when
// asked for, and after a run whose Buildkite read failed.
func TestFullReads(t *testing.T) {
	r := newRig(t, seed(), bksim.Options{})
	step := func(name string, full bool, wantMode, wantWhy string) {
		t.Helper()
		res := r.run(full)
		if res.Read.Mode != wantMode || !strings.Contains(res.Read.Why, wantWhy) {
			t.Errorf("%s: mode %s (%s), want %s (%s)", name, res.Read.Mode, res.Read.Why, wantMode, wantWhy)
		}
	}
	step("first run", false, reconcile.ReadFull, "nothing is remembered yet")
	r.clock.advance(23 * time.Hour)
	step("within a day", false, reconcile.ReadAudit, "")
	r.clock.advance(time.Hour)
	step("a day after the full read", false, reconcile.ReadFull, "sync.full_read_every (24h0m0s) has passed")
	step("asked for", true, reconcile.ReadFull, "a full read was asked for")

	// The audit log, then the invitations the fingerprint run reads.
	r.sim.Inject(bksim.Fault{Field: "organization", Status: 500, Times: 2})
	if _, err := r.runner(false).Apply(context.Background(), r.mapping, plan.Options{}); err == nil {
		t.Fatal("a run whose invitations read fails succeeded")
	}
	step("after a failed read", false, reconcile.ReadFull, "the last run's Buildkite read failed")
	step("after that", false, reconcile.ReadAudit, "")
}

// TestOwnWritesAreRemembered: what teamsync writes is remembered from its
// answers, so the run after a repair reads no team: its audit events are
// known, and the fingerprints derived from memory match Buildkite's.
func TestOwnWritesAreRemembered(t *testing.T) {
	for _, opts := range []bksim.Options{{}, {NoAuditLog: true}} {
		r := newRig(t, seed(), opts)
		r.mapping.Teams[2].Groups[0].Users = []string{"bob@acme.com"} // ops: erin out, bob in
		r.mapping.Teams[0].Groups[1].Role = model.RoleMaintainer      // web: bob maintainer
		first := r.run(false)
		if first.Plan.Summary.Applied != 3 {
			t.Fatalf("first run applied %+v", first.Plan.Summary)
		}
		next := r.run(false)
		if next.Read.TeamsRead != 0 || next.Plan.HasChanges() {
			t.Errorf("no audit log %v: the run after teamsync's writes read %d teams (%s) and planned %+v", opts.NoAuditLog, next.Read.TeamsRead, next.Read.Why, next.Plan.Changes)
		}
	}
}

// TestMemberLeavingIsFingerprinted: a member who leaves takes their
// memberships along with no event of their own, and the event of their
// leaving has no subject: the fingerprints find the team.
func TestMemberLeavingIsFingerprinted(t *testing.T) {
	r := newRig(t, seed(), bksim.Options{})
	r.run(false)
	if err := r.sim.RemoveMember("erin@acme.com"); err != nil {
		t.Fatal(err)
	}
	res := r.run(false)
	if res.Read.Mode != reconcile.ReadFingerprint || res.Read.TeamsRead != 1 || !strings.Contains(res.Read.Why, "a member left") {
		t.Errorf("mode %s reading %d (%s)", res.Read.Mode, res.Read.TeamsRead, res.Read.Why)
	}
	if u := res.Plan.Unplaced; len(u) != 1 || u[0].Email != "erin@acme.com" || u[0].Reason != plan.ReasonNotInOrganization {
		t.Errorf("unplaced = %+v, want erin, no longer in the organization", u)
	}
}

// TestPartialRunLeavesOtherTeamsForTheNext: an Okta hook's run of some
// teams reads only those; a change it learns of in another team is read
// by the next run.
func TestPartialRunLeavesOtherTeamsForTheNext(t *testing.T) {
	r := newRig(t, seed(), bksim.Options{})
	r.run(false)
	if err := r.sim.ByHand("alice@acme.com").RemoveTeamMember("api", "carol@acme.com"); err != nil {
		t.Fatal(err)
	}
	web, err := r.mapping.Select([]string{"web"})
	if err != nil {
		t.Fatal(err)
	}
	runner := r.runner(false)
	runner.Partial = true
	res, err := runner.Apply(context.Background(), web, plan.Options{})
	if err != nil || res.Read.TeamsRead != 0 || res.Plan.HasChanges() {
		t.Fatalf("the web run: %v, read %d teams, changes %+v", err, res.Read.TeamsRead, res.Plan)
	}
	next := r.run(false)
	if next.Read.TeamsRead != 1 || len(next.Plan.Changes) != 1 || next.Plan.Changes[0].Team != "api" {
		t.Errorf("the next run read %d teams and planned %+v, want api read and carol added back", next.Read.TeamsRead, next.Plan.Changes)
	}
}

// TestWritesWithUnknownOutcomeAreReadAgain: a write that fails leaves its
// team to be read again, whatever the audit log says.
func TestWritesWithUnknownOutcomeAreReadAgain(t *testing.T) {
	r := newRig(t, seed(), bksim.Options{})
	r.run(false)
	if err := r.sim.ByHand("alice@acme.com").RemoveTeamMember("web", "bob@acme.com"); err != nil {
		t.Fatal(err)
	}
	r.sim.Inject(bksim.Fault{Field: "teamMemberCreate", Message: "Something went wrong"})
	res := r.run(false)
	if c := res.Plan.Changes; len(c) != 1 || c[0].Status != plan.StatusFailed {
		t.Fatalf("changes %+v, want the add failed", c)
	}
	next := r.run(false)
	if next.Read.TeamsRead != 1 || len(next.Plan.Changes) != 1 || next.Plan.Changes[0].Status != plan.StatusApplied {
		t.Errorf("next run read %d teams, changes %+v; want web read again and bob added", next.Read.TeamsRead, next.Plan.Changes)
	}
}

// TestForgetAfterTeamError: a run that could not read a team whole is a
// failed Buildkite read: the next one is full.
func TestForgetAfterTeamError(t *testing.T) {
	r := newRig(t, seed(), bksim.Options{})
	r.run(false)
	if err := r.sim.ByHand("alice@acme.com").RemoveTeamMember("web", "bob@acme.com"); err != nil {
		t.Fatal(err)
	}
	r.sim.Inject(bksim.Fault{Field: "team", Message: "Internal server error"})
	res := r.run(false)
	if len(res.Plan.Errors) != 1 {
		t.Fatalf("errors %+v, want web's read failed", res.Plan.Errors)
	}
	if next := r.run(false); next.Read.Mode != reconcile.ReadFull || len(next.Plan.Changes) != 1 {
		t.Errorf("next run: mode %s, changes %+v", next.Read.Mode, next.Plan.Changes)
	}
}

// TestReadFailureForgets: Read's own failure leaves nothing remembered.
func TestReadFailureForgets(t *testing.T) {
	r := newRig(t, seed(), bksim.Options{})
	r.run(false)
	r.sim.Inject(bksim.Fault{Field: "team", Status: 500, Times: 100})
	_, err := r.runner(false).Apply(context.Background(), r.mapping, plan.Options{})
	if err != nil {
		t.Fatalf("nothing changed, so no team is read, and nothing fails: %v", err)
	}
	if err := r.sim.ByHand("alice@acme.com").RemoveTeamMember("web", "bob@acme.com"); err != nil {
		t.Fatal(err)
	}
	if _, err = r.runner(false).Apply(context.Background(), r.mapping, plan.Options{}); err == nil {
		t.Fatal("reading the changed team failed, but the run did not")
	}
	r.mem.mu.Lock()
	forgotten := r.mem.st == nil
	r.mem.mu.Unlock()
	if !forgotten {
		t.Error("the memory still holds a state after a failed read")
	}
}

// TestMappingChanges: a team added to the mapping is read in full by the
// next run, a team dropped from it is forgotten, and another organization
// or endpoint starts over with a full read.
func TestMappingChanges(t *testing.T) {
	r := newRig(t, seed(), bksim.Options{})
	r.run(false)
	ops := r.mapping.Teams[2]
	r.mapping.Teams = r.mapping.Teams[:2]
	if res := r.run(false); res.Read.Mode != reconcile.ReadAudit || res.Read.TeamsRead != 0 {
		t.Errorf("a team dropped: mode %s, %d teams read", res.Read.Mode, res.Read.TeamsRead)
	}
	r.mem.mu.Lock()
	_, kept := r.mem.st.teams["ops"]
	r.mem.mu.Unlock()
	if kept {
		t.Error("the dropped team is still remembered")
	}
	r.mapping.Teams = append(r.mapping.Teams, ops)
	if res := r.run(false); res.Read.Mode != reconcile.ReadAudit || res.Read.TeamsRead != 1 {
		t.Errorf("a team added: mode %s, %d teams read, want it alone read", res.Read.Mode, res.Read.TeamsRead)
	}
	r.mapping.Buildkite.GraphQLURL += "/"
	if res := r.run(false); res.Read.Mode != reconcile.ReadFull || !strings.Contains(res.Read.Why, "graphql_url changed") {
		t.Errorf("another endpoint: mode %s (%s), want a full read", res.Read.Mode, res.Read.Why)
	}
}

// TestRenamedTeamIsReadAgain: a managed team renamed by hand keeps its ID
// and takes a slug the mapping does not name. The audit-mode run finds it
// by its ID, reads its remembered slug again and finds it missing, exactly
// as a full read does, and writes nothing to the renamed team.
func TestRenamedTeamIsReadAgain(t *testing.T) {
	edits := []struct {
		name string
		edit func(h bksim.Hand) error
	}{
		{"renamed", func(h bksim.Hand) error { return h.RenameTeam("web", "Web Legacy") }},
		{"renamed, then a member added", func(h bksim.Hand) error {
			if err := h.RenameTeam("web", "Web Legacy"); err != nil {
				return err
			}
			return h.AddTeamMember("web-legacy", "erin@acme.com", "member")
		}},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			var got [2]*reconcile.Result
			for i, full := range []bool{false, true} {
				r := newRig(t, seed(), bksim.Options{})
				r.run(false)
				// web now wants dave too: a write the memory's stale
				// web would send to the renamed team.
				r.mapping.Teams[0].Groups[1].Users = append(r.mapping.Teams[0].Groups[1].Users, "dave@acme.com")
				if err := e.edit(r.sim.ByHand("alice@acme.com")); err != nil {
					t.Fatal(err)
				}
				before := teams(r.sim.State())["web-legacy"]
				r.clock.advance(15 * time.Minute)
				got[i] = r.run(full)
				if after := teams(r.sim.State())["web-legacy"]; !reflect.DeepEqual(after, before) {
					t.Errorf("full read %v: the renamed team went from %v to %v", full, before, after)
				}
			}
			audit, full := got[0], got[1]
			if audit.Read.Mode != reconcile.ReadAudit {
				t.Errorf("mode %s (%s), want %s", audit.Read.Mode, audit.Read.Why, reconcile.ReadAudit)
			}
			if !reflect.DeepEqual(audit.Plan.Changes, full.Plan.Changes) || !reflect.DeepEqual(audit.Plan.Errors, full.Plan.Errors) {
				t.Errorf("audit run: changes %+v, errors %+v\nfull read: changes %+v, errors %+v",
					audit.Plan.Changes, audit.Plan.Errors, full.Plan.Changes, full.Plan.Errors)
			}
			if errs := full.Plan.Errors; len(errs) != 1 || errs[0].Team != "web" || errs[0].Message != plan.MsgTeamMissing {
				t.Errorf("full read errors = %+v, want web missing", errs)
			}
		})
	}
}

// TestExpiredInvitationIsInvitedAgain: an invitation that expires writes
// no audit event and changes no fingerprint, so while any invitation is
// remembered pending the runs read the invitations again, and the person
// is invited again at the next run, as a full read would. With none
// pending, a quiet run does not read them.
func TestExpiredInvitationIsInvitedAgain(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts bksim.Options
	}{{"audit log", bksim.Options{}}, {"fingerprints", bksim.Options{NoAuditLog: true}}} {
		t.Run(mode.name, func(t *testing.T) {
			r := newRig(t, seed(), mode.opts)
			r.mapping.Sync.MissingUsers = config.MissingInvite
			r.mapping.Teams[2].Groups[0].Users = []string{"erin@acme.com", "zoe@acme.com"} // zoe is not in the organization
			invites := func(res *reconcile.Result) (n int) {
				for _, c := range res.Plan.Changes {
					if c.Action == plan.ActionInvite && c.Email == "zoe@acme.com" && c.Status == plan.StatusApplied {
						n++
					}
				}
				return n
			}
			if n := invites(r.run(false)); n != 1 {
				t.Fatalf("the first run invited zoe %d times, want once", n)
			}
			r.clock.advance(15 * time.Minute)
			if n := invites(r.run(false)); n != 0 {
				t.Fatalf("zoe was invited again while her invitation is pending")
			}
			if err := r.sim.SetInvitationState("zoe@acme.com", bksim.InvitationExpired); err != nil {
				t.Fatal(err)
			}
			r.clock.advance(15 * time.Minute)
			if res := r.run(false); res.Read.Mode == reconcile.ReadFull || invites(res) != 1 {
				t.Errorf("after the expiry: mode %s, changes %+v; want zoe invited again without a full read", res.Read.Mode, res.Plan.Changes)
			}
		})
	}
	r := newRig(t, seed(), bksim.Options{})
	r.run(false)
	r.clock.advance(15 * time.Minute)
	before := len(r.logs.String())
	if res := r.run(false); res.Read.Mode != reconcile.ReadAudit || !strings.Contains(r.logs.String()[before:], "invitations_read=false") {
		t.Errorf("a quiet run with no invitation pending: mode %s, log:\n%s", res.Read.Mode, r.logs.String()[before:])
	}
}

// TestAuditLogFailureIsRetried: the audit log failing for a reason that
// may pass (a 5xx, "currently busy") is not a refusal: that run finds
// changes from fingerprints, and the next reads the audit log again, from
// where the last one that was read left off. At a full read, the next run
// reads where the audit log stands and watches it from there.
func TestAuditLogFailureIsRetried(t *testing.T) {
	for _, f := range []bksim.Fault{{Field: "organization", Status: 502}, {Field: "organization"}} {
		t.Run(fmt.Sprintf("status %d", f.Status), func(t *testing.T) {
			r := newRig(t, seed(), bksim.Options{})
			r.run(false)
			hand := r.sim.ByHand("alice@acme.com")
			if err := hand.SetTeamRole("web", "bob@acme.com", "maintainer"); err != nil {
				t.Fatal(err)
			}
			r.sim.Inject(f)
			res := r.run(false)
			if res.Read.Mode != reconcile.ReadFingerprint || res.Read.Why != "the audit log could not be read this run" || len(res.Plan.Changes) != 1 || res.Plan.Changes[0].Status != plan.StatusApplied {
				t.Errorf("failing run: mode %s (%s), changes %+v; want fingerprints repairing web", res.Read.Mode, res.Read.Why, res.Plan.Changes)
			}
			// The hand's event, after the old mark, names web again; the
			// repair's is teamsync's own.
			if res := r.run(false); res.Read.Mode != reconcile.ReadAudit || res.Read.TeamsRead != 1 || res.Plan.HasChanges() {
				t.Errorf("next run: mode %s (%s), %d teams read, changes %+v; want the audit log, web read", res.Read.Mode, res.Read.Why, res.Read.TeamsRead, res.Plan.Changes)
			}
			if res := r.run(false); res.Read.Mode != reconcile.ReadAudit || res.Read.TeamsRead != 0 {
				t.Errorf("quiet run: mode %s, %d teams read", res.Read.Mode, res.Read.TeamsRead)
			}

			// At a full read.
			r.sim.Inject(f)
			if res := r.run(true); res.Read.Mode != reconcile.ReadFull {
				t.Fatalf("full read: mode %s", res.Read.Mode)
			}
			if err := hand.RemoveTeamMember("api", "dave@acme.com"); err != nil {
				t.Fatal(err)
			}
			res = r.run(false)
			if res.Read.Mode != reconcile.ReadFingerprint || len(res.Plan.Changes) != 1 || res.Plan.Changes[0].Status != plan.StatusApplied {
				t.Errorf("run after the full read: mode %s (%s), changes %+v; want fingerprints repairing api", res.Read.Mode, res.Read.Why, res.Plan.Changes)
			}
			if res := r.run(false); res.Read.Mode != reconcile.ReadAudit || res.Read.TeamsRead != 0 || res.Plan.HasChanges() {
				t.Errorf("the run after: mode %s (%s), %d teams read, changes %+v; want the audit log, quiet", res.Read.Mode, res.Read.Why, res.Read.TeamsRead, res.Plan.Changes)
			}
			if strings.Contains(r.logs.String(), "not available to this token") {
				t.Errorf("a passing failure was logged as a refusal:\n%s", r.logs.String())
			}
		})
	}
}
