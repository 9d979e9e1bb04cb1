package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/teamsync/teamsync/sync/plan"
)

func TestTransportCountsAndHeadroom(t *testing.T) {
	tests := []struct {
		name     string
		api      string
		status   int
		header   map[string]string
		wantCode string
		wantRL   map[string]float64 // window → headroom; nil: no series
	}{
		{name: "buildkite org window", api: "buildkite", status: 200, header: map[string]string{"RateLimit-Remaining": "19950"},
			wantCode: "2xx", wantRL: map[string]float64{WindowOrg: 19950}},
		{name: "buildkite both windows", api: "buildkite", status: 200,
			header:   map[string]string{"RateLimit-Remaining": "19950", "RateLimit-User-Remaining": "4870", "RateLimit-User-Limit": "5000"},
			wantCode: "2xx", wantRL: map[string]float64{WindowOrg: 19950, WindowUser: 4870}},
		{name: "buildkite user window alone", api: "buildkite", status: 429, header: map[string]string{"RateLimit-User-Remaining": "-3"},
			wantCode: "4xx", wantRL: map[string]float64{WindowUser: -3}},
		{name: "buildkite negative headroom", api: "buildkite", status: 429, header: map[string]string{"RateLimit-Remaining": "-14"},
			wantCode: "4xx", wantRL: map[string]float64{WindowOrg: -14}},
		{name: "okta", api: "okta", status: 200, header: map[string]string{"X-Rate-Limit-Remaining": "599"},
			wantCode: "2xx", wantRL: map[string]float64{WindowOrg: 599}},
		{name: "google has no header", api: "google", status: 503, wantCode: "5xx"},
		{name: "garbage header ignored", api: "okta", status: 200, header: map[string]string{"X-Rate-Limit-Remaining": "lots"}, wantCode: "2xx"},
		{name: "garbage user header ignored, org kept", api: "buildkite", status: 200,
			header:   map[string]string{"RateLimit-Remaining": "100", "RateLimit-User-Remaining": "n/a"},
			wantCode: "2xx", wantRL: map[string]float64{WindowOrg: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			m := New()
			c := &http.Client{Transport: m.Transport(tt.api, srv.Client().Transport)}
			for range 2 {
				resp, err := c.Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if got := testutil.ToFloat64(m.apiRequests.WithLabelValues(tt.api, tt.wantCode)); got != 2 {
				t.Errorf("requests{%s,%s} = %v, want 2", tt.api, tt.wantCode, got)
			}
			if got := testutil.CollectAndCount(m.rateRemaining); got != len(tt.wantRL) {
				t.Fatalf("headroom series = %d, want %d", got, len(tt.wantRL))
			}
			for window, want := range tt.wantRL {
				if got := testutil.ToFloat64(m.rateRemaining.WithLabelValues(tt.api, window)); got != want {
					t.Errorf("headroom{%s,%s} = %v, want %v", tt.api, window, got, want)
				}
			}
		})
	}
}

// TestTransportLimitsAndPoints: the size of each window is kept beside
// its headroom, so that a share can be computed, and Buildkite's charged
// points add up over requests.
func TestTransportLimitsAndPoints(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit-Remaining", "19950")
		w.Header().Set("RateLimit-Limit", "20000")
		w.Header().Set("RateLimit-User-Remaining", "4950")
		w.Header().Set("RateLimit-User-Limit", "5000")
		w.Header().Set("RateLimit-Complexity-Actual", "25")
	}))
	defer srv.Close()
	m := New()
	if got := testutil.ToFloat64(m.points.WithLabelValues("buildkite")); got != 0 {
		t.Fatalf("points before any request = %v, want a zero series", got)
	}
	c := &http.Client{Transport: m.Transport("buildkite", srv.Client().Transport)}
	for range 3 {
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if got := testutil.ToFloat64(m.points.WithLabelValues("buildkite")); got != 75 {
		t.Errorf("points = %v, want 75", got)
	}
	for window, want := range map[string]float64{WindowOrg: 20000, WindowUser: 5000} {
		if got := testutil.ToFloat64(m.rateLimit.WithLabelValues("buildkite", window)); got != want {
			t.Errorf("limit{buildkite,%s} = %v, want %v", window, got, want)
		}
	}
}

