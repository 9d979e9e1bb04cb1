package buildkite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/sync/model"
)

// TestCreateTeamAnswerLost: a teamCreate that ran and then lost its answer
// (a 502, or no answer within the attempt timeout) is not sent again; the
// team is found by its slug and its ID returned, so the adds that depend
// on it succeed, and nothing fails with "already taken".
func TestCreateTeamAnswerLost(t *testing.T) {
	tests := []struct {
		name  string
		fault bksim.Fault
	}{
		{"502 after it ran", bksim.Fault{Field: "teamCreate", Status: 502, AfterExecute: true}},
		{"no answer after it ran", bksim.Fault{Field: "teamCreate", Status: 504, AfterExecute: true, Stall: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := startSim(t, readSeed())
			tc := simClient(t, ts.URL, 0, func(c *Config) { c.AttemptTimeout = 200 * time.Millisecond })
			org := readForWrite(t, tc)
			srv.Inject(tt.fault)
			srv.ResetStats()
			ctx := context.Background()
			id, err := tc.CreateTeam(ctx, org.ID, model.NewTeam{Name: "Data Science"})
			if err != nil {
				t.Fatalf("CreateTeam: %v", err)
			}
			for _, email := range []string{"eve@acme.com", "alice@acme.com"} {
				if _, err := tc.AddTeamMember(ctx, id, org.Members[email].UserID, model.RoleMember); err != nil {
					t.Errorf("add %s to the new team: %v", email, err)
				}
			}
			team := findTeam(srv.State(), "data-science")
			if team == nil || len(team.Members) != 2 {
				t.Fatalf("data-science in the simulator = %+v, want it with eve and alice", team)
			}
			if got := srv.Stats().ByOperation["teamCreate"]; got != 1 {
				t.Errorf("teamCreate sent %d times, want 1", got)
			}
			if !strings.Contains(tc.logs.String(), "a write whose answer was lost took effect") {
				t.Errorf("no log line says the write was found to have taken effect:\n%s", tc.logs.String())
			}
			noToken(t, err, tc)
		})
	}
}

// TestSettleEachWrite: for every write, after a 502 the client reads back
// exactly what the write would have changed, and reports it done, not
// done, or, when the read fails too, unknown.
func TestSettleEachWrite(t *testing.T) {
	type write struct {
		name  string
		field string // the mutation
		read  string // the read-back's top-level field
		do    func(ctx context.Context, tc *testClient, org *model.Org) error
	}
	writes := []write{
		{"create team", "teamCreate", "team", func(ctx context.Context, tc *testClient, org *model.Org) error {
			id, err := tc.CreateTeam(ctx, org.ID, model.NewTeam{Name: "Data Science"})
			if err == nil && id == "" {
				t.Error("CreateTeam succeeded without an ID")
			}
			return err
		}},
		{"add member", "teamMemberCreate", "node", func(ctx context.Context, tc *testClient, org *model.Org) error {
			_, err := tc.AddTeamMember(ctx, org.Teams["mobile"].ID, org.Members["eve@acme.com"].UserID, model.RoleMaintainer)
			return err
		}},
		{"change role", "teamMemberUpdate", "node", func(ctx context.Context, tc *testClient, org *model.Org) error {
			return tc.UpdateTeamMember(ctx, org.Teams["mobile"].Members["carol@acme.com"].ID, model.RoleMember)
		}},
		{"remove member", "teamMemberDelete", "node", func(ctx context.Context, tc *testClient, org *model.Org) error {
			return tc.RemoveTeamMember(ctx, org.Teams["mobile"].Members["carol@acme.com"].ID)
		}},
		{"invite", "organizationInvitationCreate", "organization", func(ctx context.Context, tc *testClient, org *model.Org) error {
			return tc.Invite(ctx, org.ID, "newbie@acme.com", []model.TeamAssignment{{TeamID: org.Teams["mobile"].ID, Role: model.RoleMember}})
		}},
	}
	for _, w := range writes {
		for _, o := range lostAnswers {
			t.Run(w.name+"/"+o.name, func(t *testing.T) {
				srv, ts := startSim(t, readSeed())
				tc := simClient(t, ts.URL, 0, nil)
				org := readForWrite(t, tc)
				before := srv.State()
				o.lose(srv, w.field, w.read)
				err := w.do(context.Background(), tc, org)
				o.check(t, tc, srv, w.field, err, !statesEqual(before, srv.State()))
			})
		}
	}
}

