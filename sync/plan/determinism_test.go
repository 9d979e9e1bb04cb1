package plan

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// reshuffled copies s with every map rebuilt in a random insertion order and
// every member list shuffled: the same facts, differently ordered.
func reshuffled(s scenario, rng *rand.Rand) scenario {
	out := s
	out.reads = map[string]GroupRead{}
	for _, k := range shuffledKeys(s.reads, rng) {
		r := s.reads[k]
		r.Members = append([]providers.Member(nil), r.Members...)
		rng.Shuffle(len(r.Members), func(i, j int) { r.Members[i], r.Members[j] = r.Members[j], r.Members[i] })
		out.reads[k] = r
	}
	o := *s.org
	o.Members = map[string]model.Member{}
	for _, k := range shuffledKeys(s.org.Members, rng) {
		o.Members[k] = s.org.Members[k]
	}
	o.Teams = map[string]model.Team{}
	for _, k := range shuffledKeys(s.org.Teams, rng) {
		t := s.org.Teams[k]
		ms := t.Members
		t.Members = map[string]model.TeamMember{}
		for _, e := range shuffledKeys(ms, rng) {
			t.Members[e] = ms[e]
		}
		o.Teams[k] = t
	}
	out.org = &o
	return out
}

func shuffledKeys[V any](m map[string]V, rng *rand.Rand) []string {
	keys := sortedKeys(m)
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	return keys
}

func TestBuildIsDeterministic(t *testing.T) {
	scenarios := map[string]func() scenario{
		"typical": typicalScenario, "troubled": troubledScenario, "in sync": inSyncScenario,
	}
	for _, name := range sortedKeys(scenarios) {
		t.Run(name, func(t *testing.T) {
			base := scenarios[name]()
			var want bytes.Buffer
			if err := RenderJSON(&want, base.build()); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range 20 {
				var got bytes.Buffer
				if err := RenderJSON(&got, reshuffled(base, rng).build()); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatalf("run %d gave different JSON:\n%s\nwant\n%s", i, got.String(), want.String())
				}
			}
		})
	}
}

// fingerprint prints every input value, maps sorted by fmt, pointers
// followed, so that any change to an input shows.
func fingerprint(s scenario) string {
	m := *s.m
	okta, google := "", ""
	if m.Okta != nil {
		okta = fmt.Sprintf("%+v", *m.Okta)
	}
	if m.Google != nil {
		google = fmt.Sprintf("%+v", *m.Google)
	}
	m.Okta, m.Google = nil, nil
	allow := ""
	if s.opts.AllowRemovals != nil {
		allow = fmt.Sprint(*s.opts.AllowRemovals)
	}
	return fmt.Sprintf("%+v|%s|%s|%+v|%+v|%s", m, okta, google, s.reads, *s.org, allow)
}

func TestBuildDoesNotModifyInputs(t *testing.T) {
	for name, mk := range map[string]func() scenario{"typical": typicalScenario, "troubled": troubledScenario} {
		t.Run(name, func(t *testing.T) {
			s := mk()
			s.m.Okta = &config.Okta{OrgURL: "https://acme.okta.com", Scopes: []string{"okta.groups.read"}}
			s.m.Sync.ProtectedUsers = []string{"zed@acme.com", "ci-bot@acme.com", "alice@acme.com"}
			two := 2
			s.opts.AllowRemovals = &two
			before := fingerprint(s)
			p := s.build()
			if after := fingerprint(s); after != before {
				t.Fatalf("inputs changed:\nbefore %s\nafter  %s", before, after)
			}
			// Nor may the plan share memory with the inputs.
			for i := range p.Changes {
				for j := range p.Changes[i].Groups {
					p.Changes[i].Groups[j] = "scribbled"
				}
			}
			if after := fingerprint(s); after != before {
				t.Fatal("the plan aliases its inputs")
			}
		})
	}
}

func TestPlanOrderAndLists(t *testing.T) {
	p := typicalScenario().build()
	want := []string{
		"add_member docs dana@acme.com member via google:writers@acme.com",
		"create_team mobile",
		"add_member mobile carl@acme.com member via okta:Mobile",
		"add_member mobile erin@acme.com member via okta:Mobile",
		"add_member platform bea@acme.com maintainer via okta:Platform Engineers,google:platform-leads@acme.com",
		"update_role platform carl@acme.com maintainer->member via okta:Platform Engineers",
		"remove_member platform left@acme.com member",
		"invite new.hire@acme.com mobile:member,platform:member via okta:Mobile,okta:Platform Engineers",
	}
	if got := describeChanges(p.Changes); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("changes:\n got  %q\n want %q", got, want)
	}
	wantSummary := Summary{CreateTeam: 1, AddMember: 4, UpdateRole: 1, RemoveMember: 1, Invite: 1}
	if p.Summary != wantSummary {
		t.Errorf("summary %+v, want %+v", p.Summary, wantSummary)
	}
	if p.Held == nil || p.Unplaced == nil || p.Errors == nil {
		t.Error("a list of the plan is nil; JSON would show null")
	}
	empty := Build(nil, nil, nil, Options{})
	if empty.Changes == nil || empty.Held == nil || empty.Unplaced == nil || empty.Errors == nil || empty.Version != Version {
		t.Errorf("Build(nil…) = %+v, want an empty version-1 plan with empty lists", empty)
	}
}

func TestPlanPredicates(t *testing.T) {
	tests := []struct {
		name                    string
		plan                    *Plan
		hasChanges, heldByGuard bool
	}{
		{"nil", nil, false, false},
		{"empty", &Plan{}, false, false},
		{"changes", &Plan{Changes: []Change{add("t", "a@x")}}, true, false},
		{"observe only", &Plan{Held: heldAs(GuardObserve, []Change{add("t", "a@x")})}, false, false},
		{"max_removals", &Plan{Held: heldAs(GuardMaxRemovals, []Change{rm("t", "a@x")})}, false, true},
		{"observe and empty_group", &Plan{Held: append(heldAs(GuardObserve, []Change{add("t", "a@x")}),
			heldAs(GuardEmptyGroup, []Change{rm("u", "b@x")})...)}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.plan.HasChanges(); got != tc.hasChanges {
				t.Errorf("HasChanges() = %v, want %v", got, tc.hasChanges)
			}
			if got := tc.plan.HeldByGuard(); got != tc.heldByGuard {
				t.Errorf("HeldByGuard() = %v, want %v", got, tc.heldByGuard)
			}
		})
	}
}
