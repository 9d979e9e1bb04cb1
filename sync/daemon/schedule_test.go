package daemon

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
	"github.com/teamsync/teamsync/sync/config"
)

// platformSetup is an org where Okta's "Platform Engineers" feeds the
// platform team, which starts with alice only.
func platformSetup() harnessOpts {
	return harnessOpts{
		bk: bksim.State{
			Organization: "acme",
			Members:      members("alice@acme.com", "bob@acme.com", "carol@acme.com", "dave@acme.com"),
			Teams:        []bksim.Team{{Slug: "platform", Members: []bksim.TeamMember{{Email: "alice@acme.com"}}}},
		},
		okta: oktasim.State{Groups: []oktasim.Group{oktaGroup("Platform Engineers", "alice@acme.com", "bob@acme.com")}},
		teams: `  - slug: platform
    groups:
      - okta: Platform Engineers
`,
	}
}

func TestIdPChangeReachesBuildkiteOnNextTick(t *testing.T) {
	t.Parallel()
	h := start(t, platformSetup())
	h.waitRuns(1)
	if got, want := h.team("platform"), []string{"alice@acme.com:member", "bob@acme.com:member"}; !slices.Equal(got, want) {
		t.Fatalf("after the startup run platform = %v, want %v", got, want)
	}

	h.setGroup("Platform Engineers", "alice@acme.com", "carol@acme.com")
	h.tick(time.Second)
	h.waitRuns(2)

	if got, want := h.team("platform"), []string{"alice@acme.com:member", "carol@acme.com:member"}; !slices.Equal(got, want) {
		t.Errorf("after the next tick platform = %v, want %v", got, want)
	}
	var got []string
	for _, l := range h.changeLines("cron") {
		got = append(got, l.Action+" "+l.Email+" "+l.Status)
	}
	want := []string{"add_member carol@acme.com applied", "remove_member bob@acme.com applied"}
	if !slices.Equal(got, want) {
		t.Errorf("cron audit lines = %v, want %v", got, want)
	}
	runs := h.runLines()
	if len(runs) != 2 || runs[0].Trigger != "startup" || runs[1].Trigger != "cron" || runs[1].Result != "success" {
		t.Errorf("run lines = %+v, want startup then a successful cron run", runs)
	}
}

func TestUsersListEditIsReadOnTheNextTick(t *testing.T) {
	t.Parallel()
	o := platformSetup()
	h := start(t, o)
	h.waitRuns(1)

	h.writeMapping(h.mappingFile("@every 1s", o.teams+`      - users: [dave@acme.com]
        role: maintainer
`))
	h.tick(time.Second)
	h.waitRuns(2)

	want := []string{"alice@acme.com:member", "bob@acme.com:member", "dave@acme.com:maintainer"}
	if got := h.team("platform"); !slices.Equal(got, want) {
		t.Errorf("platform = %v, want %v", got, want)
	}
}

func TestOverlappingTicksAreSkipped(t *testing.T) {
	t.Parallel()
	h := start(t, platformSetup())
	h.waitRuns(1)

	gate := make(chan struct{})
	h.set(func(h *harness) { h.gate = gate })
	h.tick(time.Second) // this run blocks in Connect
	waitFor(t, "the cron run to start", func() bool { return h.metric("teamsync_reconcile_in_progress") == 1 })

	h.tick(time.Second)
	waitFor(t, "one skipped run", func() bool { return h.metric("teamsync_reconcile_skipped_total") == 1 })
	h.tick(time.Second)
	waitFor(t, "two skipped runs", func() bool { return h.metric("teamsync_reconcile_skipped_total") == 2 })

	h.set(func(h *harness) { h.gate = nil })
	close(gate)
	h.waitRuns(2)
	if got := h.metric("teamsync_reconcile_skipped_total"); got != 2 {
		t.Errorf("skipped = %v, want 2", got)
	}
	if got := len(h.runLines()); got != 2 {
		t.Errorf("audit run lines = %d, want 2 (startup, one cron)", got)
	}
}

func TestChangedScheduleIsRescheduled(t *testing.T) {
	t.Parallel()
	o := platformSetup()
	h := start(t, o)
	h.waitRuns(1)
	start := h.clk.Now()
	if got, want := h.metric("teamsync_next_run_timestamp_seconds"), float64(start.Add(time.Second).Unix()); got != want {
		t.Fatalf("next run = %v, want %v", got, want)
	}

	h.writeMapping(h.mappingFile("@every 1h", o.teams))
	h.tick(time.Second)
	h.waitRuns(2)
	want := float64(start.Add(time.Second + time.Hour).Unix())
	waitFor(t, "the next run an hour away", func() bool { return h.metric("teamsync_next_run_timestamp_seconds") == want })

	// The one-second activation is gone: a second passing starts nothing.
	h.clk.Advance(time.Second)
	h.clk.Advance(time.Hour - time.Second)
	h.waitRuns(3)
}

