package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

const baseMapping = `buildkite:
  organization: acme
  graphql_url: "{{buildkite_url}}"
teams:
  - slug: web
    groups:
      - users: [alice@acme.com, bob@acme.com]
  - slug: api
    groups:
      - users: [alice@acme.com]
  - slug: ops
    groups:
      - users: [carol@acme.com]
`

// baseOrg has drift on every team: dave is in each, and no mapping wants
// him.
func baseOrg() bksim.State {
	return bksim.State{
		Organization: "acme",
		Members: []bksim.Member{
			{Email: "alice@acme.com", Role: "admin"}, {Email: "bob@acme.com"}, {Email: "carol@acme.com"}, {Email: "dave@acme.com"},
		},
		Teams: []bksim.Team{
			{Slug: "web", Members: []bksim.TeamMember{{Email: "alice@acme.com"}, {Email: "bob@acme.com"}, {Email: "dave@acme.com"}}},
			{Slug: "api", Members: []bksim.TeamMember{{Email: "alice@acme.com"}, {Email: "dave@acme.com"}}},
			{Slug: "ops", Members: []bksim.TeamMember{{Email: "carol@acme.com"}, {Email: "dave@acme.com"}}},
		},
	}
}

// baseHarness writes the base mapping as base.yaml and a harness whose
// mapping is the base with edit applied.
func baseHarness(t *testing.T, edit func(string) string) (*bksim.Server, *harness, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mapping.yaml"), []byte(edit(baseMapping)), 0o600); err != nil {
		t.Fatal(err)
	}
	sim, srv := bksimtest.Start(t, baseOrg())
	h := newHarness(t, dir, srv.URL, nil)
	base := filepath.Join(filepath.Dir(h.config), "base.yaml")
	if err := os.WriteFile(base, []byte(strings.ReplaceAll(baseMapping, "{{buildkite_url}}", srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	return sim, h, base
}

type scopedChange struct {
	Action string `json:"action"`
	Team   string `json:"team"`
	Email  string `json:"email"`
	Scope  string `json:"scope"`
}

func TestPlanBaseScopesToTheChange(t *testing.T) {
	sim, h, base := baseHarness(t, func(m string) string {
		return strings.Replace(m, "users: [alice@acme.com, bob@acme.com]", "users: [alice@acme.com, carol@acme.com]", 1)
	})
	sim.ResetStats()
	out, code := h.run("plan", "--base", base, "--format", "json", "--detailed-exitcode")
	if code != exitChanges {
		t.Fatalf("exit %d, want 2\n%s", code, h.stderr.String())
	}
	var p struct{ Changes []scopedChange }
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	want := []scopedChange{
		{"add_member", "web", "carol@acme.com", "change"},
		{"remove_member", "web", "bob@acme.com", "change"},
		{"remove_member", "web", "dave@acme.com", "pending"},
	}
	if !reflect.DeepEqual(p.Changes, want) {
		t.Fatalf("changes = %+v, want %+v", p.Changes, want)
	}
	// Only web was read: one team field in the whole run.
	if st := sim.Stats(); st.ByOperation["team"] != 1 {
		t.Fatalf("read %d teams (%v), want only web", st.ByOperation["team"], st.ByOperation)
	}
	// The same counter sees every team a plan without --base reads.
	sim.ResetStats()
	if _, code := h.run("plan"); code != exitOK {
		t.Fatalf("plan: exit %d", code)
	}
	if st := sim.Stats(); st.ByOperation["team"] != 3 {
		t.Fatalf("plan without --base read %d teams (%v), want 3", st.ByOperation["team"], st.ByOperation)
	}

	text, code := h.run("plan", "--base", base)
	if code != exitOK {
		t.Fatalf("text: exit %d", code)
	}
	for _, want := range []string{"== this change ==", "== already pending (drift on the same teams that apply would also fix) ==", "team web"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(string(text), "team api") || strings.Contains(string(text), "team ops") {
		t.Errorf("text shows teams the change does not touch:\n%s", text)
	}
	md, _ := h.run("plan", "--base", base, "--format", "markdown")
	for _, want := range []string{"#### This change", "#### Already pending (drift on the same teams that apply would also fix)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestPlanBaseNothingTouched(t *testing.T) {
	sim, h, base := baseHarness(t, func(m string) string {
		// Reordered and commented: the same desired state.
		return strings.Replace(m, "users: [alice@acme.com, bob@acme.com]", "users: [bob@acme.com, alice@acme.com] # reordered", 1)
	})
	sim.ResetStats()
	saved := filepath.Join(t.TempDir(), "plan.json")
	out, code := h.run("plan", "--base", base, "--detailed-exitcode", "--out", saved)
	if code != exitOK || string(out) != MsgNothingTouched+"\n" {
		t.Fatalf("exit %d, stdout %q\n%s", code, out, h.stderr.String())
	}
	if st := sim.Stats(); st.Queries != 1 { // the token check only
		t.Fatalf("read Buildkite: %v", st.ByOperation)
	}
	// The empty plan is saved, and applying it writes nothing.
	if _, code := h.run("apply", saved); code != exitOK {
		t.Fatalf("apply of the empty saved plan: exit %d\n%s", code, h.stderr.String())
	}
	if st := sim.Stats(); st.Mutations != 0 {
		t.Fatalf("apply of the empty plan sent %d mutations", st.Mutations)
	}
}

func TestPlanBaseFromGit(t *testing.T) {
	_, h, _ := baseHarness(t, func(m string) string { return m })
	dir := filepath.Dir(h.config)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", "mapping.yaml")
	git("commit", "-q", "-m", "base")
	raw, err := os.ReadFile(h.config)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(raw), "users: [carol@acme.com]", "users: [carol@acme.com, bob@acme.com]", 1)
	if err := os.WriteFile(h.config, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := h.run("plan", "--base", "git:HEAD", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, h.stderr.String())
	}
	var p struct{ Changes []scopedChange }
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	want := []scopedChange{
		{"add_member", "ops", "bob@acme.com", "change"},
		{"remove_member", "ops", "dave@acme.com", "pending"},
	}
	if !reflect.DeepEqual(p.Changes, want) {
		t.Fatalf("changes = %+v, want %+v", p.Changes, want)
	}
	if _, code := h.run("plan", "--base", "git:no-such-ref"); code != exitError || !strings.Contains(h.stderr.String(), "--base git:no-such-ref: git show no-such-ref:./mapping.yaml") {
		t.Fatalf("bad ref: exit %d: %s", code, h.stderr.String())
	}
}
