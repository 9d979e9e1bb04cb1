package config

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestParseOffboarding reads a full offboarding section.
func TestParseOffboarding(t *testing.T) {
	m, err := Parse("mapping.yaml", []byte(withTeams(
		"buildkite:", "  organization: acme",
		"okta:", "  org_url: https://acme.okta.com",
		"offboarding:", "  source: okta", "  domains: [Acme.com, corp.acme.com]",
		"  revoke_invitations: true", "  include_admins: true", "  every: 30m")))
	if err != nil {
		t.Fatal(err)
	}
	want := &Offboarding{Source: "okta", Domains: []string{"acme.com", "corp.acme.com"}, RevokeInvitations: true, IncludeAdmins: true, Every: 30 * time.Minute, Line: 5}
	if !reflect.DeepEqual(m.Offboarding, want) {
		t.Fatalf("offboarding = %+v, want %+v", m.Offboarding, want)
	}
	for email, covered := range map[string]bool{"a@acme.com": true, "b@corp.acme.com": true, "c@x.acme.com": false, "acme.com": false, "d@other.com": false} {
		if got := m.Offboarding.Covers(email); got != covered {
			t.Errorf("Covers(%q) = %v, want %v", email, got, covered)
		}
	}
}

// TestParseWithoutOffboarding leaves Offboarding nil, which covers nobody.
func TestParseWithoutOffboarding(t *testing.T) {
	m, err := Parse("mapping.yaml", []byte(withTeams("buildkite:", "  organization: acme")))
	if err != nil {
		t.Fatal(err)
	}
	if m.Offboarding != nil || m.Offboarding.Covers("a@acme.com") {
		t.Fatalf("offboarding = %+v, want nil covering nobody", m.Offboarding)
	}
}

// TestParseOffboardingErrors checks each mistake's exact message.
func TestParseOffboardingErrors(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"no source", withTeams("buildkite:", "  organization: acme", "offboarding:", "  domains: [acme.com]"),
			`mapping.yaml:3: offboarding: source is required: the identity source that decides who has left (okta, google)`},
		{"source without its section", withTeams("buildkite:", "  organization: acme", "offboarding:", "  source: google", "  domains: [acme.com]"),
			`mapping.yaml:4: offboarding: source is google but the file has no google section`},
		{"unknown source", withTeams("buildkite:", "  organization: acme", "offboarding:", "  source: ldap", "  domains: [acme.com]"),
			`mapping.yaml:4: offboarding: source "ldap" is not one of okta, google`},
		{"no domains", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "offboarding:", "  source: okta"),
			`mapping.yaml:5: offboarding: domains is required: the email domains okta owns, whose members it may judge`},
		{"empty domains", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "offboarding:", "  source: okta", "  domains: []"),
			`mapping.yaml:7: offboarding: domains is required: the email domains okta owns, whose members it may judge`},
		{"bad domain", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "offboarding:", "  source: okta", "  domains: [acme.com, \"@acme.com\"]"),
			`mapping.yaml:7: offboarding: domains[1] "@acme.com" is not a domain name`},
		{"domain twice", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "offboarding:", "  source: okta", "  domains:", "    - acme.com", "    - ACME.com"),
			`mapping.yaml:9: offboarding: domains lists "acme.com" twice (first at line 8)`},
		{"null section", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "offboarding:"),
			`mapping.yaml:5: offboarding is empty: give source and domains, or remove the section`},
		{"null written out", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "offboarding: null"),
			`mapping.yaml:5: offboarding is empty: give source and domains, or remove the section`},
		{"empty mapping", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "offboarding: {}"),
			`mapping.yaml:5: offboarding is empty: give source and domains, or remove the section`},
		{"every below a minute", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "offboarding:", "  source: okta", "  domains: [acme.com]", "  every: 30s"),
			`mapping.yaml:8: offboarding: every must be at least 1m, got "30s"`},
		{"misspelt key", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "offboarding:", "  source: okta", "  domains: [acme.com]", "  include_admin: true"),
			`mapping.yaml:8: offboarding: unknown key "include_admin" (did you mean "include_admins"?)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("mapping.yaml", []byte(c.yaml))
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v, want *Errors", err)
			}
			if got := err.Error(); got != c.want {
				t.Fatalf("error:\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

// TestSelectLeavesOffboardingOut: a run of some teams does not judge the
// organization; a run of all of them does, on its own copy.
func TestSelectLeavesOffboardingOut(t *testing.T) {
	m, err := Parse("mapping.yaml", []byte(withTeams(
		"buildkite:", "  organization: acme",
		"okta:", "  org_url: https://acme.okta.com",
		"offboarding:", "  source: okta", "  domains: [acme.com]")))
	if err != nil {
		t.Fatal(err)
	}
	some, err := m.Select([]string{"platform"})
	if err != nil || some.Offboarding != nil {
		t.Fatalf("Select(platform).Offboarding = %+v, %v; want nil", some.Offboarding, err)
	}
	all, err := m.Select(nil)
	if err != nil || all.Offboarding == nil || all.Offboarding == m.Offboarding {
		t.Fatalf("Select().Offboarding = %p (mapping's %p), %v; want a copy", all.Offboarding, m.Offboarding, err)
	}
	all.Offboarding.Domains[0] = "changed.com"
	if m.Offboarding.Domains[0] != "acme.com" {
		t.Fatal("the copy shares its domains with the mapping")
	}
}
