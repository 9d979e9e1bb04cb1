package reconcile

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite"
	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
	"github.com/teamsync/teamsync/internal/testutil"
	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/users"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// rig is a simulator holding team web (alice) with bob in the organization
// but in no team, and a mapping that wants both in web.
func rig(t *testing.T) (*bksim.Server, *Runner, *config.Mapping) {
	t.Helper()
	sim, srv := bksimtest.Start(t, bksim.State{
		Organization: "acme",
		Members:      []bksim.Member{{Email: "alice@acme.com"}, {Email: "bob@acme.com"}},
		Teams:        []bksim.Team{{Slug: "web", Members: []bksim.TeamMember{{Email: "alice@acme.com", Role: "member"}}}},
	})
	m := &config.Mapping{
		Buildkite: config.Buildkite{Organization: "acme", GraphQLURL: srv.URL},
		Sync:      config.Sync{Policy: model.PolicyAuthoritative, MissingUsers: config.MissingReport, MaxRemovals: 25, MaxRemovalPercent: 30},
		Teams: []config.Team{{Slug: "web", Policy: model.PolicyAuthoritative, Groups: []config.Group{
			{Users: []string{"alice@acme.com", "bob@acme.com"}, Role: model.RoleMember},
		}}},
	}
	r := &Runner{Connect: func(ctx context.Context, m *config.Mapping) (*Clients, error) {
		c, err := buildkite.New(buildkite.Config{URL: m.Buildkite.GraphQLURL, Organization: "acme", Token: bksimtest.Token, MaxRetries: -1})
		if err != nil {
			return nil, err
		}
		return &Clients{Buildkite: c, Providers: map[string]providers.Provider{providers.SourceUsers: users.New()}}, nil
	}}
	return sim, r, m
}

func TestPlanLooksUpOnlyPeopleToPlace(t *testing.T) {
	sim, r, m := rig(t)
	res, err := r.Plan(context.Background(), m, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Plan.Changes; len(got) != 1 || got[0].Action != plan.ActionAddMember || got[0].Email != "bob@acme.com" {
		t.Fatalf("changes = %+v", got)
	}
	// invitations + one team batch + one lookup of bob.
	if st := sim.Stats(); st.Requests != 3 || st.Mutations != 0 {
		t.Fatalf("requests %d, mutations %d (%v)", st.Requests, st.Mutations, st.ByOperation)
	}
}

// TestPlanFailsWhenLookupFails: a failed lookup must not read as "bob is
// not in the organization"; the run fails instead.
func TestPlanFailsWhenLookupFails(t *testing.T) {
	sim, r, m := rig(t)
	// The first organization query (invitations) passes; the lookup fails.
	sim.Inject(bksim.Fault{Field: "organization", After: 1, Status: 500})
	_, err := r.Plan(context.Background(), m, plan.Options{})
	if err == nil || !strings.HasPrefix(err.Error(), `look up 1 email in buildkite organization "acme": buildkite: look up organization members: `) {
		t.Fatalf("err = %v", err)
	}
}

func TestApplyFailsWhenReadFails(t *testing.T) {
	sim, r, m := rig(t)
	sim.Inject(bksim.Fault{Field: "team", Status: 500, Times: 10})
	_, err := r.Apply(context.Background(), m, plan.Options{})
	if err == nil || !strings.HasPrefix(err.Error(), `read buildkite organization "acme": buildkite: read teams: `) {
		t.Fatalf("err = %v", err)
	}
	if st := sim.Stats(); st.Mutations != 0 {
		t.Fatalf("%d mutations after a failed read", st.Mutations)
	}
}

// panicky is a provider whose reads and preparation panic, as an SDK
// tripping over an answer it did not expect would.
type panicky struct{ prepared bool }

func (p *panicky) Members(ctx context.Context, ref providers.GroupRef) ([]providers.Member, error) {
	var m map[string][]providers.Member
	m[ref.Name] = nil // assignment to a nil map
	return nil, nil
}

func (p *panicky) Prepare(ctx context.Context, refs []providers.GroupRef) error {
	p.prepared = true
	panic("bad answer")
}

// TestProviderPanicFailsOnlyItsGroup: a panic in a provider's Prepare or
// Members is that group's failed read, never a crash of the run (or of
// serve): the other groups are read and planned, and the team whose group
// is unknown keeps its members.
func TestProviderPanicFailsOnlyItsGroup(t *testing.T) {
	_, r, m := rig(t)
	m.Teams[0].Groups = append(m.Teams[0].Groups, config.Group{Okta: "Eng", Role: model.RoleMember})
	bad := &panicky{}
	logs := &testutil.Buffer{}
	r.Logger = slog.New(slog.NewTextHandler(logs, nil))
	connect := r.Connect
	r.Connect = func(ctx context.Context, m *config.Mapping) (*Clients, error) {
		c, err := connect(ctx, m)
		if err == nil {
			c.Providers[providers.SourceOkta] = bad
		}
		return c, err
	}
	res, err := r.Plan(context.Background(), m, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bad.prepared {
		t.Error("Prepare was not called")
	}
	if want := `msg="preparing group reads failed; each group is read on its own" source=okta error="panicked: bad answer"`; !strings.Contains(logs.String(), want) {
		t.Errorf("logs\n%s\nwant a line with\n%s", logs, want)
	}
	want := []plan.Error{{Team: "web", Source: "okta:Eng",
		Message: "okta source panicked reading the group: assignment to entry in nil map"}}
	if got := res.Plan.Errors; !reflect.DeepEqual(got, want) {
		t.Errorf("errors %+v\nwant %+v", got, want)
	}
	if got := res.Plan.Changes; len(got) != 1 || got[0].Action != plan.ActionAddMember || got[0].Email != "bob@acme.com" {
		t.Errorf("changes = %+v, want bob added from the users group", got)
	}
}

// TestWithoutMemoryEveryRunReadsInFull: plan and apply have no memory:
// every run reads every managed team, never the audit log or the
// fingerprints, and says so.
func TestWithoutMemoryEveryRunReadsInFull(t *testing.T) {
	sim, r, m := rig(t)
	for range 2 {
		sim.ResetStats()
		res, err := r.Plan(context.Background(), m, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Read.Mode != ReadFull || res.Read.TeamsRead != 1 || res.Points == 0 {
			t.Errorf("read %+v costing %d points, want a full read of the one team", res.Read, res.Points)
		}
		st := sim.Stats()
		if st.ByOperation["viewer"] != 0 || st.ByOperation["team"] != 1 {
			t.Errorf("requests %v, want one team read and no audit log", st.ByOperation)
		}
		if res.Points != st.ActualComplexity {
			t.Errorf("the run says it cost %d points, the simulator charged %d", res.Points, st.ActualComplexity)
		}
	}
}
