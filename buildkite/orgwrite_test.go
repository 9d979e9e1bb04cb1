package buildkite

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/sync/model"
)

// offboardSeed is peopleSeed with teams and invitations in every state.
// The token's user is root, an admin.
func offboardSeed() bksim.State {
	st := peopleSeed()
	st.Teams = []bksim.Team{
		{Slug: "platform", Members: []bksim.TeamMember{{Email: "alice@acme.com"}, {Email: "eve@acme.com", Role: "maintainer"}, {Email: "dave@acme.com"}}},
		{Slug: "ops", Members: []bksim.TeamMember{{Email: "eve@acme.com"}}},
	}
	st.Invitations = []bksim.Invitation{
		{Email: "gina@acme.com", Teams: []bksim.TeamRole{{Team: "ops", Role: "member"}}},
		{Email: "hank@acme.com", State: "expired"},
		{Email: "ivy@acme.com", State: "revoked"},
		{Email: "jill@acme.com", State: "accepted"},
	}
	return st
}

// invitationIDs reads the ID of every invitation, whatever its state, by
// email: ReadInvitations gives only the pending ones.
func invitationIDs(t *testing.T, tc *testClient) map[string]string {
	t.Helper()
	var out struct {
		Organization struct {
			Invitations struct {
				Edges []struct{ Node struct{ ID, Email string } }
			}
		}
	}
	op := operation{name: "AllInvitations", doc: `query AllInvitations($org: ID!) { organization(slug: $org) { invitations(first: 10) { edges { node { id email } } } } }`}
	if _, err := tc.run(context.Background(), op, map[string]any{"org": "acme"}, &out); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, e := range out.Organization.Invitations.Edges {
		ids[e.Node.Email] = e.Node.ID
	}
	return ids
}

// lastEvent is the newest audit event, without its time.
func lastEvent(srv *bksim.Server) bksim.AuditEvent {
	ev := srv.AuditEvents()
	e := ev[len(ev)-1]
	e.OccurredAt = time.Time{}
	return e
}

