package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// teamRoles is team slug → email → role, as the simulator holds it now.
func teamRoles(sim *bksim.Server) map[string]map[string]string {
	out := make(map[string]map[string]string)
	for _, t := range sim.State().Teams {
		out[t.Slug] = make(map[string]string)
		for _, m := range t.Members {
			out[t.Slug][strings.ToLower(m.Email)] = m.Role
		}
	}
	return out
}

type appliedChange struct {
	Action string `json:"action"`
	Email  string `json:"email"`
	Status string `json:"status"`
	Error  string `json:"error"`
}

func appliedChanges(t *testing.T, out []byte) []appliedChange {
	t.Helper()
	var p struct{ Changes []appliedChange }
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return p.Changes
}

// savePlan runs plan --out and returns the file's path and what plan
// printed.
func savePlan(t *testing.T, h *harness) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.json")
	out, code := h.run("plan", "--format", "json", "--out", path)
	if code != exitOK {
		t.Fatalf("plan --out: exit %d\n%s", code, h.stderr.String())
	}
	return path, out
}

func TestSavedPlanAppliesExactlyThePlannedChanges(t *testing.T) {
	sim, h := basic(t)
	path, printed := savePlan(t, h)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]json.RawMessage
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	var stdout map[string]json.RawMessage
	if err := json.Unmarshal(printed, &stdout); err != nil {
		t.Fatal(err)
	}
	if string(file["changes"]) != string(stdout["changes"]) {
		t.Fatalf("saved changes differ from the printed plan:\n%s\n%s", file["changes"], stdout["changes"])
	}
	var basis struct {
		Organization string            `json:"organization"`
		Teams        map[string]string `json:"teams"`
	}
	if err := json.Unmarshal(file["basis"], &basis); err != nil {
		t.Fatal(err)
	}
	if basis.Organization != "acme" || len(basis.Teams) != 1 || !strings.HasPrefix(basis.Teams["platform"], "sha256:") {
		t.Fatalf("basis = %s", file["basis"])
	}
	if strings.Contains(string(raw), "test-token") {
		t.Fatal("the saved plan holds the token")
	}

	sim.ResetStats()
	out, code := h.run("apply", path, "--format", "json")
	if code != exitOK {
		t.Fatalf("apply FILE: exit %d\n%s", code, h.stderr.String())
	}
	want := []appliedChange{
		{"add_member", "bob@acme.com", "applied", ""},
		{"update_role", "alice@acme.com", "applied", ""},
		{"update_role", "carol@acme.com", "applied", ""},
		{"remove_member", "dave@acme.com", "applied", ""},
	}
	if got := appliedChanges(t, out); !reflect.DeepEqual(got, want) {
		t.Fatalf("apply FILE changes = %+v, want %+v", got, want)
	}
	if st := sim.Stats(); st.Mutations != 4 || st.ByOperation["team"] != 1 {
		t.Fatalf("apply FILE sent %d mutations and read %d teams, want 4 and only platform (%v)", st.Mutations, st.ByOperation["team"], st.ByOperation)
	}
	wantTeams := map[string]map[string]string{
		"platform": {"alice@acme.com": "maintainer", "bob@acme.com": "member", "carol@acme.com": "member", "erin@acme.com": "member"},
		"legacy":   {"dave@acme.com": "maintainer"},
	}
	if got := teamRoles(sim); !reflect.DeepEqual(got, wantTeams) {
		t.Fatalf("buildkite after apply FILE = %v, want %v", got, wantTeams)
	}
}

