package plan

import (
	"testing"

	"github.com/teamsync/teamsync/sync/model"
)

// TestGuardReasons: every hold says what the guard counted, against which
// limit, and the flag or mapping key that lets the changes through.
func TestGuardReasons(t *testing.T) {
	web := map[string]TeamFacts{"web": {Members: 12}}
	cases := []struct {
		name  string
		guard func(*Draft)
		draft Draft
		want  string
	}{
		{
			name:  "max_removals",
			guard: HoldMaxRemovals,
			draft: Draft{MaxRemovals: 2, Changes: []Change{rm("a", "1@x"), rm("a", "2@x"), rm("b", "3@x")}},
			want:  "3 removals exceed max_removals 2; let them through once with teamsync apply --allow-removals 3, or raise sync.max_removals",
		},
		{
			name:  "max_removals set by --allow-removals",
			guard: HoldMaxRemovals,
			draft: Draft{MaxRemovals: 1, AllowRemovals: true, Changes: []Change{rm("a", "1@x"), rm("a", "2@x")}},
			want:  "2 removals exceed --allow-removals 1; let them through once with teamsync apply --allow-removals 2, or raise sync.max_removals",
		},
		{
			name:  "max_removals of zero",
			guard: HoldMaxRemovals,
			draft: Draft{MaxRemovals: 0, Changes: []Change{rm("a", "1@x")}},
			want:  "1 removal exceeds max_removals 0; let them through once with teamsync apply --allow-removals 1, or raise sync.max_removals",
		},
		{
			name:  "max_removal_percent",
			guard: HoldMaxRemovalPercent,
			draft: Draft{MaxRemovalPercent: 30, Teams: web, Changes: []Change{
				rm("web", "1@x"), rm("web", "2@x"), rm("web", "3@x"), rm("web", "4@x")}},
			want: "team web: removing 4 of its 12 members (33%) is over max_removal_percent 30; to let them through, set sync.max_removal_percent to 34",
		},
		{
			name:  "empty_group",
			guard: HoldEmptyGroup,
			draft: Draft{Teams: map[string]TeamFacts{"data": {Members: 1, EmptyGroups: []string{"okta:Data"}}},
				Changes: []Change{rm("data", "1@x")}},
			want: "team data: okta:Data read empty while the team has 1 member; if that is meant, set allow_empty: true on its entry in the mapping",
		},
		{
			name:  "empty_group, two groups",
			guard: HoldEmptyGroup,
			draft: Draft{Teams: map[string]TeamFacts{"data": {Members: 2, EmptyGroups: []string{"okta:Data", "google:data@x"}}},
				Changes: []Change{rm("data", "1@x")}},
			want: "team data: okta:Data, google:data@x read empty while the team has 2 members; if that is meant, set allow_empty: true on their entries in the mapping",
		},
		{
			name:  "unknown_source",
			guard: HoldUnknownSource,
			draft: Draft{Teams: map[string]TeamFacts{"ios": {Members: 3, FailedSources: []string{"okta:iOS"}}},
				Changes: []Change{rm("ios", "1@x")}},
			want: "team ios: 1 of its groups could not be read (okta:iOS), so nothing is taken away until a run reads them all; fix the read (see errors), no setting overrides this",
		},
		{
			name:  "observe",
			guard: HoldObserve,
			draft: Draft{Teams: map[string]TeamFacts{"sec": {Policy: model.PolicyObserve}},
				Changes: []Change{add("sec", "1@x")}},
			want: "team sec has policy observe: 1 change planned, none applied; set its policy (or sync.policy) to authoritative or additive to apply them",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.draft
			tc.guard(&d)
			if len(d.Held) == 0 {
				t.Fatal("nothing held")
			}
			for _, c := range d.Held {
				if c.GuardReason != tc.want {
					t.Errorf("%s %s: reason\n got %q\nwant %q", c.Action, c.Email, c.GuardReason, tc.want)
				}
			}
		})
	}
}

// TestObserveInviteReason: an invitation held for observe teams names them.
func TestObserveInviteReason(t *testing.T) {
	m := mapping(team("sec", usersGroup(mem, "new@acme.com")), team("audit", usersGroup(mem, "new@acme.com")))
	m.Teams[0].Policy, m.Teams[1].Policy = model.PolicyObserve, model.PolicyObserve
	m.Sync.MissingUsers = "invite"
	reads := map[string]GroupRead{"users:new@acme.com": {Members: active("new@acme.com")}}
	p := Build(m, reads, orgOf(nil, map[string]map[string]model.Role{"sec": {}, "audit": {}}), Options{})
	want := "teams audit, sec have policy observe: the invitation is planned, not sent; set their policy (or sync.policy) to authoritative or additive to send it"
	if len(p.Held) != 1 || p.Held[0].GuardReason != want {
		t.Fatalf("held: %+v\nwant one invite with reason %q", p.Held, want)
	}
}

// TestRemovalReasons: a removal says whether the person is suspended (or
// otherwise inactive) in a group of the team, or in none of its groups.
func TestRemovalReasons(t *testing.T) {
	m := mapping(team("platform", oktaGroup("Eng", mem), googleGroup("eng@acme.com", mem)))
	reads := map[string]GroupRead{
		"okta:Eng":            {Members: append(active("stay@acme.com"), inactive("Sus@acme.com"))},
		"google:eng@acme.com": {Members: active("stay@acme.com")},
	}
	org := orgOf(nil, map[string]map[string]model.Role{"platform": rolesOf(mem, "stay@acme.com", "sus@acme.com", "gone@acme.com")})
	p := Build(m, reads, org, Options{})
	got := map[string]string{}
	for _, c := range p.Changes {
		got[c.Email] = c.Reason
	}
	want := map[string]string{
		"gone@acme.com": "in none of the team's groups",
		"sus@acme.com":  "suspended in okta:Eng",
	}
	if len(got) != len(want) || got["gone@acme.com"] != want["gone@acme.com"] || got["sus@acme.com"] != want["sus@acme.com"] {
		t.Fatalf("removal reasons: %q, want %q", got, want)
	}
}
