package buildkite

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
	"github.com/teamsync/teamsync/sync/model"
)

// TestFingerprints: the fingerprint read is the one a full read of the
// team gives (bots count), a missing team has none, and any change to a
// team's memberships but two that cancel out shows.
func TestFingerprints(t *testing.T) {
	srv, ts := startSim(t, readSeed())
	tc := simClient(t, ts.URL, 0, nil)
	ctx := context.Background()
	slugs := []string{"platform", "mobile", "empty", "ghost"}
	org, err := tc.ReadOrg(ctx, slugs)
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetStats()
	fps, errs, err := tc.Fingerprints(ctx, slugs)
	if err != nil || len(errs) != 0 {
		t.Fatalf("Fingerprints: %v %v", err, errs)
	}
	for _, s := range []string{"platform", "mobile", "empty"} {
		if want := org.Teams[s].Fingerprint(); fps[s] != want {
			t.Errorf("%s: read %+v, the full read gives %+v", s, fps[s], want)
		}
	}
	if fps["ghost"] != (model.Fingerprint{}) {
		t.Errorf("a missing team's fingerprint = %+v, want none", fps["ghost"])
	}
	// One request; five points a team with members, four for the empty one.
	if st := srv.Stats(); st.Requests != 1 || st.ActualComplexity != 5+5+4 {
		t.Errorf("%d requests costing %d, want 1 costing 14", st.Requests, st.ActualComplexity)
	}

	hand := srv.ByHand("alice@acme.com")
	for _, tt := range []struct {
		name    string
		edit    func() error
		changed bool
	}{
		{"a removal", func() error { return hand.RemoveTeamMember("platform", "dave@acme.com") }, true},
		{"an addition", func() error { return hand.AddTeamMember("platform", "dave@acme.com", "member") }, true},
		{"a role change", func() error { return hand.SetTeamRole("platform", "bob@acme.com", "maintainer") }, true},
		{"the blind spot: two role changes in opposite directions", func() error {
			if err := hand.SetTeamRole("platform", "bob@acme.com", "member"); err != nil {
				return err
			}
			return hand.SetTeamRole("platform", "carol@acme.com", "maintainer")
		}, false},
	} {
		before, _, _ := tc.Fingerprints(ctx, []string{"platform"})
		if err := tt.edit(); err != nil {
			t.Fatal(err)
		}
		after, _, _ := tc.Fingerprints(ctx, []string{"platform"})
		if got := before["platform"] != after["platform"]; got != tt.changed {
			t.Errorf("%s: fingerprint changed = %v, want %v (%+v → %+v)", tt.name, got, tt.changed, before["platform"], after["platform"])
		}
	}
}