func TestRemoveOrgMember(t *testing.T) {
	srv, ts := startSim(t, offboardSeed())
	tc := simClient(t, ts.URL, 0, nil)
	ctx := context.Background()
	people, err := tc.ReadPeople(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := srv.State()
	eve := people.Members["eve@acme.com"].ID
	if err := tc.RemoveOrgMember(ctx, eve); err != nil {
		t.Fatal(err)
	}
	// Eve is out of the organization and both her teams; nothing else moved.
	want := before
	want.Members = slices.DeleteFunc(slices.Clone(want.Members), func(m bksim.Member) bool { return m.Email == "eve@acme.com" })
	want.Teams = []bksim.Team{
		{Slug: "ops", Name: "ops", Privacy: "secret", Members: []bksim.TeamMember{}},
		{Slug: "platform", Name: "platform", Privacy: "secret", Members: []bksim.TeamMember{{Email: "alice@acme.com", Role: "member"}, {Email: "dave@acme.com", Role: "member"}}},
	}
	assertSame(t, srv.State(), want)
	if got, want := lastEvent(srv), (bksim.AuditEvent{Type: bksim.EventMemberDeleted, Actor: "Root@Acme.com", SubjectType: bksim.SubjectOrganizationMember, Subject: "eve@acme.com"}); got != want {
		t.Errorf("audit event %+v, want %+v", got, want)
	}

	// Removing her again: she is gone.
	err = tc.RemoveOrgMember(ctx, eve)
	if want := `buildkite: organizationMemberDelete: graphql: No OrganizationMember found with ID "` + eve + `"`; !errors.Is(err, model.ErrNotFound) || errText(err) != want {
		t.Errorf("second remove: %v\nwant %q wrapping ErrNotFound", err, want)
	}
	if st := srv.Stats(); st.Rejected != 0 || st.ByOperation["organizationMemberDelete"] != 2 {
		t.Errorf("stats %+v: want no rejected operation and two removals sent", st)
	}
}

func TestRevokeInvitation(t *testing.T) {
	srv, ts := startSim(t, offboardSeed())
	tc := simClient(t, ts.URL, 0, nil)
	ctx := context.Background()
	_, pending, err := tc.ReadInvitations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gina := pending["gina@acme.com"].ID
	before := srv.State()
	if err := tc.RevokeInvitation(ctx, gina); err != nil {
		t.Fatal(err)
	}
	want := before
	want.Invitations = slices.Clone(before.Invitations)
	want.Invitations[0].State = bksim.InvitationRevoked
	assertSame(t, srv.State(), want)
	if got, want := lastEvent(srv), (bksim.AuditEvent{Type: bksim.EventInvitationRevoked, Actor: "Root@Acme.com", SubjectType: bksim.SubjectOrganizationInvitation, Subject: "gina@acme.com"}); got != want {
		t.Errorf("audit event %+v, want %+v", got, want)
	}

	ids := invitationIDs(t, tc)
	const prefix = "buildkite: organizationInvitationRevoke: graphql: "
	tests := []struct {
		name, id, want string
	}{
		{"revoked just now", gina, prefix + "This invitation has already been revoked; the invitation is revoked, no longer pending"},
		{"revoked before", ids["ivy@acme.com"], prefix + "This invitation has already been revoked; the invitation is revoked, no longer pending"},
		{"expired", ids["hank@acme.com"], prefix + "This invitation has expired; the invitation is expired, no longer pending"},
		{"no such invitation", "T3JnYW5pemF0aW9uSW52aXRhdGlvbi0tLTk5", prefix + `No OrganizationInvitation found with ID "T3JnYW5pemF0aW9uSW52aXRhdGlvbi0tLTk5"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tc.RevokeInvitation(ctx, tt.id)
			if !errors.Is(err, model.ErrNotFound) || errText(err) != tt.want {
				t.Errorf("RevokeInvitation = %v\nwant %q wrapping ErrNotFound", err, tt.want)
			}
		})
	}
	// An invitation accepted before the revoke came is not "nothing left
	// to do": the person is a member now, and the applier must not count
	// the revoke as done (it counts ErrNotFound as done).
	err = tc.RevokeInvitation(ctx, ids["jill@acme.com"])
	if want := prefix + "This invitation has already been accepted; the invitation was accepted: the person is an organization member now, which revoking cannot undo (the next run judges them as a member)"; err == nil || errors.Is(err, model.ErrNotFound) || errText(err) != want {
		t.Errorf("RevokeInvitation(accepted) = %v\nwant %q, not wrapping ErrNotFound", err, want)
	}
	assertSame(t, srv.State(), want)
	if st := srv.Stats(); st.Rejected != 0 {
		t.Errorf("%d operations failed schema validation", st.Rejected)
	}
}

// TestOrgWritesRefused: a token whose user is not an admin is refused;
// the refusal is not taken for "already gone".
func TestOrgWritesRefused(t *testing.T) {
	seed := offboardSeed()
	for i := range seed.Members {
		seed.Members[i].Role = ""
	}
	srv, ts := startSim(t, seed)
	tc := simClient(t, ts.URL, 0, nil)
	ctx := context.Background()
	people, err := tc.ReadPeople(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, pending, err := tc.ReadInvitations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := srv.State()
	err = tc.RemoveOrgMember(ctx, people.Members["eve@acme.com"].ID)
	if want := "buildkite: organizationMemberDelete: graphql: Only organization administrators can remove members from the organization"; errText(err) != want || errors.Is(err, model.ErrNotFound) {
		t.Errorf("RemoveOrgMember = %v, want %q", err, want)
	}
	err = tc.RevokeInvitation(ctx, pending["gina@acme.com"].ID)
	if want := "buildkite: organizationInvitationRevoke: graphql: Only organization administrators can revoke invitations"; errText(err) != want || errors.Is(err, model.ErrNotFound) {
		t.Errorf("RevokeInvitation = %v, want %q", err, want)
	}
	assertSame(t, srv.State(), before)
}

// TestSettleOrgWrites: after a 502 each offboarding write is read back
// and reported done, not done, gone (model.ErrNotFound) or unknown.
func TestSettleOrgWrites(t *testing.T) {
	writes := []struct {
		name, field string
		do          func(ctx context.Context, tc *testClient, id offboardTargets) error
	}{
		{"remove member", "organizationMemberDelete", func(ctx context.Context, tc *testClient, id offboardTargets) error {
			return tc.RemoveOrgMember(ctx, id.member)
		}},
		{"revoke invitation", "organizationInvitationRevoke", func(ctx context.Context, tc *testClient, id offboardTargets) error {
			return tc.RevokeInvitation(ctx, id.gina)
		}},
	}
	for _, w := range writes {
		for _, o := range lostAnswers {
			t.Run(w.name+"/"+o.name, func(t *testing.T) {
				srv, ts := startSim(t, offboardSeed())
				tc := simClient(t, ts.URL, 0, nil)
				id := offboardIDs(t, tc)
				before := srv.State()
				o.lose(srv, w.field, "node")
				err := w.do(context.Background(), tc, id)
				o.check(t, tc, srv, w.field, err, !sameState(before, srv.State()))
				if errors.Is(err, model.ErrNotFound) {
					t.Errorf("error %q wraps ErrNotFound", errText(err))
				}
			})
		}
	}

	// An invitation that is no longer pending when a lost revoke is read
	// back: nothing to revoke, as "not found".
	t.Run("revoke invitation/it did not run, the invitation has expired", func(t *testing.T) {
		srv, ts := startSim(t, offboardSeed())
		tc := simClient(t, ts.URL, 0, nil)
		id := offboardIDs(t, tc)
		srv.Inject(bksim.Fault{Field: "organizationInvitationRevoke", Status: 502})
		err := tc.RevokeInvitation(context.Background(), id.hank)
		want := "buildkite: organizationInvitationRevoke: HTTP 502: Bad Gateway; not sent again, since it may have run; reading back shows it did not take effect: the invitation is expired, no longer pending"
		if !errors.Is(err, model.ErrNotFound) || httpx.MayHaveRun(err) || errText(err) != want {
			t.Errorf("RevokeInvitation = %v\nwant %q wrapping ErrNotFound", err, want)
		}
	})
}

// TestSettleRevokeOfAcceptedInvitation: a revoke whose answer was lost,
// read back as accepted, failed: it must not wrap ErrNotFound (done).
func TestSettleRevokeOfAcceptedInvitation(t *testing.T) {
	srv, ts := startSim(t, offboardSeed())
	tc := simClient(t, ts.URL, 0, nil)
	jill := invitationIDs(t, tc)["jill@acme.com"]
	srv.Inject(bksim.Fault{Field: "organizationInvitationRevoke", Status: 502})
	err := tc.RevokeInvitation(context.Background(), jill)
	want := "buildkite: organizationInvitationRevoke: HTTP 502: Bad Gateway; not sent again, since it may have run; reading back shows it did not take effect: the invitation was accepted: the person is an organization member now, which revoking cannot undo (the next run judges them as a member)"
	if err == nil || errors.Is(err, model.ErrNotFound) || httpx.MayHaveRun(err) || errText(err) != want {
		t.Errorf("RevokeInvitation = %v\nwant %q, not wrapping ErrNotFound", err, want)
	}
}

// offboardTargets are eve's OrganizationMember ID and the IDs of gina's
// pending and hank's expired invitations.
type offboardTargets struct{ member, gina, hank string }

func offboardIDs(t *testing.T, tc *testClient) offboardTargets {
	t.Helper()
	people, err := tc.ReadPeople(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := invitationIDs(t, tc)
	return offboardTargets{people.Members["eve@acme.com"].ID, ids["gina@acme.com"], ids["hank@acme.com"]}
}

// sameState compares two snapshots whole.
func sameState(a, b bksim.State) bool { return reflect.DeepEqual(a, b) }

func assertSame(t *testing.T, got, want bksim.State) {
	t.Helper()
	if !sameState(got, want) {
		t.Fatalf("state\n got %+v\nwant %+v", got, want)
	}
}

// TestRevokeAcceptedInvitationIsNotDone: the invitation of a person who
// has left was accepted between plan and apply, so they are now an
// organization member. Revoked and expired are "nothing left to do";
// accepted is not: RevokeInvitation must fail without wrapping
// model.ErrNotFound, which the applier records as applied.
func TestRevokeAcceptedInvitationIsNotDone(t *testing.T) {
	_, ts := startSim(t, offboardSeed())
	tc := simClient(t, ts.URL, 0, nil)
	ids := invitationIDs(t, tc)
	err := tc.RevokeInvitation(context.Background(), ids["jill@acme.com"])
	if err == nil {
		t.Fatal("revoking an accepted invitation succeeded")
	}
	if errors.Is(err, model.ErrNotFound) {
		t.Errorf("revoking an accepted invitation wraps ErrNotFound, which the applier counts as applied: %v", err)
	}
}

// TestAccessMemberUpdateOnlyForAdmin: Buildkite answers
// organizationMemberUpdate allowed only for a token whose user is an
// organization admin, and bksim does too, so the preflight access check
// sees what the organization writes need instead of apply failing each
// remove_org_member ("Only organization administrators can remove members
// from the organization").
func TestAccessMemberUpdateOnlyForAdmin(t *testing.T) {
	for _, admin := range []bool{true, false} {
		seed := offboardSeed()
		if !admin {
			for i := range seed.Members {
				seed.Members[i].Role = ""
			}
		}
		_, ts := startSim(t, seed)
		tc := simClient(t, ts.URL, 0, nil)
		a, err := tc.Access(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if a.MemberUpdate != admin {
			t.Errorf("token user admin %v: Access says organizationMemberUpdate %v", admin, a.MemberUpdate)
		}
	}
}