// lostAnswer is how a write whose answer is lost (a 502) turns out:
// whether it ran, whether reading it back fails too, and what the writer
// then reports.
type lostAnswer struct {
	name        string
	ran         bool
	readFails   bool
	wantSuffix  string // of the error; "" means no error
	wantMayHave bool
}

// lostAnswers are the four ways a write whose answer is lost turns out.
var lostAnswers = []lostAnswer{
	{name: "it ran", ran: true},
	{name: "it did not run", wantSuffix: "; reading back shows it did not take effect"},
	{name: "it ran, the read-back fails", ran: true, readFails: true, wantSuffix: "Internal Server Error (gave up after 4 attempts)", wantMayHave: true},
	{name: "it did not run, the read-back fails", readFails: true, wantSuffix: "Internal Server Error (gave up after 4 attempts)", wantMayHave: true},
}

// lose makes srv answer the next write of field with a 502, after running
// it when o.ran, and fail every read of the field read when o.readFails;
// then it resets srv's statistics.
func (o lostAnswer) lose(srv *bksim.Server, field, read string) {
	srv.Inject(bksim.Fault{Field: field, Status: 502, AfterExecute: o.ran})
	if o.readFails {
		srv.Inject(bksim.Fault{Field: read, Status: 500, Times: 100})
	}
	srv.ResetStats()
}

// check checks what a write of field made under o returned (err) and did:
// whether the organization changed, and how often field was sent.
func (o lostAnswer) check(t *testing.T, tc *testClient, srv *bksim.Server, field string, err error, changed bool) {
	t.Helper()
	noToken(t, err, tc)
	got := errText(err)
	switch {
	case o.wantSuffix == "" && err != nil:
		t.Errorf("error %q, want none", got)
	case o.wantSuffix != "" && !strings.HasSuffix(got, o.wantSuffix):
		t.Errorf("error %q\nwant it to end %q", got, o.wantSuffix)
	case o.readFails && !strings.Contains(got, "; outcome unknown: reading whether it took effect failed too: "):
		t.Errorf("error %q, want it to say the outcome is unknown", got)
	}
	if httpx.MayHaveRun(err) != o.wantMayHave {
		t.Errorf("httpx.MayHaveRun = %v, want %v", !o.wantMayHave, o.wantMayHave)
	}
	if changed != o.ran {
		t.Errorf("the organization changed = %v, want %v", changed, o.ran)
	}
	if got := srv.Stats().ByOperation[field]; got != 1 {
		t.Errorf("%s sent %d times, want 1", field, got)
	}
}

// statesEqual compares two simulator snapshots by what a write changes.
func statesEqual(a, b bksim.State) bool {
	return stateKey(a) == stateKey(b)
}

func stateKey(st bksim.State) string {
	var b strings.Builder
	for _, t := range st.Teams {
		b.WriteString("team " + t.Slug + ":")
		for _, m := range t.Members {
			b.WriteString(" " + m.Email + "/" + m.Role)
		}
		b.WriteString("\n")
	}
	for _, inv := range st.Invitations {
		b.WriteString("invitation " + inv.Email + " " + inv.State + "\n")
	}
	return b.String()
}

// TestWriteCutByTheCallersDeadline: a write still on its way when its
// caller's context ends may have run; it is read back with time of its
// own, and a team that was created is reported created.
func TestWriteCutByTheCallersDeadline(t *testing.T) {
	srv, ts := startSim(t, readSeed())
	tc := simClient(t, ts.URL, 0, func(c *Config) { c.AttemptTimeout = 5 * time.Second })
	org := readForWrite(t, tc)
	srv.Inject(bksim.Fault{Field: "teamCreate", Status: 504, AfterExecute: true, Stall: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	id, err := tc.CreateTeam(ctx, org.ID, model.NewTeam{Name: "Data Science"})
	created := findTeam(srv.State(), "data-science")
	if created == nil || err != nil || id == "" {
		t.Fatalf("CreateTeam = %q, %v; team in Buildkite: %+v; want the created team's ID and no error", id, err, created)
	}
	got, err := tc.ReadOrg(context.Background(), []string{"data-science"})
	if err != nil || got.Teams["data-science"].ID != id {
		t.Fatalf("the ID returned, %q, is not the team's: %+v, %v", id, got, err)
	}
}
