package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// ciStubs puts fake teamsync and buildkite-agent commands on PATH in a
// fresh directory: teamsync prints markdown, an error on stderr, and exits
// with $FAKE_CODE; buildkite-agent appends its arguments and stdin to
// agent.log, and answers meta-data get with $FAKE_META.
func ciStubs(t *testing.T) (dir string, env []string) {
	t.Helper()
	dir = t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	stubs := map[string]string{
		"teamsync": `#!/bin/sh
echo "teamsync $*" >>calls.log
echo "### teamsync plan for acme"
echo "a plan error for the test" >&2
exit "$FAKE_CODE"
`,
		"buildkite-agent": `#!/bin/sh
{ echo "agent $*"; case "$1" in annotate|pipeline) cat;; esac; } >>agent.log
[ "$1 $2" = "meta-data get" ] && printf '%s' "$FAKE_META"
exit 0
`,
	}
	for name, body := range stubs {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "BUILDKITE_JOB_ID=job-1")
}

func runCI(t *testing.T, code, meta string, args ...string) (exit int, calls, agent string) {
	t.Helper()
	dir, env := ciStubs(t)
	script, err := filepath.Abs(filepath.Join("buildkite", "teamsync-ci.sh"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, args...)
	cmd.Dir, cmd.Env = dir, append(env, "FAKE_CODE="+code, "FAKE_META="+meta)
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		exit = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return string(b)
	}
	return exit, read("calls.log"), read("agent.log")
}

// TestBuildkitePipelineScript drives deploy/buildkite/teamsync-ci.sh with
// stand-ins for teamsync and buildkite-agent.
func TestBuildkitePipelineScript(t *testing.T) {
	t.Run("nothing pending: annotate, no block", func(t *testing.T) {
		exit, _, agent := runCI(t, "0", "", "plan")
		if exit != 0 || !strings.Contains(agent, "annotate --context teamsync-plan --style success") || strings.Contains(agent, "pipeline upload") {
			t.Fatalf("exit %d\n%s", exit, agent)
		}
	})
	t.Run("changes pending: artifact, block and apply of the saved plan", func(t *testing.T) {
		exit, calls, agent := runCI(t, "2", "", "plan")
		if exit != 0 || !strings.Contains(calls, "teamsync plan --format markdown --detailed-exitcode --out plan.json\n") {
			t.Fatalf("exit %d\n%s", exit, calls)
		}
		for _, want := range []string{"--style info", "artifact upload plan.json", "pipeline upload", `block: ":rocket: apply the plan in the annotation?"`,
			`key: "allow-removals-job-1"`, "command: .buildkite/teamsync-ci.sh apply job-1", "concurrency_group: teamsync-apply"} {
			if !strings.Contains(agent, want) {
				t.Errorf("agent calls lack %q:\n%s", want, agent)
			}
		}
		upload := agent[strings.Index(agent, "steps:"):]
		var steps struct{ Steps []map[string]any }
		if err := yaml.Unmarshal([]byte(upload), &steps); err != nil || len(steps.Steps) != 2 {
			t.Fatalf("uploaded steps do not parse as two steps: %v\n%s", err, upload)
		}
	})
	t.Run("plan fails: an error annotation with the error", func(t *testing.T) {
		exit, _, agent := runCI(t, "1", "", "plan")
		if exit != 1 || !strings.Contains(agent, "--style error") || !strings.Contains(agent, "a plan error for the test") || strings.Contains(agent, "pipeline upload") {
			t.Fatalf("exit %d\n%s", exit, agent)
		}
	})
	t.Run("apply applies the saved plan", func(t *testing.T) {
		exit, calls, agent := runCI(t, "0", "", "apply", "job-1")
		if exit != 0 || calls != "teamsync apply plan.json --format markdown\n" || !strings.Contains(agent, "artifact download plan.json . --step job-1") {
			t.Fatalf("exit %d\n%s\n%s", exit, calls, agent)
		}
	})
	t.Run("apply with allow-removals plans again and asks again", func(t *testing.T) {
		exit, calls, agent := runCI(t, "2", "7", "apply", "job-1")
		if exit != 0 || calls != "teamsync plan --format markdown --detailed-exitcode --out plan.json --allow-removals 7\n" || !strings.Contains(agent, "block:") {
			t.Fatalf("exit %d\n%s\n%s", exit, calls, agent)
		}
	})
	t.Run("apply exit codes pass through", func(t *testing.T) {
		if exit, _, agent := runCI(t, "3", "", "apply", "job-1"); exit != 3 || !strings.Contains(agent, "--style warning") {
			t.Fatalf("exit %d\n%s", exit, agent)
		}
	})
}

// TestCIWorkflowsParse: the pipeline and the GitHub workflow are YAML, and
// the steps that hold secrets are kept from forks.
func TestCIWorkflowsParse(t *testing.T) {
	for _, path := range []string{"buildkite/pipeline.yml", "github/teamsync.yml"} {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := yaml.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	raw, _ := os.ReadFile("buildkite/pipeline.yml")
	if !strings.Contains(string(raw), "if: build.branch == pipeline.default_branch && build.pull_request.repository.fork != true") {
		t.Error("pipeline.yml: the plan step is not kept from forks and other branches")
	}
	raw, _ = os.ReadFile("github/teamsync.yml")
	if !strings.Contains(string(raw), "github.event.pull_request.head.repo.full_name == github.repository") {
		t.Error("teamsync.yml: the pull-request plan is not kept from forks")
	}
	// An expression inside run: is pasted into the script before the shell
	// parses it (a branch name is the attacker's): contexts go through env.
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string
				Run  string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	runs := 0
	for name, job := range wf.Jobs {
		for _, st := range job.Steps {
			if st.Run != "" {
				runs++
			}
			if strings.Contains(st.Run, "${{") {
				t.Errorf("teamsync.yml: job %s, step %q: ${{ }} inside run:; pass it through env:", name, st.Name)
			}
		}
	}
	if runs < 3 {
		t.Errorf("teamsync.yml: found %d run: scripts, want the 3 or more the workflow has", runs)
	}
}
