package plan

import (
	"reflect"
	"testing"
	"time"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// TestBuildExpires: an entry whose expires: has passed grants nothing, and
// a removal it causes names the expiry; guards apply as usual.
func TestBuildExpires(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	expiring := func(g config.Group) config.Group { g.Expires = at; return g }
	inTeam := orgOf(nil, map[string]map[string]model.Role{"platform": rolesOf(mem, "a@acme.com", "b@acme.com")})
	cases := []struct {
		name    string
		m       *config.Mapping
		reads   map[string]GroupRead
		org     *model.Org
		now     time.Time
		changes []string
		held    []string
	}{
		{
			name:  "before the expiry the entry grants as usual",
			m:     mapping(team("platform", oktaGroup("Eng", mem), expiring(usersGroup(mem, "b@acme.com")))),
			reads: map[string]GroupRead{"okta:Eng": {Members: active("a@acme.com")}, "users:b@acme.com": {Members: active("b@acme.com")}},
			org:   inTeam, now: at.Add(-time.Second),
		},
		{
			name:  "at the expiry its only member is removed, naming it",
			m:     mapping(team("platform", oktaGroup("Eng", mem), expiring(usersGroup(mem, "b@acme.com")))),
			reads: map[string]GroupRead{"okta:Eng": {Members: active("a@acme.com")}, "users:b@acme.com": {Members: active("b@acme.com")}},
			org:   inTeam, now: at,
			changes: list("remove_member platform b@acme.com member (grant users expired at 2026-12-01T00:00:00Z)"),
		},
		{
			name: "someone another entry still grants stays, with only that entry",
			m: mapping(team("platform", oktaGroup("Eng", mem),
				expiring(usersGroup(model.RoleMaintainer, "a@acme.com", "b@acme.com")))),
			reads: map[string]GroupRead{"okta:Eng": {Members: active("a@acme.com")},
				"users:a@acme.com,b@acme.com": {Members: active("a@acme.com", "b@acme.com")}},
			org: inTeam, now: at.Add(time.Hour),
			changes: list("remove_member platform b@acme.com member (grant users expired at 2026-12-01T00:00:00Z)"),
		},
		{
			name:  "an expired okta entry that failed to read is no error and guards nothing",
			m:     mapping(team("platform", oktaGroup("Eng", mem), expiring(oktaGroup("Old", mem)))),
			reads: map[string]GroupRead{"okta:Eng": {Members: active("a@acme.com", "b@acme.com")}},
			org:   inTeam, now: at,
		},
		{
			name: "guards still hold expired removals",
			m: func() *config.Mapping {
				m := mapping(team("platform", oktaGroup("Eng", mem), expiring(usersGroup(mem, "b@acme.com"))))
				m.Sync.MaxRemovals = 0
				return m
			}(),
			reads: map[string]GroupRead{"okta:Eng": {Members: active("a@acme.com")}, "users:b@acme.com": {Members: active("b@acme.com")}},
			org:   inTeam, now: at,
			held: list("max_removals: remove_member platform b@acme.com member (grant users expired at 2026-12-01T00:00:00Z)"),
		},
		{
			name:  "the zero time expires nothing",
			m:     mapping(team("platform", oktaGroup("Eng", mem), expiring(usersGroup(mem, "b@acme.com")))),
			reads: map[string]GroupRead{"okta:Eng": {Members: active("a@acme.com")}, "users:b@acme.com": {Members: active("b@acme.com")}},
			org:   inTeam,
		},
	}
	describe := func(cs []Change) []string {
		out := []string{}
		for _, c := range cs {
			s := describeChange(c)
			if c.Reason != "" {
				s += " (" + c.Reason + ")"
			}
			out = append(out, s)
		}
		return out
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Build(tc.m, tc.reads, tc.org, Options{Now: tc.now})
			for _, c := range []struct {
				what      string
				got, want []string
			}{{"changes", describe(p.Changes), tc.changes}, {"held", describe(p.Held), tc.held}} {
				if c.want == nil {
					c.want = []string{}
				}
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s:\n got  %q\n want %q", c.what, c.got, c.want)
				}
			}
			if len(p.Errors) != 0 {
				t.Errorf("errors: %v", describeErrors(p.Errors))
			}
		})
	}
}
