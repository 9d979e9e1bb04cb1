package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/testutil"
)

// serving is a `teamsync serve` running in-process for a test.
type serving struct {
	t      *testing.T
	base   string
	stderr *testutil.Buffer
	cancel context.CancelFunc
	done   chan int
}

// startServe runs `teamsync serve` with args on a free loopback port, with
// the environment getenv, and stops it when the test ends.
func startServe(t *testing.T, getenv func(string) string, args ...string) *serving {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{t: t, base: "http://" + addr, stderr: &testutil.Buffer{}, cancel: cancel, done: make(chan int, 1)}
	args = append([]string{"serve", "--listen", addr}, args...)
	go func() { s.done <- run(ctx, args, env{stdout: io.Discard, stderr: s.stderr, getenv: getenv}) }()
	t.Cleanup(func() {
		if code := s.stop(); code != 0 {
			t.Errorf("serve exited %d; stderr:\n%s", code, s.stderr.String())
		}
	})
	return s
}

// stop cancels serve (SIGTERM) and returns its exit code.
func (s *serving) stop() int {
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(10 * time.Second):
		s.t.Fatal("serve did not stop within 10s of cancel")
		return -1
	}
}

func (s *serving) call(method, path, token string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// runs is how many reconciles serve has finished, from its metrics.
func (s *serving) runs() int {
	_, body := s.call(http.MethodGet, "/metrics", "")
	n := 0
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "teamsync_reconcile_total{") {
			v, _ := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			n += int(v)
		}
	}
	return n
}

// waitRuns waits until serve has finished n reconciles. It asserts
// nothing about how long that took.
func (s *serving) waitRuns(n int) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for s.runs() < n {
		if time.Now().After(deadline) {
			s.t.Fatalf("serve never finished %d runs; stderr:\n%s", n, s.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// metric is the value of one exposition line, such as
// `teamsync_dry_run`, or -1 when there is none.
func (s *serving) metric(series string) float64 {
	_, body := s.call(http.MethodGet, "/metrics", "")
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

// TestServeDryRun: serve --dry-run plans at start and on every POST /sync,
// sends Buildkite no mutation over all those runs, and shows the plan on
// GET /plan exactly as `teamsync plan --format json` prints it. The
// trigger token comes from a file named by TEAMSYNC_TRIGGER_TOKEN_FILE and
// is re-read at every request: rotating it needs no restart.
func TestServeDryRun(t *testing.T) {
	sim, h := basic(t)
	tokenFile := filepath.Join(t.TempDir(), "trigger-token")
	if err := os.WriteFile(tokenFile, []byte("first-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	environ := map[string]string{"TEAMSYNC_TRIGGER_TOKEN_FILE": tokenFile}
	for k, v := range h.env {
		environ[k] = v
	}
	var want bytes.Buffer
	if code := run(context.Background(), []string{"plan", "--format", "json", "--config", h.config},
		env{stdout: &want, stderr: io.Discard, getenv: func(k string) string { return environ[k] }}); code != 0 {
		t.Fatalf("plan exit %d", code)
	}
	sim.ResetStats()

	s := startServe(t, func(k string) string { return environ[k] }, "--dry-run", "--config", h.config)
	s.waitRuns(1)
	for n := 2; n <= 3; n++ {
		if code, body := s.call(http.MethodPost, "/sync", "first-token"); code != http.StatusAccepted {
			t.Fatalf("POST /sync = %d %q", code, body)
		}
		s.waitRuns(n)
	}
	if st := sim.Stats(); st.Mutations != 0 || st.Requests == 0 {
		t.Errorf("three dry runs: %d requests, %d mutations; want reads only", st.Requests, st.Mutations)
	}
	if got := s.metric("teamsync_dry_run"); got != 1 {
		t.Errorf("teamsync_dry_run = %v, want 1", got)
	}
	if got := s.metric(`teamsync_planned_changes{action="remove_member"}`); got != 1 {
		t.Errorf(`teamsync_planned_changes{action="remove_member"} = %v, want 1`, got)
	}

	if code, _ := s.call(http.MethodGet, "/plan", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /plan without the token = %d, want 401", code)
	}
	code, body := s.call(http.MethodGet, "/plan", "first-token")
	if code != http.StatusOK {
		t.Fatalf("GET /plan = %d %q", code, body)
	}
	var got, exp map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want.Bytes(), &exp); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("GET /plan:\n%s\nwant what plan --format json prints:\n%s", body, want.String())
	}

	// Rotation: the file's new token works at once and the old one stops.
	if err := os.WriteFile(tokenFile, []byte("second-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _ := s.call(http.MethodGet, "/plan", "first-token"); code != http.StatusUnauthorized {
		t.Errorf("GET /plan with the rotated-out token = %d, want 401", code)
	}
	if code, _ := s.call(http.MethodGet, "/plan", "second-token"); code != http.StatusOK {
		t.Errorf("GET /plan with the new token = %d, want 200", code)
	}
	if strings.Contains(s.stderr.String(), "first-token") || strings.Contains(s.stderr.String(), "second-token") {
		t.Error("a trigger token appears in the log")
	}
	if n := sim.Stats().Mutations; n != 0 {
		t.Errorf("%d mutations in all", n)
	}
}

// TestServeDryRunFromMapping: sync.dry_run: true in the mapping, as serve
// starts, makes it a dry run without the flag.
func TestServeDryRunFromMapping(t *testing.T) {
	sim, h := basic(t)
	f, err := os.OpenFile(h.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("sync:\n  dry_run: true\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s := startServe(t, func(k string) string { return h.env[k] }, "--config", h.config, "--log-level", "warn")
	s.waitRuns(1)
	if got := s.metric("teamsync_dry_run"); got != 1 {
		t.Errorf("teamsync_dry_run = %v, want 1", got)
	}
	if n := sim.Stats().Mutations; n != 0 {
		t.Errorf("sync.dry_run: true sent %d mutations", n)
	}
}
