package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/sync/model"
)

const testdata = "../../testdata/config"

// TestParseReportsEveryError checks that a file with many problems gets all
// of them back at once, one per line, in line order.
func TestParseReportsEveryError(t *testing.T) {
	path := filepath.Join(testdata, "many-errors.yaml")
	_, err := Load(path)
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Load: got %v (%T), want *Errors", err, err)
	}
	want := []string{
		`:2: buildkite: organization is required`,
		`:3: buildkite: unknown key "organisation" (did you mean "organization"?)`,
		`:5: buildkite: token_env and token_file are both set; keep one`,
		`:7: sync: schedule "every 15 minutes" is not a valid cron spec: expected exactly 5 fields, found 3: [every 15 minutes]`,
		`:8: sync: policy "strict" is not one of authoritative, additive, observe`,
		`:9: sync: max_removals must not be negative, got -1`,
		`:10: sync: max_removal_percent must be at most 100, got 150`,
		`:11: sync: protected_users[0] "ci-bot" is not a valid email address`,
		`:13: teams[0]: slug "Platform" is not a valid slug; use lower-case letters, digits and single "-" between them, such as "platform"`,
		`:15: teams[0].groups[0]: names an okta group but the file has no okta section`,
		`:16: teams[0].groups[0]: role "owner" is not one of member, maintainer`,
		`:18: teams[1]: name "Mobile Apps" slugifies to "mobile-apps", not to slug "mobile"`,
		`:19: teams[1]: privacy "public" is not one of secret, visible`,
		`:20: teams[1]: groups must list at least one group`,
		`:21: teams[2]: slug "mobile" is already used by teams[1] (line 17)`,
		`:23: teams[2].groups[0]: users is empty; list at least one email`,
	}
	for i := range want {
		want[i] = path + want[i]
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
	// Every line marked "error" in the file is among the reported lines.
	data, _ := os.ReadFile(path)
	reported := map[int]bool{}
	for _, e := range errs.List {
		reported[e.Line] = true
	}
	for i, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, "# error") && !reported[i+1] {
			t.Errorf("line %d is marked as an error but was not reported: %s", i+1, line)
		}
	}
}

// TestParseDefaults checks every default on the smallest valid mapping.
func TestParseDefaults(t *testing.T) {
	m, err := Parse("mapping.yaml", []byte(doc(
		"buildkite:",
		"  organization: acme",
		"okta:",
		"  org_url: https://acme.okta.com/",
		"google: {}",
		"sync:",
		"  policy: additive",
		"teams:",
		"  - slug: platform",
		"    groups:",
		"      - okta: Platform",
		"      - google: eng@acme.com",
		"      - users: [Alice@ACME.com]",
	)))
	if err != nil {
		t.Fatal(err)
	}
	wantBK := Buildkite{
		Organization:      "acme",
		Token:             Secret{Env: DefaultBuildkiteTokenEnv, Line: 1, Origin: "mapping.yaml", Key: "buildkite.token_env"},
		GraphQLURL:        DefaultGraphQLURL,
		RateLimitHeadroom: DefaultBuildkiteRateLimitHeadroom,
		RequestTimeout:    2 * time.Minute,
		Line:              1,
	}
	if m.Buildkite != wantBK {
		t.Errorf("buildkite:\n got %+v\nwant %+v", m.Buildkite, wantBK)
	}
	wantOkta := Okta{
		OrgURL:    "https://acme.okta.com",
		Token:     Secret{Env: DefaultOktaTokenEnv, Line: 3, Origin: "mapping.yaml", Key: "okta.token_env"},
		UserEmail: UserEmailEmail, RateLimitHeadroom: DefaultOktaRateLimitHeadroom,
		RequestTimeout: 2 * time.Minute, Line: 3,
	}
	if !reflect.DeepEqual(*m.Okta, wantOkta) {
		t.Errorf("okta:\n got %+v\nwant %+v", *m.Okta, wantOkta)
	}
	if want := (Google{Nested: true, RequestTimeout: 2 * time.Minute, Line: 5}); *m.Google != want {
		t.Errorf("google: got %+v, want %+v", *m.Google, want)
	}
	wantSync := Sync{
		Schedule:          DefaultSchedule,
		Policy:            model.PolicyAdditive,
		MissingUsers:      MissingReport,
		MaxRemovals:       DefaultMaxRemovals,
		MaxRemovalPercent: DefaultMaxRemovalPercent,
		EmailDomains:      map[string]string{},
		FullReadEvery:     DefaultFullReadEvery,
	}
	if !reflect.DeepEqual(m.Sync, wantSync) {
		t.Errorf("sync:\n got %+v\nwant %+v", m.Sync, wantSync)
	}
	wantTeams := []Team{{
		Slug: "platform", Name: "platform", Privacy: PrivacySecret, Policy: model.PolicyAdditive, Line: 9,
		Groups: []Group{
			{Okta: "Platform", Role: model.RoleMember, Line: 11},
			{Google: "eng@acme.com", Role: model.RoleMember, Line: 12},
			{Users: []string{"alice@acme.com"}, Role: model.RoleMember, Line: 13},
		},
	}}
	if !reflect.DeepEqual(m.Teams, wantTeams) {
		t.Errorf("teams:\n got %+v\nwant %+v", m.Teams, wantTeams)
	}
}

