package main

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// TestGoogleRejectionNamesTheKeyFile: a 401 from the Directory API fails
// the run with one line naming the key file, not an error per group.
func TestGoogleRejectionNamesTheKeyFile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault scenarioFault
		how   string
	}{
		{"directory 401", scenarioFault{Source: "google", Group: "platform-leads@acme.com", Page: 1, Status: 401}, "HTTP 401"},
		{"token endpoint", scenarioFault{Source: "google", Token: true, Status: 401, Reason: "unauthorized_client"}, "unauthorized_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "testdata", "scenarios", "okta-and-google")
			seed, err := bksim.LoadState(filepath.Join(dir, "buildkite.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			_, srv := bksimtest.Start(t, seed)
			h := newHarness(t, dir, srv.URL, []scenarioFault{tc.fault})
			out, code := h.run("plan")
			want := regexp.MustCompile(`\nteamsync: google\.credentials_file \S+\.json was rejected \(` + regexp.QuoteMeta(tc.how) + `\)\n$`)
			if code != exitError || len(out) != 0 || !want.MatchString("\n"+h.stderr.String()) {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, h.stderr.String())
			}
		})
	}
}
