package daemon

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

func TestMetricsAfterARun(t *testing.T) {
	t.Parallel()
	h := start(t, platformSetup())
	h.waitRuns(1)
	startedAt := h.clk.Now()

	m := h.scrape()
	one := func(name string, labels map[string]string) (float64, bool) {
		for _, s := range m[name] {
			match := true
			for k, v := range labels {
				if s.labels[k] != v {
					match = false
				}
			}
			if match {
				return s.value, true
			}
		}
		return 0, false
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"teamsync_reconcile_total", map[string]string{"result": "success"}, 1},
		{"teamsync_reconcile_total", map[string]string{"result": "error"}, 0},
		{"teamsync_reconcile_total", map[string]string{"result": "held"}, 0},
		{"teamsync_changes_total", map[string]string{"action": "add_member", "status": "applied"}, 1},
		{"teamsync_changes_total", map[string]string{"action": "remove_member", "status": "applied"}, 0},
		{"teamsync_reconcile_duration_seconds", nil, 1}, // sample count
		{"teamsync_last_success_timestamp_seconds", nil, float64(startedAt.Unix())},
		{"teamsync_next_run_timestamp_seconds", nil, float64(startedAt.Add(time.Second).Unix())},
		{"teamsync_held_changes", nil, 0},
		{"teamsync_unplaced_users", nil, 0},
		{"teamsync_reconcile_skipped_total", nil, 0},
		{"teamsync_config_reload_failures_total", nil, 0},
		{"teamsync_source_errors_total", map[string]string{"source": "okta"}, 0},
		{"teamsync_reconcile_in_progress", nil, 0},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			got, ok := one(c.name, c.labels)
			if !ok || got != c.want {
				t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
			}
		})
	}
	for _, api := range []string{"buildkite", "okta"} {
		if got, _ := one("teamsync_api_requests_total", map[string]string{"api": api, "code": "2xx"}); got < 1 {
			t.Errorf("%s 2xx requests = %v, want at least 1", api, got)
		}
		if _, ok := one("teamsync_api_ratelimit_remaining", map[string]string{"api": api, "window": "org"}); !ok {
			t.Errorf("no rate-limit headroom recorded for %s", api)
		}
	}
}

func TestSourceErrorsAreCounted(t *testing.T) {
	t.Parallel()
	o := platformSetup()
	o.okta.Groups = append(o.okta.Groups, oktaGroup("Mobile", "dave@acme.com"))
	o.bk.Teams = append(o.bk.Teams, bksim.Team{Slug: "mobile"})
	o.teams += `  - slug: mobile
    groups:
      - okta: Mobile
`
	h := start(t, o)
	h.waitRuns(1)

	id, _ := h.okta.GroupID("Mobile")
	h.okta.Inject(oktasim.Fault{Path: "/api/v1/groups/" + id + "/users", Status: http.StatusInternalServerError})
	h.tick(time.Second)
	h.waitRuns(2)
	if got := h.metric("teamsync_source_errors_total", "source", "okta"); got != 1 {
		t.Errorf("okta source errors = %v, want 1", got)
	}
	if got := h.metric("teamsync_reconcile_total", "result", "error"); got != 1 {
		t.Errorf("error runs = %v, want 1", got)
	}
	if got := h.metric("teamsync_api_requests_total", "api", "okta", "code", "5xx"); got != 1 {
		t.Errorf("okta 5xx requests = %v, want 1", got)
	}
}

