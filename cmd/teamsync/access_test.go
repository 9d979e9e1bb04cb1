package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// startWith starts the simulator seeded from scenario name with opts, and
// a harness on that scenario's mapping.
func startWith(t *testing.T, name string, opts bksim.Options) (*bksim.Server, *harness) {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "scenarios", name)
	seed, err := bksim.LoadState(filepath.Join(dir, "buildkite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sim, srv := bksimtest.StartWith(t, seed, opts)
	return sim, newHarness(t, dir, srv.URL, nil)
}

// TestTokenAccess: validate --online, plan and apply check what the token may do
// before reading anything else, and name what it lacks of what the mapping
// needs; a rejected token is named once.
func TestTokenAccess(t *testing.T) {
	for _, tc := range []struct {
		name     string
		scenario string
		denied   []string
		token    string
		want     string // "" passes
	}{
		{"all allowed", "invite-and-create", nil, "", ""},
		{"no teamAdmin", "basic", []string{"teamAdmin"}, "",
			`teamsync: connect: BUILDKITE_API_TOKEN (alice@acme.com) may not, in Buildkite organization "acme": teamAdmin (to change team memberships)` + "\n"},
		{"teamCreate needed only when creating", "basic", []string{"teamCreate", "organizationInvitationCreate"}, "", ""},
		{"no teamCreate nor invitations", "invite-and-create", []string{"teamCreate", "organizationInvitationCreate"}, "",
			`may not, in Buildkite organization "acme": teamCreate (the mapping creates teams); organizationInvitationCreate (sync.missing_users is invite)` + "\n"},
		{"audit log is information", "basic", []string{"auditEventsView"}, "", ""},
		{"member removal needed only with offboarding", "basic", []string{"organizationMemberUpdate"}, "", ""},
		{"offboarding without member removal", "offboarding", []string{"organizationMemberUpdate"}, "",
			`may not, in Buildkite organization "acme": organizationMemberUpdate (offboarding removes members from the organization)` + "\n"},
		{"rejected token", "basic", nil, "wrong-token", "teamsync: connect: BUILDKITE_API_TOKEN was rejected (HTTP 401)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, h := startWith(t, tc.scenario, bksim.Options{Denied: tc.denied})
			if tc.token != "" {
				h.env["BUILDKITE_API_TOKEN"] = tc.token
			}
			commands := [][]string{{"validate", "--online"}, {"plan"}}
			if tc.want != "" {
				commands = append(commands, []string{"apply"})
			}
			for _, args := range commands {
				sim.ResetStats()
				out, code := h.run(args...)
				stderr := h.stderr.String()
				if tc.want == "" {
					if code != exitOK {
						t.Fatalf("%v: exit %d\n%s", args, code, stderr)
					}
					continue
				}
				if code != exitError || !strings.HasSuffix(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
					t.Fatalf("%v: exit %d, stderr %q, want one line ending %q", args, code, stderr, tc.want)
				}
				if len(out) != 0 {
					t.Fatalf("%v printed %q", args, out)
				}
				if st := sim.Stats(); st.Queries > 1 || st.Mutations > 0 {
					t.Fatalf("%v went on reading after the token check failed: %v", args, st.ByOperation)
				}
			}
		})
	}
	_, h := startWith(t, "basic", bksim.Options{Denied: []string{"auditEventsView"}})
	out, _ := h.run("validate", "--online")
	if want := "the Buildkite token belongs to alice@acme.com, may administer teams, may not read the audit log (serve finds changed teams from fingerprints instead)"; !strings.Contains(string(out), want) {
		t.Fatalf("validate --online:\n%s\nwant %q", out, want)
	}
}

// bksimOptions are the simulator's options of a test that needs none.
func bksimOptions() bksim.Options { return bksim.Options{} }

// TestTokenAccessNonAdminWithOffboarding: Buildkite allows
// organizationMemberUpdate only to an organization admin, and bksim
// answers it so; a token whose user is no admin is named before any read,
// instead of apply failing every remove_org_member one by one.
func TestTokenAccessNonAdminWithOffboarding(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "scenarios", "offboarding")
	seed, err := bksim.LoadState(filepath.Join(dir, "buildkite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range seed.Members {
		seed.Members[i].Role = ""
	}
	sim, srv := bksimtest.Start(t, seed)
	h := newHarness(t, dir, srv.URL, nil)
	out, code := h.run("plan")
	want := `may not, in Buildkite organization "acme": organizationMemberUpdate (offboarding removes members from the organization)` + "\n"
	if stderr := h.stderr.String(); code != exitError || len(out) != 0 || !strings.HasSuffix(stderr, want) {
		t.Fatalf("plan: exit %d, stdout %q, stderr %q, want it to end %q", code, out, stderr, want)
	}
	if st := sim.Stats(); st.Queries > 1 || st.Mutations > 0 {
		t.Fatalf("plan went on after the token check failed: %v", st.ByOperation)
	}
}
