// Package daemon is `teamsync serve`: it runs a full reconcile at start and
// on the mapping's cron schedule, never two at once, re-reading the mapping
// and the secrets at every run; it serves /metrics, /healthz, /readyz, a
// token-guarded POST /sync and the Okta Event Hook at /hooks/okta, which
// turns membership events into a debounced reconcile of the affected teams;
// and it writes the audit log. It keeps what each run read of Buildkite
// (sync/memory), so that between full reads a run re-reads only the teams
// that may have changed. It reads no flags, and the environment only
// through Config.Getenv: cmd/ passes everything in Config.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/memory"
	"github.com/teamsync/teamsync/sync/metrics"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// Defaults for the Config fields left zero.
const (
	DefaultListen          = ":9090"
	DefaultDebounce        = 5 * time.Second
	DefaultShutdownTimeout = 10 * time.Second
)

// Config is what the daemon needs; cmd/ builds it from flags and the
// environment.
type Config struct {
	// ConfigPath is the mapping file, re-read at every run.
	ConfigPath string
	// Load reads and validates the mapping (nil: config.Load).
	Load func(path string) (*config.Mapping, error)
	// Connect builds the API clients for a run, resolving the secrets as
	// they are at that moment. Required.
	Connect reconcile.Connector
	// Listen is the HTTP address (default DefaultListen).
	Listen string
	// Listener, when set, is used instead of listening on Listen (tests,
	// socket activation). Run closes it.
	Listener net.Listener
	// Getenv looks up the endpoints' secrets at every request, so a
	// rotated value takes effect at once: TriggerTokenEnv, the bearer
	// token POST /sync requires, and OktaHookSecretEnv, the Authorization
	// value Okta sends to /hooks/okta. An endpoint whose secret is empty
	// refuses every request; nil closes both.
	Getenv func(string) string
	// Secrets, when set, learns every endpoint secret read, so that logs
	// and errors redact it.
	Secrets *httpx.Secrets
	// Debounce is how long an Okta membership event waits for others
	// before its reconcile starts (default DefaultDebounce).
	Debounce time.Duration
	// ShutdownTimeout bounds how long open HTTP requests may take once
	// the daemon stops (default DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// Logger receives the daemon's logs (nil: discarded).
	Logger *slog.Logger
	// Metrics are updated by the daemon and served on /metrics (nil: a
	// fresh set). Pass the same value whose Transport wraps the clients.
	Metrics *metrics.Metrics
	// DryRun makes every run plan on schedule and write nothing: what it
	// would do goes to the logs, the metrics and GET /plan. cmd/ decides
	// it once, at start (serve --dry-run, sync.dry_run); a re-read
	// mapping does not change it.
	DryRun bool
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// After waits on the clock for the schedule and the debounce (nil:
	// time.After). Tests pass a fake clock's.
	After func(d time.Duration) <-chan time.Time

	// openAudit opens sync.audit_log (nil: audit.Open); this package's
	// tests replace it to hold an open in progress.
	openAudit func(path string, now func() time.Time) (*audit.Log, error)
}

// daemon is one running serve.
type daemon struct {
	cfg   Config
	log   *slog.Logger
	met   *metrics.Metrics
	now   func() time.Time
	after func(time.Duration) <-chan time.Time

	// resched wakes the scheduler when a re-read mapping changed the
	// schedule.
	resched chan struct{}
	// tasks counts the goroutines Run must wait for: runs and debounce
	// waits. Add is only called under mu while !stopping.
	tasks sync.WaitGroup

	mu        sync.Mutex
	stopping  bool
	running   bool
	mapping   *config.Mapping // the last one that validated
	sched     schedule
	audit     *audit.Log
	auditPath string
	lastOK    time.Time // end of the last full run without error
	// lastOffboard is the start of the last run that judged the whole
	// organization (see offboarding).
	lastOffboard time.Time
	// offboardFailures counts the judging runs in a row that could not
	// judge everyone, for the wait before the next try.
	offboardFailures int
	// orgHeld are the organization changes the last judging run held,
	// which the metrics keep counting until the next one.
	orgHeld  []plan.Change
	hook     hookState
	lastPlan *plan.Plan // of the last full run, for GET /plan
	runs     runLog     // for GET /runs/{id}

	// mem is what runs read of Buildkite, kept for the next run.
	mem *memory.Memory
}