func TestSchedulePeriod(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 24, 9, 0, 0, 0, time.UTC) // a Tuesday
	tests := []struct {
		spec string
		want time.Duration
	}{
		{"@every 1s", time.Second},
		{"@every 15m", 15 * time.Minute},
		{"@hourly", time.Hour},
		{"*/5 * * * *", 5 * time.Minute},
		{"0 9 * * 1-5", 24 * time.Hour},
		{"0 9 * * 1,4", 96 * time.Hour}, // from Thursday to Monday
		{"", 15 * time.Minute},
		{neverFires, 0},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := parseSchedule(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.period(at); got != tt.want {
				t.Errorf("period = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := parseSchedule("every day"); err == nil {
		t.Error("parseSchedule accepted a bad spec")
	}
}

// TestRealClockSchedule runs the default clock once: a one-second schedule
// starts a cron run after the startup run, within the polling bound.
func TestRealClockSchedule(t *testing.T) {
	t.Parallel()
	o := platformSetup()
	o.noRun = true
	h := start(t, o)
	cfg := h.config()
	cfg.Now, cfg.After, cfg.Listen = nil, nil, "127.0.0.1:0"
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	waitFor(t, "a cron run on the real clock", func() bool {
		for _, l := range h.runLines() {
			if l.Trigger == "cron" {
				return true
			}
		}
		return false
	})
	cancel()
	if err := await(t, "Run to return", done); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

// neverFires is a spec robfig/cron parses but never activates: config.Load
// rejects it, so the tests reach the daemon with it through Config.Load.
const neverFires = "0 0 30 2 *"

// TestScheduleThatNeverFiresWaits: with no next activation the scheduler
// logs once and waits for a new schedule instead of firing at once for
// ever; readiness then needs only one successful run.
func TestScheduleThatNeverFiresWaits(t *testing.T) {
	t.Parallel()
	o := platformSetup()
	var force atomic.Bool
	force.Store(true)
	o.connect = func(h *harness) {
		h.load = func(path string) (*config.Mapping, error) {
			m, err := config.Load(path)
			if err == nil && force.Load() {
				m.Sync.Schedule = neverFires
			}
			return m, err
		}
	}
	h := start(t, o)
	h.waitRuns(1)
	const said = "sync.schedule never fires"
	// A spinning scheduler skips or starts runs; a waiting one says so.
	waitFor(t, "the scheduler to settle", func() bool {
		return strings.Contains(h.logs.String(), said) || h.metric("teamsync_reconcile_skipped_total") > 0 || h.runs() > 1
	})
	if got := h.metric("teamsync_reconcile_skipped_total"); got != 0 {
		t.Fatalf("skipped runs = %v, want 0", got)
	}
	if got := h.clk.Waiting(); got != 0 {
		t.Errorf("clock waiters = %d, want 0: nothing is due", got)
	}
	if got := h.metric("teamsync_next_run_timestamp_seconds"); got != 0 {
		t.Errorf("next run = %v, want 0 (none)", got)
	}
	h.clk.Advance(24 * time.Hour)
	if code, body := h.call(http.MethodGet, "/readyz", nil, nil); code != http.StatusOK {
		t.Errorf("/readyz a day after the startup run = %d %q, want 200: no period to be stale in", code, body)
	}
	if got := h.runs(); got != 1 {
		t.Fatalf("runs = %d, want only the startup run", got)
	}

	// A manual run reads a schedule that fires: the scheduler wakes.
	force.Store(false)
	if code, body := h.call(http.MethodPost, "/sync", map[string]string{"Authorization": "Bearer " + triggerToken}, nil); code != http.StatusAccepted {
		t.Fatalf("POST /sync = %d %q", code, body)
	}
	h.waitRuns(2)
	h.tick(time.Second)
	h.waitRuns(3)
	if got := strings.Count(h.logs.String(), said); got != 1 {
		t.Errorf("%q logged %d times, want once", said, got)
	}
	if runs := h.runLines(); runs[len(runs)-1].Trigger != "cron" {
		t.Errorf("last run = %+v, want a cron run", runs[len(runs)-1])
	}
}
