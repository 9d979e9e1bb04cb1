package plan

import (
	"errors"
	"reflect"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// buildCase is one planning rule (docs/semantics.md), stated as inputs and the plan's
// lists in one-line form.
type buildCase struct {
	name     string
	m        *config.Mapping
	reads    map[string]GroupRead
	org      *model.Org
	opts     Options
	changes  []string
	held     []string
	unplaced []string
	errors   []string
}

func runBuildCases(t *testing.T, cases []buildCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Build(tc.m, tc.reads, tc.org, tc.opts)
			check := func(what string, got, want []string) {
				t.Helper()
				if want == nil {
					want = []string{}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s:\n got  %q\n want %q", what, got, want)
				}
			}
			check("changes", describeChanges(p.Changes), tc.changes)
			check("held", describeChanges(p.Held), tc.held)
			check("unplaced", describeUnplaced(p.Unplaced), tc.unplaced)
			check("errors", describeErrors(p.Errors), tc.errors)
		})
	}
}

func TestBuildDiff(t *testing.T) {
	runBuildCases(t, []buildCase{
		{
			name:    "desired org member not in team is added",
			m:       mapping(team("platform", oktaGroup("Eng", mem))),
			reads:   map[string]GroupRead{"okta:Eng": {Members: active("a@acme.com")}},
			org:     orgOf([]string{"a@acme.com"}, map[string]map[string]model.Role{"platform": {}}),
			changes: list("add_member platform a@acme.com member via okta:Eng"),
		},
		{
			name:  "team member not desired is removed with their current role",
			m:     mapping(team("platform", oktaGroup("Eng", mem))),
			reads: map[string]GroupRead{"okta:Eng": {Members: active("a@acme.com")}},
			org: orgOf(nil, map[string]map[string]model.Role{"platform": {
				"a@acme.com": mem, "c@acme.com": mnt,
			}}),
			changes: list("remove_member platform c@acme.com maintainer"),
		},
		{
			name:    "role raised",
			m:       mapping(team("platform", oktaGroup("Leads", mnt))),
			reads:   map[string]GroupRead{"okta:Leads": {Members: active("a@acme.com")}},
			org:     orgOf(nil, map[string]map[string]model.Role{"platform": {"a@acme.com": mem}}),
			changes: list("update_role platform a@acme.com member->maintainer via okta:Leads"),
		},
		{
			name:    "role lowered",
			m:       mapping(team("platform", oktaGroup("Eng", mem))),
			reads:   map[string]GroupRead{"okta:Eng": {Members: active("a@acme.com")}},
			org:     orgOf(nil, map[string]map[string]model.Role{"platform": {"a@acme.com": mnt}}),
			changes: list("update_role platform a@acme.com maintainer->member via okta:Eng"),
		},
		{
			name:    "in sync: nothing to do",
			m:       mapping(team("platform", oktaGroup("Eng", mem))),
			reads:   map[string]GroupRead{"okta:Eng": {Members: active("a@acme.com")}},
			org:     orgOf(nil, map[string]map[string]model.Role{"platform": {"a@acme.com": mem}}),
			changes: list(),
		},
		{
			name: "several groups: maintainer wins and every group is listed once, in mapping order",
			m: mapping(team("platform",
				oktaGroup("Eng", mem),
				googleGroup("leads@acme.com", mnt),
				oktaGroup("Eng", mem), // listed twice: one label
				usersGroup(mem, "a@acme.com"),
			)),
			reads: map[string]GroupRead{
				"okta:Eng":              {Members: active("a@acme.com", "b@acme.com")},
				"google:leads@acme.com": {Members: active("a@acme.com")},
				"users:a@acme.com":      {Members: active("a@acme.com")},
			},
			org: orgOf([]string{"a@acme.com", "b@acme.com"}, map[string]map[string]model.Role{"platform": {}}),
			changes: list(
				"add_member platform a@acme.com maintainer via okta:Eng,google:leads@acme.com,users",
				"add_member platform b@acme.com member via okta:Eng",
			),
		},
		{
			name: "emails, normalised by the provider, are rewritten by email_domains",
			m: func() *config.Mapping {
				m := mapping(team("platform", oktaGroup("Eng", mem)))
				m.Sync.EmailDomains = map[string]string{"corp.acme.com": "acme.com"} // as config.Load gives it
				return m
			}(),
			reads: map[string]GroupRead{"okta:Eng": {Members: active(" Alice@CORP.acme.com ", "BOB@Acme.com")}},
			org: orgOf([]string{"alice@acme.com"}, map[string]map[string]model.Role{"platform": {
				"bob@acme.com": mem,
			}}),
			changes: list("add_member platform alice@acme.com member via okta:Eng"),
		},
		{
			name: "inactive members are not desired",
			m:    mapping(team("platform", oktaGroup("Eng", mem))),
			reads: map[string]GroupRead{"okta:Eng": {Members: append(active("a@acme.com"),
				inactive("gone@acme.com"), inactive("new@acme.com"))}},
			org: orgOf([]string{"new@acme.com"}, map[string]map[string]model.Role{"platform": {
				"a@acme.com": mem, "gone@acme.com": mem,
			}}),
			changes: list("remove_member platform gone@acme.com member"),
		},
		{
			name:  "teams not in the mapping are never touched",
			m:     mapping(team("platform", oktaGroup("Eng", mem))),
			reads: map[string]GroupRead{"okta:Eng": {Members: active("a@acme.com")}},
			org: orgOf(nil, map[string]map[string]model.Role{
				"platform": {"a@acme.com": mem},
				"other":    {"z@acme.com": mnt},
			}),
			changes: list(),
		},
		{
			name:  "team slugs with capitals are normalised",
			m:     mapping(team("Platform", oktaGroup("Eng", mem))),
			reads: map[string]GroupRead{"okta:Eng": {Members: active("a@acme.com")}},
			org: &model.Org{
				Members: map[string]model.Member{"a@acme.com": {}},
				Teams: map[string]model.Team{"PLATFORM": {Members: map[string]model.TeamMember{
					"a@acme.com": {Role: mem},
				}}},
			},
			changes: list(),
		},
	})
}