// Run serves until ctx is cancelled, then stops the schedule, stops
// accepting HTTP requests, lets the run in flight finish the change it is
// writing (the rest are not attempted, so they get no audit line) and
// write its audit summary (result cancelled when the run was cut short),
// and returns nil. It returns an error at once when the mapping does not
// load at start, the audit log cannot be opened or the address cannot be
// listened on, and later only if the HTTP server fails.
func Run(ctx context.Context, cfg Config) error {
	d, err := newDaemon(cfg)
	if err != nil {
		if cfg.Listener != nil {
			_ = cfg.Listener.Close()
		}
		return err
	}
	ln := cfg.Listener
	if ln == nil {
		ln, err = net.Listen("tcp", d.cfg.Listen)
		if err != nil {
			_ = d.audit.Close()
			return fmt.Errorf("daemon: %w", err)
		}
	}
	runCtx, stopRuns := context.WithCancel(ctx)
	defer stopRuns()

	srv := &http.Server{
		Handler:           d.handler(runCtx),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	d.met.DryRun(d.cfg.DryRun)
	d.log.Info("serving", "addr", ln.Addr().String(), "schedule", d.sched.spec, "dry_run", d.cfg.DryRun)
	if d.cfg.DryRun {
		d.log.Info("dry run: every run plans and writes nothing; what it would do is logged, counted in teamsync_planned_changes and served on GET /plan")
	}
	d.warnClosedEndpoints()

	d.start(runCtx, runRequest{trigger: audit.TriggerStartup})
	scheduled := make(chan struct{})
	go func() {
		defer close(scheduled)
		d.scheduleLoop(runCtx)
	}()

	var serveErr error
	select {
	case <-ctx.Done():
		d.log.Info("stopping: finishing the change in flight")
	case serveErr = <-served:
		serveErr = fmt.Errorf("daemon: http: %w", serveErr)
		d.log.Error("http server failed; stopping", "error", serveErr)
	}
	d.mu.Lock()
	d.stopping = true
	d.mu.Unlock()
	stopRuns()
	<-scheduled

	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		d.log.Warn("http shutdown did not finish cleanly", "error", err)
	}
	if serveErr == nil {
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr = fmt.Errorf("daemon: http: %w", err)
		}
	}
	d.tasks.Wait()
	d.mu.Lock()
	a := d.audit
	d.mu.Unlock()
	if err := a.Close(); err != nil {
		d.log.Error("closing the audit log", "error", err)
	}
	d.log.Info("stopped")
	return serveErr
}

// newDaemon applies defaults and loads what must be good before serving:
// the mapping, its schedule and the audit log.
func newDaemon(cfg Config) (*daemon, error) {
	if cfg.Connect == nil {
		return nil, errors.New("daemon: Config.Connect is required")
	}
	if cfg.Load == nil {
		cfg.Load = config.Load
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.openAudit == nil {
		cfg.openAudit = audit.Open
	}
	d := &daemon{
		cfg:     cfg,
		log:     cfg.Logger,
		met:     cfg.Metrics,
		now:     cfg.Now,
		after:   cfg.After,
		resched: make(chan struct{}, 1),
		hook:    newHookState(),
		mem:     memory.New(cfg.Now),
	}
	m, err := cfg.Load(cfg.ConfigPath)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	sched, err := parseSchedule(m.Sync.Schedule)
	if err != nil {
		return nil, fmt.Errorf("daemon: %s: %w", m.Path, err)
	}
	a, err := cfg.openAudit(m.Sync.AuditLog, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	d.mapping, d.sched, d.audit, d.auditPath = m, sched, a, m.Sync.AuditLog
	return d, nil
}