func TestManualSync(t *testing.T) {
	t.Parallel()
	h := start(t, platformSetup())
	h.waitRuns(1)

	for _, tt := range []struct {
		name   string
		header map[string]string
	}{
		{"no header", nil},
		{"wrong token", map[string]string{"Authorization": "Bearer nope"}},
		{"right token, wrong scheme", map[string]string{"Authorization": "Basic " + triggerToken}},
		{"token prefix", map[string]string{"Authorization": "Bearer " + triggerToken[:5]}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.do(http.MethodPost, "/sync", tt.header, nil)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("POST /sync = %d (WWW-Authenticate %q), want 401 with a challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	if code, _ := h.call(http.MethodGet, "/sync", map[string]string{"Authorization": "Bearer " + triggerToken}, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /sync = %d, want 405", code)
	}
	if got := h.runs(); got != 1 {
		t.Fatalf("refused requests ran a reconcile: %d runs", got)
	}

	// A run that holds the slot: the next request conflicts.
	gate := make(chan struct{})
	h.set(func(h *harness) { h.gate = gate })
	auth := map[string]string{"Authorization": "Bearer " + triggerToken}
	code, body := h.call(http.MethodPost, "/sync", auth, nil)
	if code != http.StatusAccepted {
		t.Fatalf("POST /sync with the token = %d %q, want 202", code, body)
	}
	var accepted struct {
		RunID   string `json:"run_id"`
		Trigger string `json:"trigger"`
	}
	if err := json.Unmarshal([]byte(body), &accepted); err != nil || len(accepted.RunID) != 8 || accepted.Trigger != "manual" {
		t.Fatalf("202 body %q: want {run_id (8 hex), trigger: manual}", body)
	}
	if code, body := h.call(http.MethodPost, "/sync", auth, nil); code != http.StatusConflict {
		t.Errorf("POST /sync while running = %d %q, want 409", code, body)
	}
	h.set(func(h *harness) { h.gate = nil })
	close(gate)
	h.waitRuns(2)
	runs := h.runLines()
	if last := runs[len(runs)-1]; last.RunID != accepted.RunID || last.Trigger != "manual" {
		t.Errorf("last audit run line = %+v, want run %s triggered manual", last, accepted.RunID)
	}
	if strings.Contains(h.logs.String(), triggerToken) {
		t.Error("the trigger token appears in the log")
	}
}

func TestManualSyncIsClosedWithoutAToken(t *testing.T) {
	t.Parallel()
	o := platformSetup()
	o.noRun = true
	h := start(t, o)
	h.set(func(h *harness) { h.connectErr = errors.New("not needed") })
	cfg := h.config()
	cfg.Getenv = func(string) string { return "" }
	d, err := newDaemon(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, d.handler(t.Context()))
	h.base = srv
	for _, tt := range []struct {
		path   string
		header map[string]string
	}{
		{"/sync", map[string]string{"Authorization": "Bearer "}},
		{"/sync", map[string]string{"Authorization": "Bearer"}},
		{"/sync", nil},
		{"/hooks/okta", map[string]string{"Authorization": ""}},
		{"/hooks/okta", nil},
	} {
		if code, _ := h.call(http.MethodPost, tt.path, tt.header, []byte(`{}`)); code != http.StatusUnauthorized {
			t.Errorf("POST %s %v with no secret configured = %d, want 401", tt.path, tt.header, code)
		}
	}
	// The hook's verification GET is refused too: an endpoint whose secret
	// is not set answers nobody.
	for _, header := range []map[string]string{
		{"X-Okta-Verification-Challenge": "c1"},
		{"X-Okta-Verification-Challenge": "c1", "Authorization": ""},
		{"X-Okta-Verification-Challenge": "c1", "Authorization": "anything"},
	} {
		if code, body := h.call(http.MethodGet, "/hooks/okta", header, nil); code != http.StatusUnauthorized || strings.Contains(body, "c1") {
			t.Errorf("GET /hooks/okta %v with no secret configured = %d %q, want 401 without the challenge", header, code, body)
		}
	}
}

func TestSecretEqual(t *testing.T) {
	t.Parallel()
	tests := []struct {
		got, want string
		ok        bool
	}{
		{"s3cret", "s3cret", true},
		{"s3cre", "s3cret", false},
		{"s3cret ", "s3cret", false},
		{"", "", false},
		{"x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.got+"/"+tt.want, func(t *testing.T) {
			if got := secretEqual(tt.got, tt.want); got != tt.ok {
				t.Errorf("secretEqual(%q, %q) = %v, want %v", tt.got, tt.want, got, tt.ok)
			}
		})
	}
}
