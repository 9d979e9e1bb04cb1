package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/plan"
)

// readyPeriods is how many schedule periods may pass since the last
// successful full run before /readyz fails.
const readyPeriods = 3

// The environment variables holding the endpoints' secrets, looked up
// through Config.Getenv at every request.
const (
	TriggerTokenEnv   = "TEAMSYNC_TRIGGER_TOKEN"
	OktaHookSecretEnv = "TEAMSYNC_OKTA_HOOK_SECRET"
)

// handler routes the daemon's endpoints on its own mux. ctx is the
// daemon's: runs started over HTTP outlive the request that asked.
func (d *daemon) handler(ctx context.Context) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", d.met.Handler())
	mux.HandleFunc("GET /healthz", d.healthz)
	mux.HandleFunc("GET /readyz", d.readyz)
	mux.HandleFunc("POST /sync", func(w http.ResponseWriter, r *http.Request) { d.manualSync(ctx, w, r) })
	mux.HandleFunc("GET /plan", d.lastPlanJSON)
	mux.HandleFunc("GET /runs/{id}", d.runStatus)
	mux.HandleFunc("GET /hooks/okta", d.oktaVerify)
	mux.HandleFunc("POST /hooks/okta", func(w http.ResponseWriter, r *http.Request) { d.oktaEvents(ctx, w, r) })
	return mux
}

// healthz answers 200 for as long as the process serves.
func (d *daemon) healthz(w http.ResponseWriter, _ *http.Request) {
	text(w, http.StatusOK, "ok")
}

// readyz answers 200 when the last successful full reconcile finished
// within three schedule periods, else 503 with the reason on one line. A
// schedule that never fires has no period to measure staleness in, so then
// one successful full run is enough.
func (d *daemon) readyz(w http.ResponseWriter, _ *http.Request) {
	d.mu.Lock()
	last, s := d.lastOK, d.sched
	d.mu.Unlock()
	now := d.now()
	if last.IsZero() {
		text(w, http.StatusServiceUnavailable, "not ready: no reconcile has succeeded yet")
		return
	}
	window := readyPeriods * s.period(now)
	if age := now.Sub(last); window > 0 && age > window {
		text(w, http.StatusServiceUnavailable, fmt.Sprintf(
			"not ready: the last successful reconcile was %s ago, more than %d schedule periods (%s)",
			age.Round(time.Second), readyPeriods, window))
		return
	}
	text(w, http.StatusOK, "ok")
}

// manualSync starts a run of every team now for a caller with the trigger
// token: 202 with the run id, or 409 while a run is going. ?full=true makes
// it read Buildkite in full rather than only what may have changed.
func (d *daemon) manualSync(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	if !d.authorized(w, r) {
		return
	}
	full := false
	if v := r.URL.Query().Get("full"); v != "" {
		var err error
		if full, err = strconv.ParseBool(v); err != nil {
			text(w, http.StatusBadRequest, fmt.Sprintf("full=%q is not true or false", v))
			return
		}
	}
	id, st := d.start(ctx, runRequest{trigger: audit.TriggerManual, full: full})
	switch st {
	case startBusy:
		text(w, http.StatusConflict, "a reconcile is already running")
	case startStopping:
		text(w, http.StatusServiceUnavailable, "shutting down")
	default:
		d.log.Info("manual reconcile requested", "run_id", id, "full", full, "remote", r.RemoteAddr)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]string{"run_id": id, "trigger": audit.TriggerManual})
	}
}

// authorized reports whether r carries the trigger token as its bearer
// token; if not, it has answered 401. POST /sync, GET /plan and GET
// /runs/{id} share it.
func (d *daemon) authorized(w http.ResponseWriter, r *http.Request) bool {
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if ok && secretEqual(token, d.secret(TriggerTokenEnv)) {
		return true
	}
	d.log.Warn("refused "+r.Method+" "+r.URL.Path+": missing or wrong bearer token", "remote", r.RemoteAddr)
	w.Header().Set("WWW-Authenticate", `Bearer realm="teamsync"`)
	text(w, http.StatusUnauthorized, "unauthorized")
	return false
}

// lastPlanJSON answers GET /plan for a caller with the trigger token: the
// last full run's plan as `teamsync plan --format json` prints it (after
// a real run, with each change's status), or 404 before the first.
func (d *daemon) lastPlanJSON(w http.ResponseWriter, r *http.Request) {
	if !d.authorized(w, r) {
		return
	}
	d.mu.Lock()
	p := d.lastPlan
	d.mu.Unlock()
	if p == nil {
		text(w, http.StatusNotFound, "no plan yet: no full reconcile has finished planning")
		return
	}
	var b bytes.Buffer
	if err := plan.RenderJSON(&b, p); err != nil {
		text(w, http.StatusInternalServerError, "cannot render the plan")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b.Bytes())
}

// bearerToken returns the credentials of an Authorization header in the
// Bearer scheme, whose name is case-insensitive like every HTTP
// authentication scheme's.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// secret returns the endpoint secret in the environment variable name as
// it is now, without one trailing newline (config.TrimSecret), and adds it
// to Config.Secrets for redaction. Empty means the endpoint is closed: so
// is a value of white space alone, which no request could present (HTTP
// trims a header's white space).
func (d *daemon) secret(name string) string {
	if d.cfg.Getenv == nil {
		return ""
	}
	v := config.TrimSecret(d.cfg.Getenv(name))
	if strings.TrimSpace(v) == "" {
		return ""
	}
	d.cfg.Secrets.Add(v)
	return v
}

// warnClosedEndpoints says once, at start, which endpoints refuse every
// request for want of their secret.
func (d *daemon) warnClosedEndpoints() {
	if d.secret(TriggerTokenEnv) == "" {
		d.log.Warn("POST /sync refuses every request: " + TriggerTokenEnv + " is not set or blank")
	}
	if d.secret(OktaHookSecretEnv) == "" {
		d.log.Warn("the Okta event hook (/hooks/okta) refuses every request: " + OktaHookSecretEnv + " is not set or blank")
	}
}

// secretEqual compares a presented secret with the configured one in
// constant time. Both are hashed first so that not even the length leaks.
// An empty configured secret matches nothing: an endpoint is never open by
// default.
func secretEqual(got, want string) bool {
	if want == "" {
		return false
	}
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

func text(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = fmt.Fprintln(w, msg)
}
