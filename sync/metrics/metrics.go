// Package metrics owns teamsync's Prometheus metrics: one registry per
// process (never the global default), the instruments the daemon updates
// after each run, and an http.RoundTripper that counts API requests and
// records rate-limit headroom. Metric names are documented in
// docs/operations.md.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/plan"
)

// Run results, the values of the result label: the audit log's words. A
// run the audit log calls cancelled counts as ResultError here.
const (
	ResultSuccess = audit.ResultSuccess
	ResultError   = audit.ResultError
	ResultHeld    = audit.ResultHeld
)

// SourceBuildkite is the source label for failed Buildkite reads; the other
// sources use the providers.Source* names.
const SourceBuildkite = "buildkite"

// Metrics holds every teamsync metric and the registry they live in.
type Metrics struct {
	registry *prometheus.Registry

	reconciles     *prometheus.CounterVec
	duration       prometheus.Histogram
	lastSuccess    prometheus.Gauge
	nextRun        prometheus.Gauge
	skipped        prometheus.Counter
	changes        *prometheus.CounterVec
	held           prometheus.Gauge
	heldByGuard    *prometheus.GaugeVec
	planned        *prometheus.GaugeVec
	dryRun         prometheus.Gauge
	unplaced       prometheus.Gauge
	sourceErrors   *prometheus.CounterVec
	apiRequests    *prometheus.CounterVec
	rateRemaining  *prometheus.GaugeVec
	rateLimit      *prometheus.GaugeVec
	points         *prometheus.CounterVec
	reloadFailures prometheus.Counter
	auditErrors    prometheus.Counter
	inProgress     prometheus.Gauge
	runPoints      *prometheus.HistogramVec
	teamsRead      *prometheus.HistogramVec
}

// Read modes, the values of the read_mode label: how a run read
// Buildkite (reconcile.ReadFull, ReadAudit, ReadFingerprint).
var readModes = []string{"full", "audit", "fingerprint"}

// New creates the metrics in a fresh registry, with the Go runtime and
// process collectors beside them. Every label value known in advance starts
// at zero so that dashboards and alerts see the series before the first
// event.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "teamsync_reconcile_total",
			Help: "Reconcile runs by result: success, held (a guard held changes back) or error.",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "teamsync_reconcile_duration_seconds",
			Help:    "Wall time of reconcile runs, reads and writes included.",
			Buckets: []float64{0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800},
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "teamsync_last_success_timestamp_seconds",
			Help: "Unix time at which the last full reconcile finished without error (success or held).",
		}),
		nextRun: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "teamsync_next_run_timestamp_seconds",
			Help: "Unix time of the next scheduled reconcile.",
		}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "teamsync_reconcile_skipped_total",
			Help: "Scheduled reconciles skipped because another run was still going.",
		}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "teamsync_changes_total",
			Help: "Changes attempted, by action and status (applied or failed).",
		}, []string{"action", "status"}),
		held: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "teamsync_held_changes",
			Help: "Changes a guard or observe policy held back in the last full run.",
		}),
		heldByGuard: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "teamsync_held_changes_by_guard",
			Help: "Changes held back in the last full run, by guard: observe (a team's policy, held by design) or a safety guard that needs a human.",
		}, []string{"guard"}),
		planned: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "teamsync_planned_changes",
			Help: "Changes the last full run planned to write, by action, after the guards: what a dry run would do, or what a run attempted.",
		}, []string{"action"}),
		dryRun: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "teamsync_dry_run",
			Help: "1 when the daemon runs with --dry-run or sync.dry_run: it plans on schedule and writes nothing.",
		}),
		unplaced: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "teamsync_unplaced_users",
			Help: "Desired team memberships that could not be placed in the last full run.",
		}),
		sourceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "teamsync_source_errors_total",
			Help: "Failed reads by source: okta, google, users or buildkite.",
		}, []string{"source"}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "teamsync_api_requests_total",
			Help: "HTTP requests to the APIs by api and status class (2xx, 3xx, 4xx, 5xx, or error when no response came).",
		}, []string{"api", "code"}),
		rateRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "teamsync_api_ratelimit_remaining",
			Help: "Last seen rate-limit headroom per api and window: org (RateLimit-Remaining, X-Rate-Limit-Remaining) or user (RateLimit-User-Remaining); can be negative.",
		}, []string{"api", "window"}),
		rateLimit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "teamsync_api_ratelimit_limit",
			Help: "Last seen size of each rate-limit window per api and window: org (RateLimit-Limit, X-Rate-Limit-Limit) or user (RateLimit-User-Limit); remaining / limit is the share left.",
		}, []string{"api", "window"}),
		points: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "teamsync_api_points_total",
			Help: "Complexity points the API charged (Buildkite's RateLimit-Complexity-Actual), retries included.",
		}, []string{"api"}),
		reloadFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "teamsync_config_reload_failures_total",
			Help: "Re-reads of the mapping file that failed validation; the last good mapping stayed in force.",
		}),
		auditErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "teamsync_audit_log_errors_total",
			Help: "Audit log files that could not be opened and audit records that could not be written.",
		}),
		inProgress: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "teamsync_reconcile_in_progress",
			Help: "1 while a reconcile is running.",
		}),
		runPoints: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "teamsync_buildkite_points",
			Help:    "Complexity points Buildkite charged each run (reads and writes), by how the run read Buildkite: full, audit or fingerprint.",
			Buckets: []float64{10, 50, 200, 1000, 2500, 5000, 10000, 20000, 50000, 100000, 200000},
		}, []string{"read_mode"}),
		teamsRead: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "teamsync_buildkite_teams_read",
			Help:    "Managed teams each run read in full from Buildkite (all of them in a full read; those that may have changed otherwise), by read mode.",
			Buckets: []float64{0, 1, 2, 5, 10, 25, 50, 100, 250},
		}, []string{"read_mode"}),
	}
	m.registry.MustRegister(
		m.reconciles, m.duration, m.lastSuccess, m.nextRun, m.skipped, m.changes,
		m.held, m.heldByGuard, m.planned, m.dryRun, m.unplaced, m.sourceErrors, m.apiRequests, m.rateRemaining, m.rateLimit, m.points,
		m.reloadFailures, m.auditErrors, m.inProgress, m.runPoints, m.teamsRead,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for _, r := range []string{ResultSuccess, ResultError, ResultHeld} {
		m.reconciles.WithLabelValues(r)
	}
	for _, mode := range readModes {
		m.runPoints.WithLabelValues(mode)
		m.teamsRead.WithLabelValues(mode)
	}
	for _, s := range []string{providers.SourceOkta, providers.SourceGoogle, providers.SourceUsers, SourceBuildkite} {
		m.sourceErrors.WithLabelValues(s)
	}
	m.points.WithLabelValues(SourceBuildkite) // the one API that charges points
	for _, g := range guards() {
		m.heldByGuard.WithLabelValues(g)
	}
	for _, a := range actions() {
		for _, s := range []plan.Status{plan.StatusApplied, plan.StatusFailed} {
			m.changes.WithLabelValues(string(a), string(s))
		}
		m.planned.WithLabelValues(string(a))
	}
	return m
}

