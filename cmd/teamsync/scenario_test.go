package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
	"github.com/teamsync/teamsync/providers/google/googlesim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

var update = flag.Bool("update", false, "rewrite the expected plan.json and want-buildkite.yaml files of the scenarios")

// scenarioSpec is a scenario's scenario.yaml: what to run and what to expect
// beyond the plan and final state files.
type scenarioSpec struct {
	Description string   `yaml:"description"`
	PlanArgs    []string `yaml:"plan_args"`
	PlanExit    int      `yaml:"plan_exit"`
	ApplyArgs   []string `yaml:"apply_args"`
	ApplyExit   int      `yaml:"apply_exit"`
	// Now fixes the clock of the runs (an RFC 3339 time), for entries
	// with expires:; unset is the wall clock.
	Now string `yaml:"now"`
	// Env adds environment variables for the run.
	Env map[string]string `yaml:"env"`
	// Faults make IdP reads fail, to show what an unknown group does.
	Faults []scenarioFault `yaml:"faults"`
}

// scenarioFault fails one IdP request that a scenario makes.
type scenarioFault struct {
	Source    string `yaml:"source"` // okta or google
	Group     string `yaml:"group"`  // Okta group name or Google group email
	Page      int    `yaml:"page"`   // the member page that fails, from 1
	Status    int    `yaml:"status"`
	Malformed bool   `yaml:"malformed"`
	// EchoAuthorization answers 401 with the request's Authorization
	// header in Okta's error text, as some proxies do.
	EchoAuthorization bool `yaml:"echo_authorization"`
	// Token fails Google's token endpoint instead of a group's page,
	// answering Reason as the OAuth error.
	Token  bool   `yaml:"token"`
	Reason string `yaml:"reason"`
	// Hang makes the whole API stop answering: every request is held
	// until the client gives up (Group and Page are ignored).
	Hang bool `yaml:"hang"`
	// UsersSearch fails Okta's user search (GET /api/v1/users, how
	// offboarding looks people up) instead of a group's page, on every
	// attempt (Group and Page are ignored).
	UsersSearch bool `yaml:"users_search"`
}

// hangIf wraps h so that every request is held, unanswered, until the
// client hangs up or release is called, when any of faults hangs source.
// Register release as a cleanup after the server's Close, so it runs first
// and Close does not wait on held requests.
func hangIf(source string, faults []scenarioFault, h http.Handler) (_ http.Handler, release func()) {
	for _, f := range faults {
		if f.Source == source && f.Hang {
			held := make(chan struct{})
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-held:
				}
			}), func() { close(held) }
		}
	}
	return h, func() {}
}

// TestScenarios runs every directory under testdata/scenarios end to end:
// the real command tree against the simulators, seeded from the
// scenario's files. For each it checks the exact plan JSON, that plan sends
// no mutation, apply's exit code, the simulator's final state, and that a
// second apply right after sends no mutation.
func TestScenarios(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "scenarios", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) { runScenario(t, dir) })
	}
}