func TestBuildPolicies(t *testing.T) {
	drift := map[string]map[string]model.Role{"platform": {
		"keep@acme.com": mnt, // desired as member: downgrade
		"low@acme.com":  mem, // desired as maintainer: upgrade
		"gone@acme.com": mem, // not desired: removal
	}}
	reads := map[string]GroupRead{
		"okta:Eng":   {Members: active("keep@acme.com", "new@acme.com")},
		"okta:Leads": {Members: active("low@acme.com")},
	}
	withPolicy := func(p model.Policy) *config.Mapping {
		tm := team("platform", oktaGroup("Eng", mem), oktaGroup("Leads", mnt))
		tm.Policy = p
		return mapping(tm)
	}
	runBuildCases(t, []buildCase{
		{
			name:  "authoritative adds, changes roles both ways and removes",
			m:     withPolicy(model.PolicyAuthoritative),
			reads: reads, org: orgOf([]string{"new@acme.com"}, drift),
			changes: list(
				"add_member platform new@acme.com member via okta:Eng",
				"update_role platform keep@acme.com maintainer->member via okta:Eng",
				"update_role platform low@acme.com member->maintainer via okta:Leads",
				"remove_member platform gone@acme.com member",
			),
		},
		{
			name:  "additive adds and raises only; its removals and downgrades are neither planned nor held",
			m:     withPolicy(model.PolicyAdditive),
			reads: reads, org: orgOf([]string{"new@acme.com"}, drift),
			changes: list(
				"add_member platform new@acme.com member via okta:Eng",
				"update_role platform low@acme.com member->maintainer via okta:Leads",
			),
		},
		{
			name:  "observe holds everything it would do",
			m:     withPolicy(model.PolicyObserve),
			reads: reads, org: orgOf([]string{"new@acme.com"}, drift),
			held: list(
				"observe: add_member platform new@acme.com member via okta:Eng",
				"observe: update_role platform keep@acme.com maintainer->member via okta:Eng",
				"observe: update_role platform low@acme.com member->maintainer via okta:Leads",
				"observe: remove_member platform gone@acme.com member",
			),
		},
		{
			name: "team policy falls back to sync.policy",
			m: func() *config.Mapping {
				m := withPolicy("")
				m.Sync.Policy = model.PolicyAdditive
				return m
			}(),
			reads: reads, org: orgOf([]string{"new@acme.com"}, drift),
			changes: list(
				"add_member platform new@acme.com member via okta:Eng",
				"update_role platform low@acme.com member->maintainer via okta:Leads",
			),
		},
		{
			name:  "an unknown policy writes nothing",
			m:     withPolicy("sometimes"),
			reads: reads, org: orgOf([]string{"new@acme.com"}, map[string]map[string]model.Role{"platform": {
				"gone@acme.com": mem,
			}}),
			held: list(
				"observe: add_member platform new@acme.com member via okta:Eng",
				"observe: remove_member platform gone@acme.com member",
			),
			unplaced: list(
				"platform keep@acme.com not_in_organization",
				"platform low@acme.com not_in_organization",
			),
		},
		{
			name: "protected users are never removed or demoted, and nothing is held for them",
			m: func() *config.Mapping {
				m := withPolicy(model.PolicyAuthoritative)
				m.Sync.ProtectedUsers = []string{"gone@acme.com", "keep@corp.acme.com"}
				m.Sync.EmailDomains = map[string]string{"corp.acme.com": "acme.com"}
				return m
			}(),
			reads: reads, org: orgOf([]string{"new@acme.com"}, drift),
			changes: list(
				"add_member platform new@acme.com member via okta:Eng",
				"update_role platform low@acme.com member->maintainer via okta:Leads",
			),
		},
		{
			name: "protected users are still added and raised",
			m: func() *config.Mapping {
				m := withPolicy(model.PolicyAuthoritative)
				m.Sync.ProtectedUsers = []string{"new@acme.com", "low@acme.com"}
				return m
			}(),
			reads: reads, org: orgOf([]string{"new@acme.com"}, map[string]map[string]model.Role{"platform": {
				"low@acme.com": mem, "keep@acme.com": mem,
			}}),
			changes: list(
				"add_member platform new@acme.com member via okta:Eng",
				"update_role platform low@acme.com member->maintainer via okta:Leads",
			),
		},
	})
}

