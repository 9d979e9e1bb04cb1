package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// basic starts the simulator seeded like testdata/scenarios/basic and
// returns a harness on that scenario's mapping.
func basic(t *testing.T) (*bksim.Server, *harness) {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "scenarios", "basic")
	seed, err := bksim.LoadState(filepath.Join(dir, "buildkite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sim, srv := bksimtest.Start(t, seed)
	return sim, newHarness(t, dir, srv.URL, nil)
}

func TestDetailedExitCode(t *testing.T) {
	_, h := basic(t)
	if _, code := h.run("plan", "--detailed-exitcode"); code != exitChanges {
		t.Fatalf("plan --detailed-exitcode with changes: exit %d, want 2", code)
	}
	if _, code := h.run("plan"); code != exitOK {
		t.Fatalf("plan without --detailed-exitcode: exit %d, want 0", code)
	}
	if _, code := h.run("apply"); code != exitOK {
		t.Fatalf("apply: exit %d\n%s", code, h.stderr.String())
	}
	out, code := h.run("plan", "--detailed-exitcode")
	if code != exitOK {
		t.Fatalf("plan --detailed-exitcode after apply: exit %d, want 0", code)
	}
	if !strings.Contains(string(out), "No changes.") {
		t.Fatalf("plan after apply:\n%s", out)
	}
}

func TestGlobalFlagsBeforeOrAfterCommand(t *testing.T) {
	_, h := basic(t)
	var before, after bytes.Buffer
	getenv := func(k string) string { return h.env[k] }
	if code := run(context.Background(), []string{"--config", h.config, "--log-level", "error", "plan", "--format", "json"},
		env{stdout: &before, stderr: &bytes.Buffer{}, getenv: getenv}); code != 0 {
		t.Fatalf("flags before: exit %d", code)
	}
	if code := run(context.Background(), []string{"plan", "--format", "json", "--log-level", "error", "--config", h.config},
		env{stdout: &after, stderr: &bytes.Buffer{}, getenv: getenv}); code != 0 {
		t.Fatalf("flags after: exit %d", code)
	}
	if before.String() != after.String() {
		t.Fatal("the same run gave different plans with the flags placed differently")
	}
}

func TestJSONOnStdoutLogsOnStderr(t *testing.T) {
	_, h := basic(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"plan", "--format", "json", "--config", h.config, "--log-format", "json"},
		env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return h.env[k] }})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var v map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout.String())
	}
	var line map[string]any
	first, _, _ := strings.Cut(stderr.String(), "\n")
	if err := json.Unmarshal([]byte(first), &line); err != nil || line["msg"] != "run finished" {
		t.Fatalf("stderr's first line is not the JSON run summary: %q", first)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	_, h := basic(t)
	h.env["TEAMSYNC_CONFIG"] = h.config
	var stdout bytes.Buffer
	code := run(context.Background(), []string{"validate"},
		env{stdout: &stdout, stderr: &bytes.Buffer{}, getenv: func(k string) string { return h.env[k] }})
	if code != 0 || stdout.String() != h.config+": valid (1 team, 2 group entries)\n" {
		t.Fatalf("exit %d, stdout %q", code, stdout.String())
	}
}