func runScenario(t *testing.T, dir string) {
	spec := scenarioSpec{PlanArgs: []string{"plan", "--format", "json"}, ApplyArgs: []string{"apply", "--format", "json"}}
	readYAML(t, filepath.Join(dir, "scenario.yaml"), &spec)
	seed, err := bksim.LoadState(filepath.Join(dir, "buildkite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sim, srv := bksimtest.Start(t, seed)
	h := newHarness(t, dir, srv.URL, spec.Faults)
	for k, v := range spec.Env {
		h.env[k] = v
	}
	if spec.Now != "" {
		if h.now, err = time.Parse(time.RFC3339, spec.Now); err != nil {
			t.Fatalf("scenario.yaml: now: %v", err)
		}
	}

	out, code := h.run(spec.PlanArgs...)
	if code != spec.PlanExit {
		t.Fatalf("plan exit = %d, want %d\nstderr:\n%s", code, spec.PlanExit, h.stderr.String())
	}
	golden(t, filepath.Join(dir, "plan.json"), out)
	if st := sim.Stats(); st.Mutations != 0 {
		t.Fatalf("plan sent %d mutations", st.Mutations)
	}

	_, code = h.run(spec.ApplyArgs...)
	if code != spec.ApplyExit {
		t.Fatalf("apply exit = %d, want %d\nstderr:\n%s", code, spec.ApplyExit, h.stderr.String())
	}
	final, err := yaml.Marshal(sim.State())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join(dir, "want-buildkite.yaml"), final)

	sim.ResetStats()
	if _, code = h.run(spec.ApplyArgs...); code != spec.ApplyExit && code != 0 {
		t.Fatalf("second apply exit = %d\nstderr:\n%s", code, h.stderr.String())
	}
	if st := sim.Stats(); st.Mutations != 0 {
		t.Fatalf("second apply sent %d mutations (%v); apply does not converge", st.Mutations, st.ByOperation)
	}
}

// harness runs the real command tree in-process against one scenario.
type harness struct {
	t      testing.TB
	config string
	env    map[string]string
	stderr bytes.Buffer
	// now, when set, is the clock of every run (expires:).
	now time.Time
}

func newHarness(t testing.TB, dir, buildkiteURL string, faults []scenarioFault) *harness {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, env: map[string]string{"BUILDKITE_API_TOKEN": "test-token"}}
	vars := []string{"{{buildkite_url}}", buildkiteURL}
	if okta := startOkta(t, dir, faults); okta != "" {
		vars = append(vars, "{{okta_url}}", okta)
		h.env["OKTA_API_TOKEN"] = scenarioOktaToken
	}
	if endpoint, key := startGoogle(t, dir, faults); endpoint != "" {
		vars = append(vars, "{{google_endpoint}}", endpoint, "{{google_credentials}}", key)
	}
	text := strings.NewReplacer(vars...).Replace(string(raw))
	h.config = filepath.Join(t.TempDir(), "mapping.yaml")
	if err := os.WriteFile(h.config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

const scenarioOktaToken = "scenario-okta-token"

// startOkta starts the Okta simulator when the scenario has okta.yaml and
// returns its URL.
func startOkta(t testing.TB, dir string, faults []scenarioFault) string {
	path := filepath.Join(dir, "okta.yaml")
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	st, err := oktasim.LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	sim := oktasim.New(st, oktasim.Options{Token: scenarioOktaToken})
	for _, f := range faults {
		if f.Source != "okta" || f.Hang {
			continue
		}
		if f.UsersSearch {
			sim.Inject(oktasim.Fault{Path: "/api/v1/users", Nth: 1, Times: 100, Status: f.Status, Malformed: f.Malformed})
			continue
		}
		id, ok := sim.GroupID(f.Group)
		if !ok {
			t.Fatalf("fault names okta group %q, which okta.yaml does not have", f.Group)
		}
		sim.Inject(oktasim.Fault{Path: "/api/v1/groups/" + id + "/users", Nth: f.Page, Times: 100, Status: f.Status, Malformed: f.Malformed, EchoAuthorization: f.EchoAuthorization})
	}
	handler, release := hangIf("okta", faults, sim)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	t.Cleanup(release)
	return srv.URL
}

// startGoogle starts the Google Directory simulator when the scenario has
// google.yaml, and returns its endpoint and a service-account key file that
// trusts it.
func startGoogle(t testing.TB, dir string, faults []scenarioFault) (endpoint, keyFile string) {
	path := filepath.Join(dir, "google.yaml")
	if _, err := os.Stat(path); err != nil {
		return "", ""
	}
	st, err := googlesim.LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := googlesim.New(st, googlesim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range faults {
		switch {
		case f.Source != "google" || f.Hang:
		case f.Token:
			sim.Inject(googlesim.Fault{Path: "/token", Status: f.Status, Reason: f.Reason})
		default:
			sim.Inject(googlesim.Fault{Path: "/admin/directory/v1/groups/" + f.Group + "/members", After: f.Page - 1, Status: f.Status})
		}
	}
	handler, release := hangIf("google", faults, sim)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	t.Cleanup(release)
	key, err := sim.WriteServiceAccountKey(t.TempDir(), srv.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL + "/", key
}

// run executes teamsync with args and returns stdout and the exit code.
func (h *harness) run(args ...string) ([]byte, int) {
	h.t.Helper()
	var stdout bytes.Buffer
	h.stderr.Reset()
	args = append(append([]string{}, args...), "--config", h.config, "--log-level", "warn")
	e := env{
		stdout: &stdout, stderr: &h.stderr,
		getenv: func(k string) string { return h.env[k] },
	}
	if !h.now.IsZero() {
		e.now = func() time.Time { return h.now }
	}
	code := run(context.Background(), args, e)
	return stdout.Bytes(), code
}

func readYAML(t testing.TB, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return
		}
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// golden compares got with the file at path, or rewrites it with -update.
// JSON files are compared as values so that the failure shows the diff
// that matters.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/teamsync -run TestScenarios -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	if strings.HasSuffix(path, ".json") {
		var g, w any
		if json.Unmarshal(got, &g) == nil && json.Unmarshal(want, &w) == nil && reflect.DeepEqual(g, w) {
			t.Fatalf("%s: same value, different bytes: the JSON rendering changed", path)
		}
	}
	t.Fatalf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
}