func TestBuildUnknownIsNotEmpty(t *testing.T) {
	current := map[string]map[string]model.Role{"platform": {
		"lead@acme.com": mnt, // desired through Leads only, which failed: would be removed
		"both@acme.com": mnt, // Leads failed, Eng says member: would be downgraded
		"eng@acme.com":  mem, // Eng says member: in sync
		"up@acme.com":   mem, // Staff says maintainer: upgrade goes ahead
	}}
	eng := GroupRead{Members: active("both@acme.com", "eng@acme.com", "new@acme.com")}
	staff := GroupRead{Members: active("up@acme.com")}
	twoGroups := mapping(team("platform", oktaGroup("Eng", mem), oktaGroup("Leads", mnt), oktaGroup("Staff", mnt)))
	runBuildCases(t, []buildCase{
		{
			name: "failed source: removals and downgrades held, adds and upgrades go ahead",
			m:    twoGroups,
			reads: map[string]GroupRead{
				"okta:Eng":   eng,
				"okta:Leads": {Err: errors.New("okta: list members of group \"Leads\": page 2: 503 Service Unavailable")},
				"okta:Staff": staff,
			},
			org: orgOf([]string{"new@acme.com"}, current),
			changes: list(
				"add_member platform new@acme.com member via okta:Eng",
				"update_role platform up@acme.com member->maintainer via okta:Staff",
			),
			held: list(
				"unknown_source: update_role platform both@acme.com maintainer->member via okta:Eng",
				"unknown_source: remove_member platform lead@acme.com maintainer",
			),
			errors: list(`platform okta:Leads: okta: list members of group "Leads": page 2: 503 Service Unavailable`),
		},
		{
			name:  "a group missing from the reads is an error like a failed read",
			m:     twoGroups,
			reads: map[string]GroupRead{"okta:Eng": eng, "okta:Staff": staff},
			org:   orgOf([]string{"new@acme.com"}, current),
			changes: list(
				"add_member platform new@acme.com member via okta:Eng",
				"update_role platform up@acme.com member->maintainer via okta:Staff",
			),
			held: list(
				"unknown_source: update_role platform both@acme.com maintainer->member via okta:Eng",
				"unknown_source: remove_member platform lead@acme.com maintainer",
			),
			errors: list("platform okta:Leads: group was not read"),
		},
		{
			name: "a failed group shared by two teams is reported for each",
			m: mapping(
				team("b-team", oktaGroup("Eng", mem)),
				team("a-team", oktaGroup("Eng", mem)),
			),
			reads: map[string]GroupRead{"okta:Eng": {Err: errors.New("boom")}},
			org: orgOf(nil, map[string]map[string]model.Role{
				"a-team": {"x@acme.com": mem}, "b-team": {},
			}),
			held:   list("unknown_source: remove_member a-team x@acme.com member"),
			errors: list("a-team okta:Eng: boom", "b-team okta:Eng: boom"),
		},
		{
			name: "a group that reads empty holds the team's removals and downgrades",
			m:    mapping(team("platform", oktaGroup("Eng", mem), oktaGroup("Contractors", mem))),
			reads: map[string]GroupRead{
				"okta:Eng":         {Members: active("a@acme.com")},
				"okta:Contractors": {Members: nil},
			},
			org: orgOf([]string{"b@acme.com"}, map[string]map[string]model.Role{"platform": {
				"a@acme.com": mnt, "c@acme.com": mem,
			}}),
			held: list("empty_group: update_role platform a@acme.com maintainer->member via okta:Eng",
				"empty_group: remove_member platform c@acme.com member"),
		},
		{
			name: "a group with only inactive members reads as empty",
			m:    mapping(team("platform", oktaGroup("Eng", mem))),
			reads: map[string]GroupRead{
				"okta:Eng": {Members: []providers.Member{inactive("a@acme.com")}},
			},
			org:  orgOf(nil, map[string]map[string]model.Role{"platform": {"a@acme.com": mem}}),
			held: list("empty_group: remove_member platform a@acme.com member"),
		},
		{
			name: "allow_empty lets an empty group remove",
			m: func() *config.Mapping {
				g := oktaGroup("Contractors", mem)
				g.AllowEmpty = true
				return mapping(team("platform", oktaGroup("Eng", mem), g))
			}(),
			reads: map[string]GroupRead{
				"okta:Eng":         {Members: active("a@acme.com")},
				"okta:Contractors": {Members: nil},
			},
			org: orgOf(nil, map[string]map[string]model.Role{"platform": {
				"a@acme.com": mem, "c@acme.com": mem,
			}}),
			changes: list("remove_member platform c@acme.com member"),
		},
		{
			name: "first match wins: a failed source outranks an empty group",
			m:    mapping(team("platform", oktaGroup("Eng", mem), oktaGroup("Leads", mnt))),
			reads: map[string]GroupRead{
				"okta:Eng":   {Members: nil},
				"okta:Leads": {Err: errors.New("timeout")},
			},
			org:    orgOf(nil, map[string]map[string]model.Role{"platform": {"a@acme.com": mem}}),
			held:   list("unknown_source: remove_member platform a@acme.com member"),
			errors: list("platform okta:Leads: timeout"),
		},
		{
			name: "first match wins: observe outranks a failed source",
			m: func() *config.Mapping {
				tm := team("platform", oktaGroup("Leads", mnt))
				tm.Policy = model.PolicyObserve
				return mapping(tm)
			}(),
			reads:  map[string]GroupRead{"okta:Leads": {Err: errors.New("timeout")}},
			org:    orgOf(nil, map[string]map[string]model.Role{"platform": {"a@acme.com": mem}}),
			held:   list("observe: remove_member platform a@acme.com member"),
			errors: list("platform okta:Leads: timeout"),
		},
	})
}