type failingRT struct{}

func (failingRT) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("dial tcp: connection refused")
}

func TestTransportCountsTransportErrors(t *testing.T) {
	m := New()
	c := &http.Client{Transport: m.Transport("okta", failingRT{})}
	if _, err := c.Get("http://127.0.0.1:1/"); err == nil {
		t.Fatal("want an error")
	}
	if got := testutil.ToFloat64(m.apiRequests.WithLabelValues("okta", "error")); got != 1 {
		t.Errorf("requests{okta,error} = %v, want 1", got)
	}
}

func TestRunMetrics(t *testing.T) {
	m := New()
	m.RunStarted()
	if got := testutil.ToFloat64(m.inProgress); got != 1 {
		t.Errorf("in progress = %v, want 1", got)
	}
	m.Change(plan.Change{Action: plan.ActionAddMember, Status: plan.StatusApplied})
	m.Change(plan.Change{Action: plan.ActionAddMember, Status: plan.StatusApplied})
	m.Change(plan.Change{Action: plan.ActionRemoveMember, Status: plan.StatusFailed})
	m.Outcome(&plan.Plan{Held: make([]plan.Change, 3), Unplaced: make([]plan.Unplaced, 2)})
	m.SourceError("okta")
	m.RunFinished(ResultError, 1500*time.Millisecond)
	m.Succeeded(time.Unix(1700000000, 500_000_000))
	m.NextRun(time.Unix(1700000900, 0))
	m.Skipped()
	m.ReloadFailed()
	m.AuditError()

	checks := []struct {
		name string
		got  float64
		want float64
	}{
		{"in progress after finish", testutil.ToFloat64(m.inProgress), 0},
		{"error runs", testutil.ToFloat64(m.reconciles.WithLabelValues(ResultError)), 1},
		{"success runs", testutil.ToFloat64(m.reconciles.WithLabelValues(ResultSuccess)), 0},
		{"applied adds", testutil.ToFloat64(m.changes.WithLabelValues("add_member", "applied")), 2},
		{"failed removals", testutil.ToFloat64(m.changes.WithLabelValues("remove_member", "failed")), 1},
		{"held", testutil.ToFloat64(m.held), 3},
		{"unplaced", testutil.ToFloat64(m.unplaced), 2},
		{"okta errors", testutil.ToFloat64(m.sourceErrors.WithLabelValues("okta")), 1},
		{"last success", testutil.ToFloat64(m.lastSuccess), 1700000000.5},
		{"next run", testutil.ToFloat64(m.nextRun), 1700000900},
		{"skipped", testutil.ToFloat64(m.skipped), 1},
		{"reload failures", testutil.ToFloat64(m.reloadFailures), 1},
		{"audit errors", testutil.ToFloat64(m.auditErrors), 1},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

// TestReadMetrics: each run's points and teams read go under its read
// mode; a run that never read is not counted.
func TestReadMetrics(t *testing.T) {
	m := New()
	m.Read("full", 80000, 250)
	m.Read("audit", 11, 0)
	m.Read("audit", 340, 1)
	m.Read("", 0, 0)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`teamsync_buildkite_points_sum{read_mode="full"} 80000`,
		`teamsync_buildkite_points_count{read_mode="audit"} 2`,
		`teamsync_buildkite_points_sum{read_mode="audit"} 351`,
		`teamsync_buildkite_points_bucket{read_mode="audit",le="50"} 1`,
		`teamsync_buildkite_teams_read_sum{read_mode="full"} 250`,
		`teamsync_buildkite_teams_read_bucket{read_mode="audit",le="0"} 1`,
		`teamsync_buildkite_points_count{read_mode="fingerprint"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func TestExpositionHasEverySeriesFromTheStart(t *testing.T) {
	m := New()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`teamsync_reconcile_total{result="success"} 0`,
		`teamsync_reconcile_total{result="held"} 0`,
		`teamsync_reconcile_total{result="error"} 0`,
		`teamsync_source_errors_total{source="buildkite"} 0`,
		`teamsync_changes_total{action="invite",status="failed"} 0`,
		`teamsync_reconcile_skipped_total 0`,
		`teamsync_config_reload_failures_total 0`,
		`teamsync_audit_log_errors_total 0`,
		`teamsync_reconcile_duration_seconds_count 0`,
		`teamsync_buildkite_points_count{read_mode="audit"} 0`,
		`teamsync_buildkite_teams_read_count{read_mode="fingerprint"} 0`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func TestNextRunNever(t *testing.T) {
	m := New()
	m.NextRun(time.Unix(1700000900, 0))
	m.NextRun(time.Time{}) // a schedule that never fires
	if got := testutil.ToFloat64(m.nextRun); got != 0 {
		t.Errorf("next run after the zero time = %v, want 0", got)
	}
}

// TestRegistriesAreIndependent: two Metrics share nothing, and neither
// touches the process-wide default registry that other libraries use.
func TestRegistriesAreIndependent(t *testing.T) {
	a, b := New(), New()
	a.Skipped()
	a.RunStarted()
	a.RunFinished(ResultSuccess, time.Second)
	a.Change(plan.Change{Action: plan.ActionAddMember, Status: plan.StatusApplied})
	a.SourceError("okta")
	a.ReloadFailed()
	a.AuditError()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit-Remaining", "10")
		w.Header().Set("RateLimit-User-Remaining", "5")
	}))
	defer srv.Close()
	resp, err := (&http.Client{Transport: a.Transport("buildkite", srv.Client().Transport)}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	if got := testutil.ToFloat64(b.skipped); got != 0 {
		t.Errorf("second registry saw the first's count: %v", got)
	}
	if got := testutil.CollectAndCount(b.rateRemaining); got != 0 {
		t.Errorf("second registry has %d headroom series, want 0", got)
	}
	fams, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if strings.HasPrefix(f.GetName(), "teamsync_") {
			t.Errorf("the default registry has %s", f.GetName())
		}
	}
	// The check above must be able to fail: a teamsync_ series registered
	// in the default registry would be seen.
	probe := prometheus.NewCounter(prometheus.CounterOpts{Name: "teamsync_probe_total", Help: "test probe"})
	prometheus.MustRegister(probe)
	defer prometheus.Unregister(probe)
	fams, err = prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := false
	for _, f := range fams {
		seen = seen || f.GetName() == "teamsync_probe_total"
	}
	if !seen {
		t.Error("the default gatherer does not show a series registered in the default registry")
	}
}

// TestOutcomeByGuardAndAction: a full run's plan sets the held gauge per
// guard (every guard present, zero included) and the planned gauge per
// action, each run replacing the last.
func TestOutcomeByGuardAndAction(t *testing.T) {
	m := New()
	held := func(g string) plan.Change { return plan.Change{Action: plan.ActionRemoveMember, Guard: g} }
	m.Outcome(&plan.Plan{
		Changes: []plan.Change{{Action: plan.ActionAddMember}, {Action: plan.ActionAddMember}, {Action: plan.ActionInvite}},
		Held:    []plan.Change{held(plan.GuardObserve), held(plan.GuardMaxRemovals), held(plan.GuardMaxRemovals)},
	})
	m.Outcome(&plan.Plan{
		Changes: []plan.Change{{Action: plan.ActionAddMember}},
		Held:    []plan.Change{held(plan.GuardMaxRemovals), held(plan.GuardMaxRemovals)},
	})
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"held by max_removals", testutil.ToFloat64(m.heldByGuard.WithLabelValues(plan.GuardMaxRemovals)), 2},
		{"held by observe, gone", testutil.ToFloat64(m.heldByGuard.WithLabelValues(plan.GuardObserve)), 0},
		{"planned adds", testutil.ToFloat64(m.planned.WithLabelValues(string(plan.ActionAddMember))), 1},
		{"planned invites, gone", testutil.ToFloat64(m.planned.WithLabelValues(string(plan.ActionInvite))), 0},
		{"guard series", float64(testutil.CollectAndCount(m.heldByGuard)), 7},
		{"action series", float64(testutil.CollectAndCount(m.planned)), 7},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}
