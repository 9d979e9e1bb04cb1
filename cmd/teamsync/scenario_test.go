package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
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
	// Env adds environment variables for the run.
	Env map[string]string `yaml:"env"`
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
	h := newHarness(t, dir, srv.URL)
	for k, v := range spec.Env {
		h.env[k] = v
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
	t      *testing.T
	config string
	env    map[string]string
	stderr bytes.Buffer
}

func newHarness(t *testing.T, dir, buildkiteURL string) *harness {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(raw), "{{buildkite_url}}", buildkiteURL)
	path := filepath.Join(t.TempDir(), "mapping.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, config: path, env: map[string]string{"BUILDKITE_API_TOKEN": "test-token"}}
}

// run executes teamsync with args and returns stdout and the exit code.
func (h *harness) run(args ...string) ([]byte, int) {
	h.t.Helper()
	var stdout bytes.Buffer
	h.stderr.Reset()
	args = append(append([]string{}, args...), "--config", h.config, "--log-level", "warn")
	code := run(context.Background(), args, env{
		stdout: &stdout, stderr: &h.stderr,
		getenv: func(k string) string { return h.env[k] },
	})
	return stdout.Bytes(), code
}

func readYAML(t *testing.T, path string, v any) {
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