// TestErrorsBeforeAnyRequest: bad input is reported with its place, and
// nothing is sent to Buildkite.
func TestErrorsBeforeAnyRequest(t *testing.T) {
	sim, h := basic(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("buildkite:\n  organization: acme\nteams:\n  - slug: web\n    groups:\n      - users: [a@acme.com]\n        role: owner\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad format", []string{"plan", "--format", "yaml"}, nil,
			`teamsync: --format "yaml": want text, json or markdown` + "\nRun 'teamsync plan --help' for usage."},
		{"unknown team", []string{"plan", "--team", "nope"}, nil,
			`teamsync: --team: ` + h.config + `: no team "nope"; the teams are: platform` + "\nRun 'teamsync plan --help' for usage."},
		{"missing token", []string{"apply"}, map[string]string{"BUILDKITE_API_TOKEN": ""},
			`teamsync: ` + h.config + `:1: buildkite.token_env: environment variable BUILDKITE_API_TOKEN is not set or empty`},
		{"negative allow-removals", []string{"apply", "--allow-removals", "-2"}, nil,
			"teamsync: --allow-removals must be 0 or more\nRun 'teamsync apply --help' for usage."},
		{"bad log level", []string{"plan", "--log-level", "loud"}, nil,
			`teamsync: --log-level "loud": want debug, info, warn or error` + "\nRun 'teamsync plan --help' for usage."},
		{"bad log format on validate", []string{"validate", "--log-format", "xml"}, nil,
			`teamsync: --log-format "xml": want text or json` + "\nRun 'teamsync validate --help' for usage."},
		{"negative allow-removals on plan", []string{"plan", "--allow-removals", "-1"}, nil,
			"teamsync: --allow-removals must be 0 or more\nRun 'teamsync plan --help' for usage."},
		{"unknown flag", []string{"plan", "--bogus"}, nil,
			"teamsync: unknown flag: --bogus\nRun 'teamsync plan --help' for usage."},
		{"unknown argument", []string{"plan", "extra"}, nil,
			`teamsync: unknown command "extra" for "teamsync plan"` + "\nRun 'teamsync plan --help' for usage."},
		{"a second saved plan", []string{"apply", "one.json", "two.json"}, nil,
			"teamsync: accepts at most 1 arg(s), received 2\nRun 'teamsync apply --help' for usage."},
		{"unknown command", []string{"aply"}, nil,
			"teamsync: unknown command \"aply\" for \"teamsync\"\n\nDid you mean this?\n\tapply\nRun 'teamsync --help' for usage."},
		{"invalid mapping", []string{"validate", "--config", bad}, nil,
			"teamsync: " + bad + `:7: teams[0].groups[0]: role "owner" is not one of member, maintainer`},
		{"missing mapping", []string{"validate", "--config", "/nonexistent/mapping.yaml"}, nil,
			"teamsync: read mapping file: open /nonexistent/mapping.yaml: no such file or directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				old := h.env[k]
				h.env[k] = v
				defer func() { h.env[k] = old }()
			}
			sim.ResetStats()
			args := tt.args
			if !slices.Contains(args, "--config") {
				args = append(args, "--config", h.config)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return h.env[k] }})
			out := stdout.Bytes()
			if code != exitError {
				t.Fatalf("exit %d, want 1", code)
			}
			if len(out) != 0 {
				t.Errorf("stdout not empty: %q", out)
			}
			if got := strings.TrimSpace(stderr.String()); got != tt.want {
				t.Errorf("stderr:\n%s\nwant:\n%s", got, tt.want)
			}
			if n := sim.Stats().Requests; n != 0 {
				t.Errorf("%d requests sent to Buildkite", n)
			}
		})
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, cmd := range []string{"plan", "apply", "validate", "serve", "demo", "version"} {
		var stdout bytes.Buffer
		code := run(context.Background(), []string{cmd, "--help"}, env{stdout: &stdout, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }})
		out := stdout.String()
		if code != 0 || !strings.Contains(out, "Examples:") {
			t.Errorf("teamsync %s --help: exit %d, no examples\n%s", cmd, code, out)
		}
		if (cmd == "plan" || cmd == "apply" || cmd == "validate") && !strings.Contains(out, "Exit codes") {
			t.Errorf("teamsync %s --help does not give its exit codes", cmd)
		}
		if strings.Contains(out, "(default -1)") {
			t.Errorf("teamsync %s --help shows a meaningless default:\n%s", cmd, out)
		}
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"version"}, env{stdout: &stdout, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "teamsync ") || !strings.HasPrefix(lines[1], "commit ") || !strings.HasPrefix(lines[2], "go1.") {
		t.Fatalf("version output:\n%s", stdout.String())
	}
}

// TestApplyWritesAuditLog: the CLI's apply appends one line per change and
// one per run, with trigger cli, to sync.audit_log.
func TestApplyWritesAuditLog(t *testing.T) {
	_, h := basic(t)
	trail := filepath.Join(t.TempDir(), "audit.jsonl")
	f, err := os.OpenFile(h.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("sync:\n  audit_log: " + trail + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for range 2 { // the second apply changes nothing and adds only a run line
		if _, code := h.run("apply"); code != 0 {
			t.Fatalf("apply exit %d: %s", code, h.stderr.String())
		}
	}
	raw, err := os.ReadFile(trail)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	runIDs := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if rec["trigger"] != "cli" {
			t.Errorf("trigger %v in %q", rec["trigger"], line)
		}
		runIDs[rec["run_id"].(string)] = true
		if rec["action"] != nil {
			got = append(got, fmt.Sprintf("%s %s %s", rec["action"], rec["email"], rec["status"]))
		} else {
			got = append(got, fmt.Sprintf("run %s", rec["result"]))
		}
	}
	want := []string{
		"add_member bob@acme.com applied",
		"update_role alice@acme.com applied",
		"update_role carol@acme.com applied",
		"remove_member dave@acme.com applied",
		"run success",
		"run success",
	}
	if !slices.Equal(got, want) || len(runIDs) != 2 {
		t.Fatalf("audit lines:\n%s\nrun ids %v", strings.Join(got, "\n"), runIDs)
	}
}

// TestPlanAllowRemovalsPreviewsApply: plan takes --allow-removals so that a
// reviewer sees what apply --allow-removals N would do.
func TestPlanAllowRemovalsPreviewsApply(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "scenarios", "max-removals")
	seed, err := bksim.LoadState(filepath.Join(dir, "buildkite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, srv := bksimtest.Start(t, seed)
	h := newHarness(t, dir, srv.URL, nil)
	count := func(args ...string) (changes, held int) {
		out, code := h.run(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, h.stderr.String())
		}
		var p struct{ Changes, Held []json.RawMessage }
		if err := json.Unmarshal(out, &p); err != nil {
			t.Fatal(err)
		}
		return len(p.Changes), len(p.Held)
	}
	if c, hd := count("plan", "--format", "json"); c != 2 || hd != 4 {
		t.Fatalf("plan: %d changes, %d held; want 2 and 4", c, hd)
	}
	if c, hd := count("plan", "--format", "json", "--allow-removals", "4"); c != 6 || hd != 0 {
		t.Fatalf("plan --allow-removals 4: %d changes, %d held; want 6 and 0", c, hd)
	}
}