// Registry is the registry the metrics live in, for a scrape handler or a
// test's Gather.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// RunStarted marks a reconcile as running.
func (m *Metrics) RunStarted() { m.inProgress.Set(1) }

// RunFinished counts a finished reconcile by result (ResultSuccess,
// ResultHeld or ResultError) and observes its duration.
func (m *Metrics) RunFinished(result string, d time.Duration) {
	m.inProgress.Set(0)
	m.reconciles.WithLabelValues(result).Inc()
	m.duration.Observe(d.Seconds())
}

// Read records what a run cost on Buildkite: how it read it (full, audit
// or fingerprint), the points Buildkite charged it and how many managed
// teams it read in full. A run that never got to read (mode "") is not
// recorded.
func (m *Metrics) Read(mode string, points, teamsRead int) {
	if mode == "" {
		return
	}
	m.runPoints.WithLabelValues(mode).Observe(float64(points))
	m.teamsRead.WithLabelValues(mode).Observe(float64(teamsRead))
}

// Succeeded records when the last full reconcile finished without error.
func (m *Metrics) Succeeded(at time.Time) { m.lastSuccess.Set(unix(at)) }

// NextRun records when the next scheduled reconcile is due. The zero time
// means none is (a schedule that never fires) and reads 0.
func (m *Metrics) NextRun(at time.Time) {
	if at.IsZero() {
		m.nextRun.Set(0)
		return
	}
	m.nextRun.Set(unix(at))
}

// Skipped counts a scheduled reconcile that did not start because another
// was running.
func (m *Metrics) Skipped() { m.skipped.Inc() }

// Change counts one attempted change by its action and status. Changes a
// cancelled run never attempted are not passed here (the applier does not
// report them), so "failed" means a write that Buildkite refused or that
// broke.
func (m *Metrics) Change(c plan.Change) {
	m.changes.WithLabelValues(string(c.Action), string(c.Status)).Inc()
}

// Outcome sets the held, planned and unplaced gauges from a full run's
// plan.
func (m *Metrics) Outcome(p *plan.Plan) {
	m.held.Set(float64(len(p.Held)))
	m.unplaced.Set(float64(len(p.Unplaced)))
	n := map[plan.Action]int{}
	for _, c := range p.Changes {
		n[c.Action]++
	}
	for _, a := range actions() {
		m.planned.WithLabelValues(string(a)).Set(float64(n[a]))
	}
	byGuard := map[string]int{}
	for _, c := range p.Held {
		byGuard[c.Guard]++
	}
	for _, g := range guards() {
		m.heldByGuard.WithLabelValues(g).Set(float64(byGuard[g]))
	}
}

// guards are the values of the guard label, all present from the start.
func guards() []string {
	return []string{plan.GuardObserve, plan.GuardUnknownSource, plan.GuardEmptyGroup, plan.GuardMaxRemovalPercent, plan.GuardMaxRemovals,
		plan.GuardUnknownPerson, plan.GuardStillGranted}
}

// actions are the values of the action label, all present from the start.
func actions() []plan.Action {
	return []plan.Action{plan.ActionCreateTeam, plan.ActionAddMember, plan.ActionUpdateRole, plan.ActionRemoveMember, plan.ActionInvite,
		plan.ActionRemoveOrgMember, plan.ActionRevokeInvitation}
}

// DryRun records whether the daemon plans without writing.
func (m *Metrics) DryRun(on bool) {
	if on {
		m.dryRun.Set(1)
		return
	}
	m.dryRun.Set(0)
}

// SourceError counts one failed read of a source (providers.SourceOkta, …,
// or SourceBuildkite).
func (m *Metrics) SourceError(source string) { m.sourceErrors.WithLabelValues(source).Inc() }

// ReloadFailed counts a mapping re-read that failed validation.
func (m *Metrics) ReloadFailed() { m.reloadFailures.Inc() }

// AuditError counts an audit log that could not be opened or a record that
// could not be written.
func (m *Metrics) AuditError() { m.auditErrors.Inc() }

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
