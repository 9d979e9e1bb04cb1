package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/testutil"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/teamsync/teamsync/buildkite"
	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
	"github.com/teamsync/teamsync/providers/users"
	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/metrics"
	"github.com/teamsync/teamsync/sync/reconcile"
)

const (
	oktaToken    = "okta-test-token"
	triggerToken = "trigger-secret"
	hookSecret   = "hook-secret"
)

// harness is one in-process `teamsync serve` against bksim and oktasim,
// on a fake clock, with its mapping file, audit log and logs in a temp dir.
type harness struct {
	t       *testing.T
	bk      *bksim.Server
	bkURL   string
	okta    *oktasim.Server
	oktaURL string
	clk     *fakeClock
	met     *metrics.Metrics
	dir     string
	mapping string // path
	audit   string // path
	logs    *testutil.Buffer
	base    string // http://addr
	cancel  context.CancelFunc
	done    chan error

	mu sync.Mutex
	// connectErr, when set, fails every Connect.
	connectErr error
	// gate, when set, is received from in Connect before the clients are
	// built: a run blocks there until the test sends or closes it.
	gate chan struct{}
	// wrap, when set, wraps the Buildkite client of each run.
	wrap func(reconcile.Buildkite) reconcile.Buildkite
	// env is what Config.Getenv sees: the endpoint secrets, which a test
	// may change while the daemon runs.
	env map[string]string
	// load and openAudit, when set before the daemon starts, replace
	// config.Load and audit.Open.
	load      func(path string) (*config.Mapping, error)
	openAudit func(path string, now func() time.Time) (*audit.Log, error)
	dryRun    bool
}

type harnessOpts struct {
	bk       bksim.State
	bkOpts   bksim.Options // the simulator's options (NoAuditLog, budgets)
	okta     oktasim.State
	teams    string // the teams: section, YAML
	schedule string // default "@every 1s"
	debounce time.Duration
	noRun    bool // do not start the daemon
	dryRun   bool // Config.DryRun
	connect  func(*harness)
}

// mappingFile renders a mapping.yaml pointing at the simulators.
func (h *harness) mappingFile(schedule, teams string) string {
	return fmt.Sprintf(`buildkite:
  organization: acme
  graphql_url: %s
okta:
  org_url: %s
sync:
  schedule: %q
  audit_log: %s
teams:
%s`, h.bkURL, h.oktaURL, schedule, h.audit, teams)
}

func (h *harness) writeMapping(content string) {
	h.t.Helper()
	tmp := h.mapping + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Rename(tmp, h.mapping); err != nil {
		h.t.Fatal(err)
	}
}

func start(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	if o.schedule == "" {
		o.schedule = "@every 1s"
	}
	bk, bkSrv := bksimtest.StartWith(t, o.bk, o.bkOpts)
	oktaSim := oktasim.New(o.okta, oktasim.Options{Token: oktaToken})
	oktaSrv := newServer(t, oktaSim)
	dir := t.TempDir()
	h := &harness{
		t: t, bk: bk, bkURL: bkSrv.URL, okta: oktaSim, oktaURL: oktaSrv,
		clk: newFakeClock(), met: metrics.New(), dir: dir,
		mapping: filepath.Join(dir, "mapping.yaml"), audit: filepath.Join(dir, "audit.jsonl"),
		logs:   &testutil.Buffer{},
		env:    map[string]string{TriggerTokenEnv: triggerToken, OktaHookSecretEnv: hookSecret},
		dryRun: o.dryRun,
	}
	h.writeMapping(h.mappingFile(o.schedule, o.teams))
	if o.connect != nil {
		o.connect(h)
	}
	if !o.noRun {
		h.run(o.debounce)
	}
	return h
}