// TestReadSnapshot: emails are taken as the buildkite client keyed them
// (normalised there); team slugs are normalised, and a person under two
// team keys of one slug keeps the higher role.
func TestReadSnapshot(t *testing.T) {
	org := &model.Org{
		Slug:    "acme",
		Members: map[string]model.Member{"bob@acme.com": {}, "carol@acme.com": {}},
		Teams: map[string]model.Team{
			"Platform": {Members: map[string]model.TeamMember{
				"a@acme.com": {Role: mem},
				"z@acme.com": {Role: "owner"},
			}},
			"platform ": {Members: map[string]model.TeamMember{
				"a@acme.com": {Role: mnt},     // one person, twice
				"z@acme.com": {Role: "admin"}, // unknown roles tie: the first key in order wins
			}},
			"": {Slug: "Mobile"},
		},
		TeamErrors:  map[string]error{"Web": nil},
		Invitations: map[string]model.Invitation{"new@acme.com": {Email: "new@acme.com"}},
	}
	for i := range 10 { // map order varies between runs
		s := readSnapshot(org)
		want := snapshot{
			slug:    "acme",
			members: map[string]bool{"bob@acme.com": true, "carol@acme.com": true},
			teams: map[string]map[string]model.Role{
				"platform": {"a@acme.com": mnt, "z@acme.com": "owner"},
				"mobile":   {},
			},
			teamErrors:  map[string]string{"web": "team membership could not be read"},
			invitations: map[string]bool{"new@acme.com": true},
		}
		if !reflect.DeepEqual(s, want) {
			t.Fatalf("run %d: got %+v\nwant %+v", i, s, want)
		}
	}
}
