package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
)

// TestEchoedCredentialsNeverReachOutput: an Okta or Buildkite answer that
// echoes the request's Authorization header (as some proxies and WAFs do)
// must not put the token in plan output of any format, in validate's
// report, or in the logs, even at debug level.
func TestEchoedCredentialsNeverReachOutput(t *testing.T) {
	dir, sim, url := startWebOrg(t, webOktaMapping(""))
	h := newHarness(t, dir, url, []scenarioFault{{Source: "okta", Group: "Web", EchoAuthorization: true}})
	secrets := []string{scenarioOktaToken, h.env["BUILDKITE_API_TOKEN"]}
	run := func(args ...string) (stdout, stderr string, code int) {
		var out, errs bytes.Buffer
		args = append(args, "--config", h.config, "--log-level", "debug")
		code = run(context.Background(), args, env{stdout: &out, stderr: &errs, getenv: func(k string) string { return h.env[k] }})
		return out.String(), errs.String(), code
	}
	noSecret := func(what, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the credential %q:\n%s", what, s, text)
			}
		}
	}

	// Okta echoing the token in its 401 fails the run with one line that
	// names the variable to fix; the echo reaches no output or log.
	const rejected = "teamsync: OKTA_API_TOKEN was rejected (E0000011)\n"
	for _, format := range []string{"text", "json", "markdown"} {
		stdout, stderr, code := run("plan", "--format", format)
		if code != exitError {
			t.Fatalf("plan --format %s: exit %d, want 1 (the group read failed)\n%s", format, code, stderr)
		}
		noSecret("plan --format "+format+" stdout", stdout)
		noSecret("plan --format "+format+" stderr", stderr)
		if stdout != "" || !strings.HasSuffix(stderr, rejected) {
			t.Errorf("plan --format %s: stdout %q, stderr does not end %q:\n%s", format, stdout, rejected, stderr)
		}
	}
	_, stderr, code := run("validate", "--online")
	if code != exitError || !strings.HasSuffix(stderr, rejected) {
		t.Errorf("validate --online: exit %d\n%s", code, stderr)
	}
	noSecret("validate --online", stderr)

	// Buildkite echoing its bearer token fails the token check, whose
	// error names the variable to fix, not what Buildkite said.
	sim.Inject(bksim.Fault{Status: 401, EchoAuthorization: true, Times: 100})
	stdout, stderr, code := run("plan", "--format", "json")
	if code != exitError || stderr != "teamsync: connect: BUILDKITE_API_TOKEN was rejected (HTTP 401)\n" {
		t.Errorf("plan with Buildkite echoing: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	noSecret("plan stdout", stdout)
	noSecret("plan stderr", stderr)
}