func newServer(t *testing.T, handler http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// run starts the daemon; it is stopped when the test ends.
func (h *harness) run(debounce time.Duration) {
	h.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	h.base = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	cfg := h.config()
	cfg.Listener, cfg.Debounce = ln, debounce
	go func() { h.done <- Run(ctx, cfg) }()
	h.t.Cleanup(func() {
		if h.t.Failed() {
			h.t.Logf("daemon log:\n%s", h.logs.String())
		}
		cancel()
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			h.t.Error("daemon did not stop within 10s of cancel")
		}
	})
}

func (h *harness) config() Config {
	return Config{
		ConfigPath: h.mapping,
		Connect:    h.connect,
		Getenv:     h.getenv,
		Logger:     slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics:    h.met,
		Now:        h.clk.Now,
		After:      h.clk.After,
		Load:       h.load,
		openAudit:  h.openAudit,
		DryRun:     h.dryRun,
	}
}

// stop cancels the daemon and returns what Run returned.
func (h *harness) stop() error {
	h.t.Helper()
	h.cancel()
	select {
	case err := <-h.done:
		h.done <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		h.t.Fatal("daemon did not stop within 10s of cancel")
		return nil
	}
}

// connect is the test's Connector: the real clients against the
// simulators, with the metrics transport underneath as cmd/ wires it.
func (h *harness) connect(ctx context.Context, m *config.Mapping) (*reconcile.Clients, error) {
	h.mu.Lock()
	gate, failure, wrap := h.gate, h.connectErr, h.wrap
	h.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if failure != nil {
		return nil, failure
	}
	bk, err := buildkite.New(buildkite.Config{
		URL: m.Buildkite.GraphQLURL, Organization: m.Buildkite.Organization, Token: bksimtest.Token,
		HTTPClient: &http.Client{Transport: h.met.Transport("buildkite", nil)}, MaxRetries: -1,
	})
	if err != nil {
		return nil, err
	}
	ok, err := okta.New(ctx, okta.Config{
		OrgURL: m.Okta.OrgURL, Token: oktaToken,
		HTTPClient: &http.Client{Transport: h.met.Transport("okta", nil)}, MaxRetries: -1,
	})
	if err != nil {
		return nil, err
	}
	var b reconcile.Buildkite = bk
	if wrap != nil {
		b = wrap(b)
	}
	return &reconcile.Clients{Buildkite: b, Providers: map[string]providers.Provider{
		providers.SourceOkta: ok, providers.SourceUsers: users.New(),
	}}, nil
}

// getenv is the daemon's environment lookup.
func (h *harness) getenv(key string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.env[key]
}

func (h *harness) set(f func(h *harness)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(h)
}

// waitFor polls cond until it holds, failing the test after a generous
// bound. It asserts nothing about how long that took.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// await waits for ch to be closed or to deliver, failing the test after
// the same bound as waitFor.
func await[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// runs is how many reconciles have finished, by any result.
func (h *harness) runs() int {
	n := 0.0
	for _, r := range []string{metrics.ResultSuccess, metrics.ResultError, metrics.ResultHeld} {
		n += h.metric("teamsync_reconcile_total", "result", r)
	}
	return int(n)
}

// waitRuns waits until n reconciles have finished.
func (h *harness) waitRuns(n int) {
	h.t.Helper()
	waitFor(h.t, fmt.Sprintf("%d finished reconciles", n), func() bool { return h.runs() >= n })
	if got := h.runs(); got != n {
		h.t.Fatalf("finished reconciles = %d, want %d", got, n)
	}
}

// tick waits for the scheduler to be waiting, then moves the clock by d.
func (h *harness) tick(d time.Duration) {
	h.t.Helper()
	waitFor(h.t, "the scheduler to wait", func() bool { return h.clk.Waiting() >= 1 })
	h.clk.Advance(d)
}

// metric reads one sample from the daemon's registry; labels are name,
// value pairs. A missing series reads 0.
func (h *harness) metric(name string, labels ...string) float64 {
	h.t.Helper()
	fams, err := h.met.Registry().Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	samples:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue samples
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}

// scrape fetches /metrics over HTTP and parses the text format.
func (h *harness) scrape() map[string][]*sample {
	h.t.Helper()
	resp := h.do(http.MethodGet, "/metrics", nil, nil)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		h.t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string][]*sample{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			s := &sample{labels: map[string]string{}}
			for _, lp := range m.GetLabel() {
				s.labels[lp.GetName()] = lp.GetValue()
			}
			switch {
			case m.Counter != nil:
				s.value = m.GetCounter().GetValue()
			case m.Gauge != nil:
				s.value = m.GetGauge().GetValue()
			case m.Histogram != nil:
				s.value = float64(m.GetHistogram().GetSampleCount())
			}
			out[name] = append(out[name], s)
		}
	}
	return out
}

