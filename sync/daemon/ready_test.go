package daemon

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestReadyzFlipsAfterFailures(t *testing.T) {
	t.Parallel()
	h := start(t, platformSetup())
	h.waitRuns(1)
	if code, body := h.call(http.MethodGet, "/readyz", nil, nil); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/readyz after a good run = %d %q, want 200 ok", code, body)
	}

	h.set(func(h *harness) { h.connectErr = errors.New("buildkite: token rejected") })
	// Three periods of failures are tolerated...
	for n := 2; n <= 4; n++ {
		h.tick(time.Second)
		h.waitRuns(n)
		if code, body := h.call(http.MethodGet, "/readyz", nil, nil); code != http.StatusOK {
			t.Fatalf("/readyz after %d failed runs = %d %q, want 200", n-1, code, body)
		}
	}
	// ...the fourth is one too many.
	h.tick(time.Second)
	h.waitRuns(5)
	code, body := h.call(http.MethodGet, "/readyz", nil, nil)
	want := "not ready: the last successful reconcile was 4s ago, more than 3 schedule periods (3s)\n"
	if code != http.StatusServiceUnavailable || body != want {
		t.Errorf("/readyz after 4 failed runs = %d %q, want 503 %q", code, body, want)
	}
	if got := h.metric("teamsync_reconcile_total", "result", "error"); got != 4 {
		t.Errorf("error runs = %v, want 4", got)
	}
	if code, _ := h.call(http.MethodGet, "/healthz", nil, nil); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200 while the process is up", code)
	}
	if logs := h.logs.String(); !strings.Contains(logs, `error="connect: buildkite: token rejected"`) {
		t.Errorf("log lacks the run error:\n%s", logs)
	}

	// One good run makes it ready again.
	h.set(func(h *harness) { h.connectErr = nil })
	h.tick(time.Second)
	h.waitRuns(6)
	if code, body := h.call(http.MethodGet, "/readyz", nil, nil); code != http.StatusOK {
		t.Errorf("/readyz after recovery = %d %q, want 200", code, body)
	}
}

func TestReadyzBeforeAnySuccess(t *testing.T) {
	t.Parallel()
	o := platformSetup()
	o.connect = func(h *harness) { h.connectErr = errors.New("okta: 401 Invalid token provided") }
	h := start(t, o)
	h.waitRuns(1)
	code, body := h.call(http.MethodGet, "/readyz", nil, nil)
	if want := "not ready: no reconcile has succeeded yet\n"; code != http.StatusServiceUnavailable || body != want {
		t.Errorf("/readyz = %d %q, want 503 %q", code, body, want)
	}
	if got := h.metric("teamsync_last_success_timestamp_seconds"); got != 0 {
		t.Errorf("last success = %v, want 0", got)
	}
}
