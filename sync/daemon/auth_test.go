package daemon

import (
	"net/http"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/internal/httpx"
)

func TestBearerToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header, token string
		ok            bool
	}{
		{"Bearer s3cret", "s3cret", true},
		{"bearer s3cret", "s3cret", true},
		{"BEARER s3cret", "s3cret", true},
		{"bEaReR  s3cret ", "s3cret", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Basic s3cret", "", false},
		{"Bearers3cret", "", false},
		{"s3cret", "", false},
		{"", "", false},
	} {
		token, ok := bearerToken(tc.header)
		if token != tc.token || ok != tc.ok {
			t.Errorf("bearerToken(%q) = %q, %v; want %q, %v", tc.header, token, ok, tc.token, tc.ok)
		}
	}
}

// TestManualSyncBearerAnyCase checks that POST /sync takes the Bearer
// scheme in any case, as HTTP defines authentication schemes.
func TestManualSyncBearerAnyCase(t *testing.T) {
	t.Parallel()
	h := start(t, platformSetup())
	h.waitRuns(1)
	for i, scheme := range []string{"bearer", "BEARER", "Bearer"} {
		code, body := h.call(http.MethodPost, "/sync", map[string]string{"Authorization": scheme + " " + triggerToken}, nil)
		if code != http.StatusAccepted {
			t.Fatalf("POST /sync with %q = %d %q, want 202", scheme, code, body)
		}
		h.waitRuns(i + 2)
	}
}

// TestEndpointSecretsRotate checks that the trigger token and the hook
// secret are read at every request: a rotated value works at once, without
// a restart, with its trailing newline trimmed, and the old one stops
// working.
func TestEndpointSecretsRotate(t *testing.T) {
	t.Parallel()
	h := start(t, platformSetup())
	h.waitRuns(1)
	bearer := func(token string) map[string]string { return map[string]string{"Authorization": "Bearer " + token} }

	h.set(func(h *harness) {
		h.env[TriggerTokenEnv] = "rotated-trigger\n"
		h.env[OktaHookSecretEnv] = "rotated-hook\r\n"
	})
	if code, body := h.call(http.MethodPost, "/sync", bearer(triggerToken), nil); code != http.StatusUnauthorized {
		t.Errorf("POST /sync with the old token = %d %q, want 401", code, body)
	}
	if code, body := h.call(http.MethodPost, "/sync", bearer("rotated-trigger"), nil); code != http.StatusAccepted {
		t.Errorf("POST /sync with the rotated token = %d %q, want 202", code, body)
	}
	h.waitRuns(2)

	hook := func(method, secret string) (int, string) {
		header := map[string]string{"Authorization": secret, "X-Okta-Verification-Challenge": "c1"}
		var body []byte
		if method == http.MethodPost {
			body = delivery()
		}
		return h.call(method, "/hooks/okta", header, body)
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		if code, body := hook(method, hookSecret); code != http.StatusUnauthorized {
			t.Errorf("%s /hooks/okta with the old secret = %d %q, want 401", method, code, body)
		}
		if code, body := hook(method, "rotated-hook"); code != http.StatusOK {
			t.Errorf("%s /hooks/okta with the rotated secret = %d %q, want 200", method, code, body)
		}
	}

	// Unset: both endpoints close again.
	h.set(func(h *harness) { clear(h.env) })
	if code, _ := h.call(http.MethodPost, "/sync", bearer("rotated-trigger"), nil); code != http.StatusUnauthorized {
		t.Errorf("POST /sync after the token was unset = %d, want 401", code)
	}
	if code, _ := hook(http.MethodPost, "rotated-hook"); code != http.StatusUnauthorized {
		t.Errorf("POST /hooks/okta after the secret was unset = %d, want 401", code)
	}
}

// TestClosedEndpointsWarnOnce checks the one warning at start for each
// endpoint whose secret is not set or blank, and none when both are set.
func TestClosedEndpointsWarnOnce(t *testing.T) {
	t.Parallel()
	const (
		syncWarn = `level=WARN msg="POST /sync refuses every request: TEAMSYNC_TRIGGER_TOKEN is not set or blank"`
		hookWarn = `level=WARN msg="the Okta event hook (/hooks/okta) refuses every request: TEAMSYNC_OKTA_HOOK_SECRET is not set or blank"`
	)
	count := func(logs, line string) int {
		n := 0
		for _, l := range strings.Split(logs, "\n") {
			if strings.Contains(l, line) {
				n++
			}
		}
		return n
	}

	o := platformSetup()
	o.noRun = true
	closed := start(t, o)
	closed.set(func(h *harness) { clear(h.env) })
	closed.run(0)
	closed.waitRuns(1)
	for range 3 {
		closed.call(http.MethodPost, "/sync", map[string]string{"Authorization": "Bearer x"}, nil)
		closed.call(http.MethodPost, "/hooks/okta", map[string]string{"Authorization": "x"}, delivery())
	}
	logs := closed.logs.String()
	if count(logs, syncWarn) != 1 || count(logs, hookWarn) != 1 {
		t.Errorf("want each of these once:\n%s\n%s\nlog:\n%s", syncWarn, hookWarn, logs)
	}

	// White space alone is as closed: HTTP trims it from any header
	// that would present it.
	blank := start(t, o)
	blank.set(func(h *harness) { h.env[TriggerTokenEnv], h.env[OktaHookSecretEnv] = "  \n", "\t" })
	blank.run(0)
	blank.waitRuns(1)
	if code, _ := blank.call(http.MethodPost, "/sync", map[string]string{"Authorization": "Bearer   "}, nil); code != http.StatusUnauthorized {
		t.Errorf("POST /sync with a blank token set = %d, want 401", code)
	}
	logs = blank.logs.String()
	if count(logs, syncWarn) != 1 || count(logs, hookWarn) != 1 {
		t.Errorf("blank secrets: want each of these once:\n%s\n%s\nlog:\n%s", syncWarn, hookWarn, logs)
	}

	open := start(t, platformSetup())
	open.waitRuns(1)
	if logs := open.logs.String(); count(logs, "refuses every request") != 0 {
		t.Errorf("a warning with both secrets set:\n%s", logs)
	}
}

// TestEndpointSecretsAreRedacted checks that the secrets the daemon reads
// join Config.Secrets, so logs and errors can redact them.
func TestEndpointSecretsAreRedacted(t *testing.T) {
	t.Parallel()
	o := platformSetup()
	o.noRun = true
	h := start(t, o)
	secrets := httpx.NewSecrets()
	cfg := h.config()
	cfg.Secrets = secrets
	d, err := newDaemon(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.base = newServer(t, d.handler(t.Context()))
	h.call(http.MethodPost, "/sync", map[string]string{"Authorization": "Bearer wrong"}, nil)
	h.call(http.MethodPost, "/hooks/okta", map[string]string{"Authorization": "wrong"}, delivery())
	text := "token " + triggerToken + ", secret " + hookSecret
	if got, want := secrets.Redact(text), "token [redacted], secret [redacted]"; got != want {
		t.Errorf("Redact(%q) = %q, want %q", text, got, want)
	}
}