// TestFingerprintsTeamErrors: an error under one alias fails that team's
// fingerprint only; a malformed one is an error, never a zero count.
func TestFingerprintsTeamErrors(t *testing.T) {
	srv, ts := startSim(t, readSeed())
	srv.Inject(bksim.Fault{Field: "team", Message: "Internal server error"})
	tc := simClient(t, ts.URL, 0, nil)
	fps, errs, err := tc.Fingerprints(context.Background(), []string{"mobile", "platform"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fps) != 0 || len(errs) != 2 || !strings.Contains(errText(errs["mobile"]), `read fingerprint of team "mobile": graphql: Internal server error`) {
		t.Errorf("fps %v, errs %v", fps, errs)
	}

	_, ts2 := startScripted(t, reply{body: `{"data":{"t0":{"id":"T","newest":{"count":3,"edges":[]},"maintainers":{"count":1}}}}`})
	tc2 := newTestClient(t, ts2.URL, nil)
	_, errs, err = tc2.Fingerprints(context.Background(), []string{"web"})
	if err != nil || !strings.Contains(errText(errs["web"]), "malformed answer: a team with members but no newest membership") {
		t.Errorf("a team with members and no newest one: %v %v", err, errs)
	}
}

// TestAuditEvents: events newest first, teamsync's own marked, a deleted
// membership's team unknown but its ID kept, since inclusive, and every
// page read.
func TestAuditEvents(t *testing.T) {
	clock := newFakeClock()
	srv, ts := bksimtest.StartWith(t, readSeed(), bksim.Options{RateLimit: 1 << 30, Now: clock.Now})
	tc := simClient(t, ts.URL, 0, nil)
	ctx := context.Background()
	if ev, err := tc.NewestAuditEvent(ctx); err != nil || ev != nil {
		t.Fatalf("NewestAuditEvent of a quiet log = %+v, %v", ev, err)
	}
	org, err := tc.ReadOrg(ctx, []string{"platform", "mobile"})
	if err != nil {
		t.Fatal(err)
	}
	added, err := tc.AddTeamMember(ctx, org.Teams["mobile"].ID, org.Members["dave@acme.com"].UserID, model.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Second)
	hand := srv.ByHand("carol@acme.com")
	if err := hand.RemoveTeamMember("platform", "bob@acme.com"); err != nil {
		t.Fatal(err)
	}
	if err := hand.SetTeamRole("platform", "dave@acme.com", "maintainer"); err != nil {
		t.Fatal(err)
	}
	events, err := tc.AuditEvents(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		Type, SubjectType, SubjectID, Team string
		Own, Gone                          bool
	}
	var got []view
	for _, e := range events {
		if e.ID == "" || e.OccurredAt.IsZero() {
			t.Errorf("event without ID or time: %+v", e)
		}
		got = append(got, view{e.Type, e.SubjectType, e.SubjectID, e.Team, e.Own, e.Gone})
	}
	want := []view{
		{"TEAM_MEMBER_UPDATED", "TEAM_MEMBER", org.Teams["platform"].Members["dave@acme.com"].ID, "platform", false, false},
		{"TEAM_MEMBER_DELETED", "TEAM_MEMBER", org.Teams["platform"].Members["bob@acme.com"].ID, "", false, true},
		{"TEAM_MEMBER_CREATED", "TEAM_MEMBER", added.ID, "mobile", true, false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events\n got %+v\nwant %+v", got, want)
	}
	newest, err := tc.NewestAuditEvent(ctx)
	if err != nil || newest == nil || newest.ID != events[0].ID {
		t.Fatalf("NewestAuditEvent = %+v, %v; want %s", newest, err, events[0].ID)
	}
	since, err := tc.AuditEvents(ctx, events[1].OccurredAt)
	if err != nil || len(since) != 2 {
		t.Errorf("events since the second newest: %d (%v), want it and the newest", len(since), err)
	}

	// 120 more: a page of 50, then the rest in one.
	for range 60 {
		if err := hand.RemoveTeamMember("platform", "dave@acme.com"); err != nil {
			t.Fatal(err)
		}
		if err := hand.AddTeamMember("platform", "dave@acme.com", "member"); err != nil {
			t.Fatal(err)
		}
	}
	srv.ResetStats()
	all, err := tc.AuditEvents(ctx, time.Time{})
	if err != nil || len(all) != 123 {
		t.Fatalf("read %d events (%v), want 123", len(all), err)
	}
	if st := srv.Stats(); st.Requests != 2 {
		t.Errorf("%d requests, want 2 pages", st.Requests)
	}
}

// TestAuditEventsRefused: an organization without the audit log, or a
// token that may not read it, is a refusal the caller can tell apart.
func TestAuditEventsRefused(t *testing.T) {
	_, ts := bksimtest.StartWith(t, readSeed(), bksim.Options{RateLimit: 1 << 30, NoAuditLog: true})
	tc := simClient(t, ts.URL, 0, nil)
	_, err := tc.AuditEvents(context.Background(), time.Time{})
	if !errors.Is(err, model.ErrRefused) || errText(err) != "buildkite: read the audit log: refused: graphql: "+bksim.AuditLogRefused {
		t.Errorf("AuditEvents: %v, want a refusal", err)
	}
	if _, err := tc.NewestAuditEvent(context.Background()); !errors.Is(err, model.ErrRefused) {
		t.Errorf("NewestAuditEvent: %v, want a refusal", err)
	}
}

// TestRefusedAuditLog: only a refusal at organization.auditEvents gives
// up the audit log; a transient error there is a failure of this read.
func TestRefusedAuditLog(t *testing.T) {
	at := []string{"organization", "auditEvents"}
	tests := []struct {
		name string
		errs []gqlError
		want bool
	}{
		{"the simulator's refusal", []gqlError{{Message: bksim.AuditLogRefused, Path: at}}, true},
		{"a plan refusal", []gqlError{{Message: "Audit Log is only available on the Enterprise plan", Path: at}}, true},
		{"a permission refusal", []gqlError{{Message: "You do not have permission to view audit events", Path: at}}, true},
		{"an unknown error there", []gqlError{{Message: "Audit events are off", Path: at}}, true},
		{"currently busy", []gqlError{{Message: "Buildkite is currently busy, please try again.", Path: at}}, false},
		{"went wrong", []gqlError{{Message: "Something went wrong while fetching audit events. Please try again.", Path: at}}, false},
		{"a timeout", []gqlError{{Message: "Request timed out", Path: at}}, false},
		{"elsewhere", []gqlError{{Message: "not available", Path: []string{"organization"}}}, false},
		{"a transient and a refusal", []gqlError{{Message: "Request timed out", Path: at}, {Message: "permission denied", Path: append(at, "edges")}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := refusedAuditLog(tt.errs); got != tt.want {
				t.Errorf("refusedAuditLog(%+v) = %v, want %v", tt.errs, got, tt.want)
			}
		})
	}
}

// TestAuditEventsBusyIsNotRefused: "currently busy" after the retries
// fails the read without saying the audit log is refused.
func TestAuditEventsBusyIsNotRefused(t *testing.T) {
	srv, ts := bksimtest.StartWith(t, readSeed(), bksim.Options{RateLimit: 1 << 30})
	srv.Inject(bksim.Fault{Field: "organization", Times: 10})
	tc := simClient(t, ts.URL, 0, nil)
	if _, err := tc.AuditEvents(context.Background(), time.Time{}); err == nil || errors.Is(err, model.ErrRefused) {
		t.Errorf("AuditEvents = %v, want a failure that is not a refusal", err)
	}
}

// TestReadTeamsAndInvitations: the parts of ReadOrg a caller that
// remembers the rest reads again.
func TestReadTeamsAndInvitations(t *testing.T) {
	_, ts := startSim(t, readSeed())
	tc := simClient(t, ts.URL, 2, nil)
	ctx := context.Background()
	teams, errs, err := tc.ReadTeams(ctx, []string{"platform", "ghost"})
	if err != nil || len(errs) != 0 || len(teams) != 1 || len(teams["platform"].Members) != 4 || len(teams["platform"].Unlisted) != 1 {
		t.Errorf("ReadTeams = %+v, %v, %v", teams, errs, err)
	}
	id, inv, err := tc.ReadInvitations(ctx)
	if err != nil || id == "" || len(inv) != 1 || inv["gina@acme.com"].ID == "" {
		t.Errorf("ReadInvitations = %q, %+v, %v", id, inv, err)
	}
}

// TestReadOrgSizesLargeReads: more teams than one query holds at the full
// page are sized first (one fingerprints query), and each is then read
// with a page its size, so the whole read fits in fewer, cheaper queries.
func TestReadOrgSizesLargeReads(t *testing.T) {
	st := bigSeed(2000, 60, 30)
	srv, ts := startSim(t, st)
	tc := simClient(t, ts.URL, 0, nil)
	org, err := tc.ReadOrg(context.Background(), teamSlugs(st))
	if err != nil {
		t.Fatal(err)
	}
	for _, team := range org.Teams {
		if len(team.Members) != 30 {
			t.Fatalf("team %s has %d members, want 30", team.Slug, len(team.Members))
		}
	}
	// Invitations, the sizing, then all 60 teams (60 × (4 + 2·35)) in one.
	s := srv.Stats()
	if s.Requests != 3 || s.ByOperation["team"] != 120 {
		t.Errorf("%d requests, %d team fields, want 3 and 120 (%v)", s.Requests, s.ByOperation["team"], s.ByOperation)
	}
	if tc.Points() != s.ActualComplexity {
		t.Errorf("Points() = %d, the simulator charged %d", tc.Points(), s.ActualComplexity)
	}
}

// TestReadOrgPacesBothWindows: a full read of 1,200 memberships against a
// per-user window of 500 points (and an organization window of 2,000),
// sized and paced, draws no 429, waits only for resets, and says in its
// waits which window held it and how far the read had got.
func TestReadOrgPacesBothWindows(t *testing.T) {
	clock := newFakeClock()
	st := bigSeed(300, 40, 30)
	srv, ts := bksimtest.StartWith(t, st, bksim.Options{RateLimit: 2000, UserRateLimit: 500, Window: time.Minute, Now: clock.Now})
	tc := simClient(t, ts.URL, 0, func(c *Config) { c.Now, c.Sleep = clock.Now, clock.sleep })
	org, err := tc.ReadOrg(context.Background(), teamSlugs(st))
	if err != nil {
		t.Fatal(err)
	}
	if len(org.Teams) != 40 || len(org.TeamErrors) != 0 {
		t.Fatalf("read %d teams, errors %v", len(org.Teams), org.TeamErrors)
	}
	s := srv.Stats()
	if s.RateLimited != 0 {
		t.Errorf("%d requests were refused with 429:\n%s", s.RateLimited, tc.logs.String())
	}
	waits := clock.sleeps()
	if min := s.ActualComplexity / 500; len(waits) < min-1 {
		t.Errorf("%d points against a window of 500 in %d waits", s.ActualComplexity, len(waits))
	}
	for _, d := range waits {
		if d <= 0 || d > time.Minute {
			t.Errorf("a wait of %s, want one within the window", d)
		}
	}
	logs := tc.logs.String()
	if !strings.Contains(logs, "window=user") || !strings.Contains(logs, `progress="read `) || !strings.Contains(logs, "/40 teams") {
		t.Errorf("the waits do not say which window and how far the read got:\n%s", logs)
	}
	if tc.Points() != s.ActualComplexity {
		t.Errorf("Points() = %d, the simulator charged %d", tc.Points(), s.ActualComplexity)
	}
	t.Logf("%d points in %d requests, %d waits", s.ActualComplexity, s.Requests, len(waits))
}

// TestPaceWaitsForAWrite: Pace returns at once while a write fits, and
// otherwise waits for the reset of the window that has no room, saying so
// with the progress it was given.
func TestPaceWaitsForAWrite(t *testing.T) {
	clock := newFakeClock()
	_, ts := bksimtest.StartWith(t, readSeed(), bksim.Options{RateLimit: 1 << 30, UserRateLimit: 20, Window: time.Minute, Now: clock.Now})
	tc := simClient(t, ts.URL, 0, func(c *Config) { c.Now, c.Sleep = clock.Now, clock.sleep })
	ctx := context.Background()
	if err := tc.Pace(ctx, "write 0/3"); err != nil || len(clock.sleeps()) != 0 {
		t.Fatalf("nothing seen yet: %v, sleeps %v", err, clock.sleeps())
	}
	// A lookup costs 5; four leave nothing of the 20.
	for range 4 {
		if _, err := tc.LookupMembers(ctx, []string{"alice@acme.com"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tc.Pace(ctx, "write 2/3"); err != nil {
		t.Fatal(err)
	}
	if got := clock.sleeps(); len(got) != 1 || got[0] != time.Minute {
		t.Errorf("sleeps = %v, want one until the reset", got)
	}
	if logs := tc.logs.String(); !strings.Contains(logs, `operation=write window=user cost=`+fmt.Sprint(writeCost())) || !strings.Contains(logs, `progress="write 2/3"`) {
		t.Errorf("the wait is not explained:\n%s", logs)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := tc.Pace(cancelled, "write 3/3"); !errors.Is(err, context.Canceled) {
		t.Errorf("Pace after the run ended: %v", err)
	}
}