type sample struct {
	labels map[string]string
	value  float64
}

// do sends a request to the daemon and returns the response.
func (h *harness) do(method, path string, header map[string]string, body []byte) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.base+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// call is do that reads the body.
func (h *harness) call(method, path string, header map[string]string, body []byte) (int, string) {
	h.t.Helper()
	resp := h.do(method, path, header, body)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// auditLine is a line of the audit log, either kind.
type auditLine struct {
	Time       string           `json:"time"`
	RunID      string           `json:"run_id"`
	Trigger    string           `json:"trigger"`
	Action     string           `json:"action"`
	Team       string           `json:"team"`
	Email      string           `json:"email"`
	Role       string           `json:"role"`
	FromRole   string           `json:"from_role"`
	Groups     []string         `json:"groups"`
	Reason     string           `json:"reason"`
	Status     string           `json:"status"`
	Error      string           `json:"error"`
	Summary    *json.RawMessage `json:"summary"`
	DurationMS *int64           `json:"duration_ms"`
	Result     string           `json:"result"`
	ReadMode   string           `json:"read_mode"`
	Points     *int             `json:"buildkite_points"`
}

func (h *harness) auditLines() []auditLine {
	h.t.Helper()
	f, err := os.Open(h.audit)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	var out []auditLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l auditLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			h.t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

// runLines are the audit log's per-run lines.
func (h *harness) runLines() []auditLine {
	var out []auditLine
	for _, l := range h.auditLines() {
		if l.Result != "" {
			out = append(out, l)
		}
	}
	return out
}

// changeLines are the audit log's per-change lines of the runs with this
// trigger ("" for all).
func (h *harness) changeLines(trigger string) []auditLine {
	var out []auditLine
	for _, l := range h.auditLines() {
		if l.Action != "" && (trigger == "" || l.Trigger == trigger) {
			out = append(out, l)
		}
	}
	return out
}

// team returns a team's members in bksim as "email:role", sorted.
func (h *harness) team(slug string) []string {
	for _, t := range h.bk.State().Teams {
		if t.Slug == slug {
			out := make([]string, 0, len(t.Members))
			for _, m := range t.Members {
				role := m.Role
				if role == "" {
					role = bksim.RoleMember
				}
				out = append(out, m.Email+":"+role)
			}
			return out
		}
	}
	return nil
}

func (h *harness) setGroup(name string, emails ...string) {
	h.t.Helper()
	us := make([]oktasim.User, len(emails))
	for i, e := range emails {
		us[i] = oktasim.User{Email: e}
	}
	if err := h.okta.SetGroupUsers(name, us); err != nil {
		h.t.Fatal(err)
	}
}

// members and groups build simulator states.
func members(emails ...string) []bksim.Member {
	out := make([]bksim.Member, len(emails))
	for i, e := range emails {
		out[i] = bksim.Member{Email: e}
	}
	return out
}

func oktaGroup(name string, emails ...string) oktasim.Group {
	us := make([]oktasim.User, len(emails))
	for i, e := range emails {
		us[i] = oktasim.User{Email: e}
	}
	return oktasim.Group{Name: name, Users: us}
}