// TestParseFull checks that every key is read when set, including the
// explicit zeros of buildkite.rate_limit_headroom, max_removals and
// max_removal_percent and loopback http.
func TestParseFull(t *testing.T) {
	m, err := Load(filepath.Join(testdata, "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(testdata, "full.yaml")
	wantBK := Buildkite{
		Organization:      "acme",
		Token:             Secret{File: "/run/secrets/buildkite", Line: 4, Origin: path, Key: "buildkite.token_file"},
		GraphQLURL:        "http://127.0.0.1:8080/graphql",
		RateLimitHeadroom: 0, // explicit: pacing off
		RequestTimeout:    90 * time.Second,
		Line:              2,
	}
	if m.Buildkite != wantBK {
		t.Errorf("buildkite:\n got %+v\nwant %+v", m.Buildkite, wantBK)
	}
	wantOkta := Okta{
		OrgURL: "http://localhost:8081", ClientID: "0oa123", PrivateKeyFile: "/run/secrets/okta.pem",
		PrivateKeyID: "kid1", Scopes: []string{"okta.groups.read"}, UserEmail: UserEmailLogin, RateLimitHeadroom: 10,
		RequestTimeout: 30 * time.Second, Line: 8,
	}
	if !reflect.DeepEqual(*m.Okta, wantOkta) {
		t.Errorf("okta:\n got %+v\nwant %+v", *m.Okta, wantOkta)
	}
	wantGoogle := Google{CredentialsFile: "/run/secrets/sa.json", Subject: "Admin@Acme.com", Endpoint: "http://[::1]:8082/", RequestTimeout: time.Hour, Line: 17}
	if *m.Google != wantGoogle {
		t.Errorf("google:\n got %+v\nwant %+v", *m.Google, wantGoogle)
	}
	wantSync := Sync{
		Schedule: "*/5 * * * *", Policy: model.PolicyAdditive, MissingUsers: MissingInvite,
		MaxRemovals: 0, MaxRemovalPercent: 0,
		ProtectedUsers: []string{"ci-bot@acme.com"},
		EmailDomains:   map[string]string{"corp.acme.com": "acme.com"},
		AuditLog:       "/var/log/teamsync.jsonl",
		DryRun:         true,
		FullReadEvery:  6 * time.Hour,
	}
	if !reflect.DeepEqual(m.Sync, wantSync) {
		t.Errorf("sync:\n got %+v\nwant %+v", m.Sync, wantSync)
	}
	wantTeams := []Team{
		{
			Slug: "platform-eng", Name: "Platform / Eng!", Create: true, Privacy: PrivacyVisible, Policy: model.PolicyObserve, Line: 35,
			Groups: []Group{
				{Okta: "Platform Engineers", Role: model.RoleMaintainer, AllowEmpty: true, Line: 41},
				{Google: "eng@acme.com", Role: model.RoleMember, Line: 44},
				{Users: []string{"alice@acme.com", "bob@acme.com"}, Role: model.RoleMember, Line: 45},
			},
		},
		{
			Slug: "web", Name: "web", Privacy: PrivacySecret, Policy: model.PolicyAdditive, Line: 46,
			Groups: []Group{{Okta: "00g123", Role: model.RoleMember, Line: 48}},
		},
	}
	if !reflect.DeepEqual(m.Teams, wantTeams) {
		t.Errorf("teams:\n got %+v\nwant %+v", m.Teams, wantTeams)
	}
}

// TestParseAnchors checks aliases, merge keys and x- extension keys.
func TestParseAnchors(t *testing.T) {
	m, err := Load(filepath.Join(testdata, "anchors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		Slug, Privacy string
		Create        bool
		Groups        []string
	}
	var got []view
	for _, tm := range m.Teams {
		v := view{Slug: tm.Slug, Privacy: tm.Privacy, Create: tm.Create}
		for _, g := range tm.Groups {
			v.Groups = append(v.Groups, g.Label()+"/"+string(g.Role))
		}
		got = append(got, v)
	}
	want := []view{
		{Slug: "web", Privacy: PrivacyVisible, Create: true, Groups: []string{"users/maintainer"}},
		{Slug: "api", Privacy: PrivacySecret, Create: true, Groups: []string{"okta:API/member"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("teams:\n got %+v\nwant %+v", got, want)
	}
}

// TestParseMergedKeysStayStrict checks that a misspelt key in a merged
// mapping is still an error, at the line where it is written.
func TestParseMergedKeysStayStrict(t *testing.T) {
	_, err := Parse("mapping.yaml", []byte(doc(
		"buildkite:",
		"  organization: acme",
		"x-defaults: &d",
		"  privcy: visible",
		"teams:",
		"  - <<: *d",
		"    slug: web",
		"    groups:",
		"      - users: [a@acme.com]",
	)))
	want := `mapping.yaml:4: teams[0].<<: unknown key "privcy" (did you mean "privacy"?)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestParseAliasExpansionLimit checks that nested aliases cannot make a
// small file expand without bound.
func TestParseAliasExpansionLimit(t *testing.T) {
	// Each list holds four aliases of the one before: 4^12 nodes in all.
	lines := []string{"buildkite:", "  organization: acme", "x-0: &a0 [a@acme.com, a@acme.com, a@acme.com, a@acme.com]"}
	for i := 1; i <= 12; i++ {
		prev := fmt.Sprintf("*a%d", i-1)
		lines = append(lines, fmt.Sprintf("x-%d: &a%d [%s, %s, %s, %s]", i, i, prev, prev, prev, prev))
	}
	lines = append(lines, "teams: []")
	_, err := Parse("mapping.yaml", []byte(doc(lines...)))
	want := "mapping.yaml:1: aliases expand the file to over 1048576 nodes, the most teamsync reads, from 85 nodes as written; repeat fewer or smaller anchored values"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestParseSizeLimit: a file that is large as written, without a single
// alias, is told apart from one that aliases make large.
func TestParseSizeLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("buildkite:\n  organization: acme\nx-big: [")
	for i := range 1 << 20 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("1")
	}
	b.WriteString("]\nteams: []\n")
	data := []byte(b.String())
	_, err := Parse("mapping.yaml", data)
	want := fmt.Sprintf("mapping.yaml:1: the file is too large: it has over 1048576 YAML nodes as written (%d bytes), the most teamsync reads; split the mapping", len(data))
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestParseLoopbackHTTP checks which hosts may use plain http, for every
// URL a credential is sent to.
func TestParseLoopbackHTTP(t *testing.T) {
	cases := []struct {
		url string
		ok  bool
	}{
		{"https://acme.okta.com", true},
		{"http://127.0.0.1:8080", true},
		{"http://127.4.5.6", true},
		{"http://[::1]:9000", true},
		{"http://localhost", true},
		{"http://LOCALHOST:1", true},
		{"http://128.0.0.1", false},
		{"http://localhost.acme.com", false},
		{"http://[::2]", false},
	}
	mappings := map[string]func(u string) string{
		"buildkite.graphql_url": func(u string) string {
			return withTeams("buildkite:", "  organization: acme", "  graphql_url: "+u)
		},
		"okta.org_url": func(u string) string {
			return withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: "+u)
		},
		"google.endpoint": func(u string) string {
			return withTeams("buildkite:", "  organization: acme", "google:", "  endpoint: "+u)
		},
	}
	for key, mapping := range mappings {
		for _, tc := range cases {
			t.Run(key+"/"+tc.url, func(t *testing.T) {
				_, err := Parse("m.yaml", []byte(mapping(tc.url)))
				if (err == nil) != tc.ok {
					t.Errorf("%s %s: err = %v, want ok = %v", key, tc.url, err, tc.ok)
				}
			})
		}
	}
}

// TestRepositoryMapping checks that the documented example at the top of
// the repository loads.
func TestRepositoryMapping(t *testing.T) {
	m, err := Load("../../mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Buildkite.Organization != "acme" || m.Okta == nil || m.Google == nil {
		t.Errorf("organization %q, okta %v, google %v: want acme with both sections", m.Buildkite.Organization, m.Okta != nil, m.Google != nil)
	}
	sources := map[string]bool{}
	for _, tm := range m.Teams {
		for _, g := range tm.Groups {
			sources[g.Ref().Source] = true
		}
	}
	if len(sources) != 3 {
		t.Errorf("the example uses sources %v, want okta, google and users", sources)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "read mapping file: open ") {
		t.Errorf("got %v, want a wrapped not-exist error", err)
	}
}

func TestValidEmail(t *testing.T) {
	cases := map[string]bool{
		"a@acme.com":            true,
		"first.last+tag@a.b.co": true,
		"o'brien@acme.com":      true,
		"a@acme":                false,
		"@acme.com":             false,
		"a@":                    false,
		"a@@acme.com":           false,
		"a b@acme.com":          false,
		".a@acme.com":           false,
		"a..b@acme.com":         false,
		"a@-acme.com":           false,
		"a@acme..com":           false,
		"<a@acme.com>":          false,
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			if got := validEmail(in); got != want {
				t.Errorf("validEmail(%q) = %v, want %v", in, got, want)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	cases := []struct {
		name string
		err  Error
		want string
	}{
		{"everything", Error{File: "m.yaml", Line: 3, Path: "sync", Msg: "bad"}, "m.yaml:3: sync: bad"},
		{"no path", Error{File: "m.yaml", Line: 3, Msg: "bad"}, "m.yaml:3: bad"},
		{"no line", Error{File: "m.yaml", Msg: "bad"}, "m.yaml: bad"},
		{"no file", Error{Line: 3, Path: "okta.token_env", Msg: "bad"}, "line 3: okta.token_env: bad"},
		{"message only", Error{Msg: "bad"}, "bad"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestParseExpires checks the forms expires: takes and the moment each
// stops granting.
func TestParseExpires(t *testing.T) {
	cases := []struct {
		name, value string
		want        time.Time
	}{
		{"date is the end of that day in UTC", "2026-12-31", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"quoted date", `"2026-12-31"`, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"RFC 3339 in UTC", "2026-12-01T00:00:00Z", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"RFC 3339 with offset", "2026-12-01T02:00:00+02:00", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"absent", "", time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lines := []string{"buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    groups:",
				"      - users: [a@acme.com]"}
			wantLine := 0
			if tc.value != "" {
				lines = append(lines, "        expires: "+tc.value)
				wantLine = 7
			}
			m, err := Parse("mapping.yaml", []byte(doc(lines...)))
			if err != nil {
				t.Fatal(err)
			}
			g := m.Teams[0].Groups[0]
			if !g.Expires.Equal(tc.want) || g.ExpiresLine != wantLine {
				t.Errorf("Expires = %v (line %d), want %v (line %d)", g.Expires, g.ExpiresLine, tc.want, wantLine)
			}
			if !tc.want.IsZero() && (g.ExpiredAt(tc.want.Add(-time.Nanosecond)) || !g.ExpiredAt(tc.want)) {
				t.Errorf("ExpiredAt is not false just before %v and true from it", tc.want)
			}
		})
	}
}