func TestSavedPlanSkipsWhatChangedByHand(t *testing.T) {
	sim, h := basic(t)
	path, _ := savePlan(t, h)
	hand := sim.ByHand("alice@acme.com")
	for _, err := range []error{
		hand.RemoveTeamMember("platform", "carol@acme.com"),         // planned: carol maintainer → member
		hand.SetTeamRole("platform", "dave@acme.com", "maintainer"), // planned: remove dave, a member
		hand.SetTeamRole("platform", "erin@acme.com", "maintainer"), // not in the plan at all
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	out, code := h.run("apply", path, "--format", "text")
	if code != exitOK {
		t.Fatalf("apply FILE: exit %d\n%s", code, h.stderr.String())
	}
	for _, want := range []string{
		`[skipped: no longer holds: carol@acme.com is not in team "platform" any more]`,
		`[skipped: no longer holds: dave@acme.com is maintainer in team "platform" now, not member as planned]`,
		"2 applied, 0 failed, 2 skipped.",
		"Guards were decided at plan time: held changes are not in its change list.",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("apply FILE output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(h.stderr.String(), "teams changed since the plan was made") {
		t.Errorf("stderr does not say the team changed:\n%s", h.stderr.String())
	}
	// Nothing made by hand is reverted: carol stays out, dave and erin
	// stay maintainers.
	wantTeams := map[string]map[string]string{
		"platform": {"alice@acme.com": "maintainer", "bob@acme.com": "member", "dave@acme.com": "maintainer", "erin@acme.com": "maintainer"},
		"legacy":   {"dave@acme.com": "maintainer"},
	}
	if got := teamRoles(sim); !reflect.DeepEqual(got, wantTeams) {
		t.Fatalf("buildkite after apply FILE = %v, want %v", got, wantTeams)
	}
}

func TestSavedPlanRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		alter   func(t *testing.T, h *harness, path string)
		args    []string
		wantErr string
	}{
		{"the mapping changed", func(t *testing.T, h *harness, _ string) {
			appendFile(t, h.config, "# a reviewer's edit\n")
		}, nil, "the mapping changed since the plan was made"},
		{"the plan is too old", func(t *testing.T, _ *harness, path string) {
			rewriteJSON(t, path, func(f map[string]any) { f["basis"].(map[string]any)["created_at"] = "2000-01-01T00:00:00Z" })
		}, nil, "the plan was made at 2000-01-01T00:00:00Z"},
		{"another organization", func(t *testing.T, _ *harness, path string) {
			rewriteJSON(t, path, func(f map[string]any) { f["basis"].(map[string]any)["organization"] = "other" })
		}, nil, `the plan is for Buildkite organization "other", but the mapping names "acme"`},
		{"--max-age", func(*testing.T, *harness, string) {}, []string{"--max-age", "1ns"}, "more than --max-age 1ns: plan again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, h := basic(t)
			before := teamRoles(sim)
			path, _ := savePlan(t, h)
			tc.alter(t, h, path)
			sim.ResetStats()
			_, code := h.run(append([]string{"apply", path}, tc.args...)...)
			if code != exitError {
				t.Fatalf("apply FILE: exit %d, want 1\n%s", code, h.stderr.String())
			}
			prefix := "teamsync: saved plan " + path + " refused, nothing was applied: "
			if got := h.stderr.String(); !strings.HasPrefix(got, prefix) || !strings.Contains(got, tc.wantErr) {
				t.Fatalf("stderr = %q, want %q…%q", got, prefix, tc.wantErr)
			}
			if st := sim.Stats(); st.Requests != 0 {
				t.Fatalf("a refused plan sent %d requests to Buildkite", st.Requests)
			}
			if got := teamRoles(sim); !reflect.DeepEqual(got, before) {
				t.Fatalf("buildkite changed: %v", got)
			}
		})
	}
}

func TestSavedPlanRefusesPlanOutput(t *testing.T) {
	_, h := basic(t)
	out, _ := h.run("plan", "--format", "json")
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, code := h.run("apply", path); code != exitError {
		t.Fatalf("apply of plain plan JSON: exit %d", code)
	}
	want := `no "basis" (write one with teamsync plan --out FILE)`
	if !strings.Contains(h.stderr.String(), want) {
		t.Fatalf("stderr = %q, want %q", h.stderr.String(), want)
	}
	if _, code := h.run("apply", path, "--team", "platform"); code != exitError || !strings.Contains(h.stderr.String(), "--team cannot be used with a saved plan") {
		t.Fatalf("apply FILE --team: exit %d: %s", code, h.stderr.String())
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func rewriteJSON(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	edit(v)
	raw, err = json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSavedPlanOffboards applies a saved plan of the offboarding scenario:
// its organization changes name no team, and a departed person who is in
// a managed team is known to the team read without the membership ID the
// removal takes; both must still be applied, exactly as apply would.
func TestSavedPlanOffboards(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "scenarios", "offboarding")
	seed, err := bksim.LoadState(filepath.Join(dir, "buildkite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sim, srv := bksimtest.Start(t, seed)
	h := newHarness(t, dir, srv.URL, nil)
	path, _ := savePlan(t, h)
	out, code := h.run("apply", path, "--format", "json")
	if code != exitOK {
		t.Fatalf("apply FILE: exit %d\n%s\n%s", code, out, h.stderr.String())
	}
	want := []appliedChange{
		{"remove_member", "dave@acme.com", "applied", ""},
		{"remove_org_member", "dave@acme.com", "applied", ""},
		{"remove_org_member", "nora@acme.com", "applied", ""},
		{"remove_org_member", "sam@acme.com", "applied", ""},
		{"revoke_invitation", "ivy@acme.com", "applied", ""},
	}
	if got := appliedChanges(t, out); !reflect.DeepEqual(got, want) {
		t.Fatalf("apply FILE changes = %+v, want %+v", got, want)
	}
	final, err := yaml.Marshal(sim.State())
	if err != nil {
		t.Fatal(err)
	}
	wantState, err := os.ReadFile(filepath.Join(dir, "want-buildkite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if string(final) != string(wantState) {
		t.Fatalf("buildkite after apply FILE:\n%s\nwant, as after apply:\n%s", final, wantState)
	}

	// Applied again, the same file finds nothing left to do.
	sim.ResetStats()
	out, code = h.run("apply", path, "--format", "json")
	if code != exitOK {
		t.Fatalf("second apply FILE: exit %d\n%s", code, h.stderr.String())
	}
	for _, c := range appliedChanges(t, out) {
		if c.Status != "skipped" {
			t.Errorf("second apply FILE: %+v, want skipped", c)
		}
	}
	if st := sim.Stats(); st.Mutations != 0 {
		t.Fatalf("second apply FILE sent %d mutations (%v)", st.Mutations, st.ByOperation)
	}
}
