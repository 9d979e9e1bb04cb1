package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// reviewNow is the clock of the review fixture's runs and of its
// simulated Buildkite, so that every createdAt in the goldens is fixed.
var reviewNow = time.Date(2026, time.December, 5, 12, 0, 0, 0, time.UTC)

// TestReviewCommands runs report (all three formats, and --team) and
// explain (text and JSON) through the real command tree against the
// simulators seeded from testdata/review, and compares each output with
// its golden file (go test -update rewrites them). Neither command
// writes to Buildkite.
func TestReviewCommands(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "review")
	seed, err := bksim.LoadState(filepath.Join(dir, "buildkite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sim, srv := bksimtest.StartWith(t, seed, bksim.Options{Now: func() time.Time { return reviewNow }})
	h := newHarness(t, dir, srv.URL, nil)
	h.now = reviewNow
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"report.md", []string{"report"}},
		{"report.csv", []string{"report", "--format", "csv"}},
		{"report.json", []string{"report", "--format", "json"}},
		{"report-docs.md", []string{"report", "--team", "docs"}},
		{"explain-alice.txt", []string{"explain", "Alice@ACME.com"}},
		{"explain-alice.json", []string{"explain", "alice@acme.com", "--format", "json"}},
		{"explain-bob.txt", []string{"explain", "bob@corp.acme.com"}},
		{"explain-newbie.txt", []string{"explain", "newbie@acme.com"}},
		{"explain-olga.txt", []string{"explain", "olga@acme.com"}},
		{"explain-stranger.txt", []string{"explain", "stranger@acme.com"}},
	} {
		t.Run(c.golden, func(t *testing.T) {
			out, code := h.run(c.args...)
			if code != 0 {
				t.Fatalf("%v: exit %d\nstderr:\n%s", c.args, code, h.stderr.String())
			}
			golden(t, filepath.Join(dir, c.golden), out)
		})
	}
	if st := sim.Stats(); st.Mutations != 0 {
		t.Fatalf("report and explain sent %d mutations", st.Mutations)
	}
}

// TestReviewCommandsRefuseBadInput: a bad format or argument is a usage
// error before anything is read.
func TestReviewCommandsRefuseBadInput(t *testing.T) {
	h := newHarness(t, filepath.Join("..", "..", "testdata", "review"), "http://127.0.0.1:1", nil)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--format", "text"}, "teamsync: --format \"text\": want markdown, csv or json\nRun 'teamsync report --help' for usage.\n"},
		{[]string{"explain", "alice@acme.com", "--format", "markdown"}, "teamsync: --format \"markdown\": want text or json\nRun 'teamsync explain --help' for usage.\n"},
		{[]string{"explain", "alice"}, "teamsync: \"alice\" is not an email address\nRun 'teamsync explain --help' for usage.\n"},
		{[]string{"explain"}, "teamsync: explain needs one EMAIL: teamsync explain alice@acme.com\nRun 'teamsync explain --help' for usage.\n"},
		{[]string{"explain", "a@acme.com", "b@acme.com"}, "teamsync: explain takes one EMAIL, got 2 arguments: a@acme.com b@acme.com\nRun 'teamsync explain --help' for usage.\n"},
		{[]string{"report", "--team", "nope"}, ""},
	} {
		_, code := h.run(c.args...)
		if code != exitError {
			t.Fatalf("%v: exit %d, want 1\nstderr:\n%s", c.args, code, h.stderr.String())
		}
		if c.want != "" && h.stderr.String() != c.want {
			t.Fatalf("%v: stderr %q, want %q", c.args, h.stderr.String(), c.want)
		}
	}
}
