package main

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
	"github.com/teamsync/teamsync/internal/testutil"
)

// TestTriggerWait: trigger --wait asks a running serve for a run, follows
// it to its end and exits as apply would, printing the run's summary.
func TestTriggerWait(t *testing.T) {
	sim, h := basic(t)
	h.env["TEAMSYNC_TRIGGER_TOKEN"] = "trigger-secret"
	serveEnv := maps.Clone(h.env)
	s := startServe(t, func(k string) string { return serveEnv[k] }, "--config", h.config)
	s.waitRuns(1) // the run at start applies the basic plan

	// A hand-made change the next run puts right.
	if err := sim.ByHand("alice@acme.com").AddTeamMember("platform", "dave@acme.com", "member"); err != nil {
		t.Fatal(err)
	}
	out, code := h.run("trigger", "--url", s.base, "--wait")
	if code != exitOK {
		t.Fatalf("trigger --wait: exit %d\nstdout %s\nstderr %s", code, out, h.stderr.String())
	}
	re := regexp.MustCompile(`^run (\S+) finished: success \(1 applied, 0 failed; 0 held, 0 unplaced, 0 errors\)\n$`)
	if !re.Match(out) {
		t.Fatalf("trigger --wait printed %q", out)
	}
	want := map[string]string{"alice@acme.com": "maintainer", "bob@acme.com": "member", "carol@acme.com": "member", "erin@acme.com": "member"}
	if got := teamRoles(sim)["platform"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("platform after the triggered run = %v, want %v", got, want)
	}
	// The run is there to ask about, behind the same token as /sync.
	id := re.FindSubmatch(out)[1]
	if code, _ := s.call("GET", "/runs/"+string(id), ""); code != 401 {
		t.Fatalf("GET /runs/{id} without the token = %d, want 401", code)
	}
	if code, body := s.call("GET", "/runs/"+string(id), "trigger-secret"); code != 200 || !strings.Contains(body, `"result":"success"`) {
		t.Fatalf("GET /runs/{id} = %d %s", code, body)
	}
	if code, _ := s.call("GET", "/runs/no-such-run", "trigger-secret"); code != 404 {
		t.Fatalf("GET /runs/no-such-run = %d, want 404", code)
	}

	out, code = h.run("trigger", "--url", s.base)
	if code != exitOK || !regexp.MustCompile(`^run \S+ started\n$`).Match(out) {
		t.Fatalf("trigger without --wait: exit %d, %q", code, out)
	}
	s.waitRuns(3)

	h.env["TEAMSYNC_TRIGGER_TOKEN"] = "wrong"
	if _, code := h.run("trigger", "--url", s.base, "--wait"); code != exitError ||
		h.stderr.String() != "teamsync: TEAMSYNC_TRIGGER_TOKEN was refused by the daemon (HTTP 401)\n" {
		t.Fatalf("wrong token: exit %d, stderr %q", code, h.stderr.String())
	}
}

// TestTriggerWaitHeld: a run whose removals a guard holds back makes
// trigger --wait exit 3, as apply does.
func TestTriggerWaitHeld(t *testing.T) {
	_, h := startWith(t, "max-removals", bksimOptions())
	h.env["TEAMSYNC_TRIGGER_TOKEN"] = "trigger-secret"
	s := startServe(t, func(k string) string { return h.env[k] }, "--config", h.config)
	s.waitRuns(1)
	out, code := h.run("trigger", "--url", s.base, "--wait")
	if code != exitHeld || !strings.Contains(string(out), "finished: held (0 applied, 0 failed; 4 held") {
		t.Fatalf("trigger --wait: exit %d, %q\n%s", code, out, h.stderr.String())
	}
}

func TestTriggerRefusesPlainHTTPElsewhere(t *testing.T) {
	_, h := basic(t)
	h.env["TEAMSYNC_TRIGGER_TOKEN"] = "trigger-secret"
	if _, code := h.run("trigger", "--url", "http://teamsync.example.com:9090"); code != exitError ||
		!strings.Contains(h.stderr.String(), "--url must use https (http is allowed only to a loopback host") {
		t.Fatalf("exit %d, stderr %q", code, h.stderr.String())
	}
}

// TestTriggerWaitWhileARunIsGoing: trigger --wait that finds a run going
// (409) asks again once it has ended, and follows its own run.
func TestTriggerWaitWhileARunIsGoing(t *testing.T) {
	h, s, held := busyServe(t)
	if code, body := s.call("POST", "/sync", "trigger-secret"); code != 202 {
		t.Fatalf("POST /sync = %d %s", code, body)
	}
	var stdout, stderr testutil.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"trigger", "--url", s.base, "--wait", "--log-level", "info"},
			env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return h.env[k] }})
	}()
	waitForText(t, &stderr, "the daemon is running a reconcile; asking again when it ends", done)
	close(held)
	if code := <-done; code != exitOK {
		t.Fatalf("trigger --wait: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !regexp.MustCompile(`^run \S+ finished: success`).MatchString(stdout.String()) {
		t.Fatalf("stdout %q", stdout.String())
	}
	s.waitRuns(3) // the one it waited for, and its own
}

// TestTriggerWaitTimeout: --wait gives up after --timeout when the daemon
// stays busy, instead of holding a CI job until the job's own limit.
func TestTriggerWaitTimeout(t *testing.T) {
	h, s, held := busyServe(t)
	t.Cleanup(func() { close(held) })
	if code, body := s.call("POST", "/sync", "trigger-secret"); code != 202 {
		t.Fatalf("POST /sync = %d %s", code, body)
	}
	var stdout, stderr testutil.Buffer
	code := run(context.Background(), []string{"trigger", "--url", s.base, "--wait", "--timeout", "300ms"},
		env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return h.env[k] }})
	if want := "\nteamsync: gave up waiting after --timeout 300ms (the run goes on in the daemon)\n"; code != exitError || !strings.HasSuffix(stderr.String(), want) {
		t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), want)
	}
}

// busyServe starts serve on the basic scenario, waits for its startup run,
// then holds every Buildkite request until held is closed, so that the
// next run stays going for as long as a test needs a busy daemon.
func busyServe(t *testing.T) (*harness, *serving, chan struct{}) {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "scenarios", "basic")
	seed, err := bksim.LoadState(filepath.Join(dir, "buildkite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sim, err := bksim.New(seed, bksim.Options{Schema: bksimtest.Schema(t), Token: bksimtest.Token})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	gate := make(chan struct{})
	close(gate)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		g := gate
		mu.Unlock()
		<-g
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h := newHarness(t, dir, srv.URL, nil)
	h.env["TEAMSYNC_TRIGGER_TOKEN"] = "trigger-secret"
	serveEnv := maps.Clone(h.env)
	s := startServe(t, func(k string) string { return serveEnv[k] }, "--config", h.config)
	s.waitRuns(1)
	held := make(chan struct{})
	mu.Lock()
	gate = held
	mu.Unlock()
	return h, s, held
}
