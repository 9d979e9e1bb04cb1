package daemon

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
)

// TestServeRemembersBuildkite: the startup run reads Buildkite in full;
// the next scheduled run reads the audit log and only the team a person
// changed by hand, and repairs it; POST /sync?full=true reads in full
// again. Every run line and run finished line says how Buildkite was read
// and what it cost, and the metrics count it.
func TestServeRemembersBuildkite(t *testing.T) {
	t.Parallel()
	h := start(t, platformSetup())
	h.waitRuns(1)
	want := []string{"alice@acme.com:member", "bob@acme.com:member"}
	if got := h.team("platform"); !slices.Equal(got, want) {
		t.Fatalf("after the startup run platform = %v, want %v", got, want)
	}

	if err := h.bk.ByHand("dave@acme.com").RemoveTeamMember("platform", "bob@acme.com"); err != nil {
		t.Fatal(err)
	}
	h.tick(time.Second)
	h.waitRuns(2)
	if got := h.team("platform"); !slices.Equal(got, want) {
		t.Errorf("after the scheduled run platform = %v, want bob added back: %v", got, want)
	}

	auth := map[string]string{"Authorization": "Bearer " + triggerToken}
	if code, body := h.call(http.MethodPost, "/sync?full=maybe", auth, nil); code != http.StatusBadRequest {
		t.Errorf("POST /sync?full=maybe = %d %q, want 400", code, body)
	}
	if code, body := h.call(http.MethodPost, "/sync?full=true", auth, nil); code != http.StatusAccepted {
		t.Fatalf("POST /sync?full=true = %d %q", code, body)
	}
	h.waitRuns(3)

	var modes []string
	for _, l := range h.runLines() {
		modes = append(modes, l.Trigger+":"+l.ReadMode)
		if l.Points == nil || *l.Points <= 0 {
			t.Errorf("run line %+v has no buildkite_points", l)
		}
	}
	if want := []string{"startup:full", "cron:audit", "manual:full"}; !slices.Equal(modes, want) {
		t.Errorf("run lines read %v, want %v", modes, want)
	}
	if logs := h.logs.String(); strings.Count(logs, "read_mode=audit buildkite_points=") != 1 || strings.Count(logs, "read_mode=full buildkite_points=") != 2 {
		t.Errorf("the run finished lines do not say how each run read Buildkite:\n%s", logs)
	}
	for mode, n := range map[string]float64{"full": 2, "audit": 1, "fingerprint": 0} {
		if got := h.metric("teamsync_buildkite_points", "read_mode", mode); got != n {
			t.Errorf("teamsync_buildkite_points{read_mode=%q} counts %v runs, want %v", mode, got, n)
		}
		if got := h.metric("teamsync_buildkite_teams_read", "read_mode", mode); got != n {
			t.Errorf("teamsync_buildkite_teams_read{read_mode=%q} counts %v runs, want %v", mode, got, n)
		}
	}
}

// TestScheduledRunRepairsDriftByHand: a membership added, removed or
// re-roled by hand in Buildkite is repaired by the next scheduled run,
// whether the organization has an audit log or not.
func TestScheduledRunRepairsDriftByHand(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name string
		opts bksim.Options
		want string
	}{
		{"audit log", bksim.Options{}, "audit"},
		{"fingerprints", bksim.Options{NoAuditLog: true}, "fingerprint"},
	} {
		for _, drift := range []struct {
			name string
			edit func(bksim.Hand) error
		}{
			{"added", func(h bksim.Hand) error { return h.AddTeamMember("platform", "carol@acme.com", "member") }},
			{"removed", func(h bksim.Hand) error { return h.RemoveTeamMember("platform", "bob@acme.com") }},
			{"re-roled", func(h bksim.Hand) error { return h.SetTeamRole("platform", "alice@acme.com", "maintainer") }},
		} {
			t.Run(mode.name+"/"+drift.name, func(t *testing.T) {
				t.Parallel()
				o := platformSetup()
				o.bkOpts = mode.opts
				h := start(t, o)
				h.waitRuns(1)
				want := []string{"alice@acme.com:member", "bob@acme.com:member"}
				if err := drift.edit(h.bk.ByHand("dave@acme.com")); err != nil {
					t.Fatal(err)
				}
				h.tick(time.Second)
				h.waitRuns(2)
				if got := h.team("platform"); !slices.Equal(got, want) {
					t.Errorf("after the next scheduled run platform = %v, want %v", got, want)
				}
				runs := h.runLines()
				if last := runs[len(runs)-1]; last.Trigger != "cron" || last.ReadMode != mode.want || last.Result != "success" {
					t.Errorf("the scheduled run: %+v, want a %s read that succeeded", last, mode.want)
				}
			})
		}
	}
}
