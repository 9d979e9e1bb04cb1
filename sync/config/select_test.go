package config

import (
	"reflect"
	"testing"
)

func selectMapping(t *testing.T) *Mapping {
	t.Helper()
	m, err := Parse("mapping.yaml", []byte(doc(
		"buildkite:",
		"  organization: acme",
		"sync:",
		"  protected_users: [bot@acme.com]",
		"  email_domains: {corp.acme.com: acme.com}",
		"teams:",
		"  - slug: web",
		"    groups: [{users: [w@acme.com]}]",
		"  - slug: api",
		"    groups: [{users: [a@acme.com]}]",
		"  - slug: data",
		"    groups: [{users: [d@acme.com]}]",
	)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSelect(t *testing.T) {
	cases := []struct {
		name    string
		slugs   []string
		want    []string
		wantErr string
	}{
		{"none selects all", nil, []string{"web", "api", "data"}, ""},
		{"keeps mapping order", []string{"data", "web"}, []string{"web", "data"}, ""},
		{"repeats are harmless", []string{"api", "api"}, []string{"api"}, ""},
		{"unknown slug", []string{"api", "mobile"}, nil,
			`mapping.yaml: no team "mobile"; the teams are: api, data, web`},
		{"unknown slugs", []string{"ios", "api", "android", "ios"}, nil,
			`mapping.yaml: no teams "ios", "android"; the teams are: api, data, web`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := selectMapping(t)
			got, err := m.Select(tc.slugs)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Select: got %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var slugs []string
			for _, tm := range got.Teams {
				slugs = append(slugs, tm.Slug)
			}
			if !reflect.DeepEqual(slugs, tc.want) {
				t.Errorf("teams = %v, want %v", slugs, tc.want)
			}
			if got.Buildkite != m.Buildkite || !reflect.DeepEqual(got.Sync, m.Sync) || got.Path != m.Path {
				t.Errorf("settings changed: %+v", got)
			}
			if len(m.Teams) != 3 {
				t.Errorf("the original lost teams: %d left", len(m.Teams))
			}
		})
	}
}

// TestSelectCopies checks that changing the selection leaves the original
// alone, since the daemon keeps the last good mapping while runs select.
func TestSelectCopies(t *testing.T) {
	m := selectMapping(t)
	got, err := m.Select([]string{"web"})
	if err != nil {
		t.Fatal(err)
	}
	got.Teams[0].Groups[0].Users[0] = "changed@acme.com"
	got.Sync.ProtectedUsers[0] = "changed@acme.com"
	got.Sync.EmailDomains["x.com"] = "y.com"
	if u := m.Teams[0].Groups[0].Users[0]; u != "w@acme.com" {
		t.Errorf("original team user = %q", u)
	}
	if u := m.Sync.ProtectedUsers[0]; u != "bot@acme.com" {
		t.Errorf("original protected user = %q", u)
	}
	if len(m.Sync.EmailDomains) != 1 {
		t.Errorf("original email_domains = %v", m.Sync.EmailDomains)
	}
}

func TestManages(t *testing.T) {
	m := selectMapping(t)
	for slug, want := range map[string]bool{"web": true, "data": true, "legacy": false, "": false, "Web": false} {
		if got := m.Manages(slug); got != want {
			t.Errorf("Manages(%q) = %v, want %v", slug, got, want)
		}
	}
}
