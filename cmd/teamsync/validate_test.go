package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestValidateOnline: --online resolves the credentials and reads every
// group and team, naming each that does not exist, and writes nothing.
func TestValidateOnline(t *testing.T) {
	dir, sim, url := startWebOrg(t, webOktaMapping(`  - slug: ghost
    groups:
      - okta: Nope
`))
	h := newHarness(t, dir, url, nil)

	out, code := h.run("validate", "--online")
	if code != exitError || len(out) != 0 {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	stderr := h.stderr.String()
	for _, want := range []string{
		h.config + `: team "ghost": okta:Nope: okta group "Nope": no group has this exact name`,
		h.config + `: team "ghost": buildkite: team does not exist in Buildkite (set create: true to create it)`,
		"teamsync: " + h.config + ": 2 problems found online",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if n := sim.Stats().Mutations; n != 0 {
		t.Errorf("validate sent %d mutations", n)
	}

	h.env["OKTA_API_TOKEN"] = ""
	if _, code := h.run("validate", "--online"); code != exitError ||
		!strings.Contains(h.stderr.String(), "okta.token_env: environment variable OKTA_API_TOKEN is not set or empty") {
		t.Fatalf("missing Okta token: exit %d\n%s", code, h.stderr.String())
	}
	if _, code := h.run("validate"); code != exitOK {
		t.Fatalf("offline validate needs no credentials, got exit %d\n%s", code, h.stderr.String())
	}
}

// TestValidateExpiring: offline validate warns, with file:line, of each
// entry expiring within 7 days or already expired, and still passes.
func TestValidateExpiring(t *testing.T) {
	dir := t.TempDir()
	mapping := `buildkite:
  organization: acme
teams:
  - slug: web
    groups:
      - users: [alice@acme.com]
        expires: 2026-12-01T00:00:00Z
      - users: [bob@acme.com]
        expires: 2026-12-07
      - users: [carol@acme.com]
        expires: 2026-12-31
`
	if err := os.WriteFile(filepath.Join(dir, "mapping.yaml"), []byte(mapping), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir, "http://127.0.0.1:1", nil)
	h.now = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

	out, code := h.run("validate")
	if code != 0 || !strings.Contains(string(out), ": valid (1 team, 3 group entries)") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, h.stderr.String())
	}
	want := h.config + `:7: warning: team "web": users expired at 2026-12-01T00:00:00Z and grants nothing` + "\n" +
		h.config + `:9: warning: team "web": users expires at 2026-12-08T00:00:00Z, in 2 days` + "\n"
	if got := h.stderr.String(); got != want {
		t.Errorf("stderr:\n got %q\nwant %q", got, want)
	}
}

// TestValidateSummaryNamesOffboarding: the summary line says offboarding
// is on, by which source and for which domains, since it removes people
// from the organization itself.
func TestValidateSummaryNamesOffboarding(t *testing.T) {
	dir := t.TempDir()
	mapping := `buildkite:
  organization: acme
okta:
  org_url: https://acme.okta.com
teams:
  - slug: web
    groups:
      - users: [alice@acme.com]
offboarding:
  source: okta
  domains: [acme.com, corp.acme.com]
`
	if err := os.WriteFile(filepath.Join(dir, "mapping.yaml"), []byte(mapping), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir, "http://127.0.0.1:1", nil)
	out, code := h.run("validate")
	if want := h.config + ": valid (1 team, 1 group entry, offboarding by okta for acme.com, corp.acme.com)\n"; code != 0 || string(out) != want {
		t.Fatalf("exit %d, stdout %q, want %q; stderr %q", code, out, want, h.stderr.String())
	}
}
