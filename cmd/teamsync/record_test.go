package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
	"github.com/teamsync/teamsync/internal/testutil"
	"github.com/teamsync/teamsync/sync/record"
)

// withAuditLog points the harness's mapping at a fresh audit log and
// returns its path.
func withAuditLog(t *testing.T, h *harness) string {
	t.Helper()
	trail := filepath.Join(t.TempDir(), "audit.jsonl")
	f, err := os.OpenFile(h.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("sync:\n  audit_log: " + trail + "\n"); err != nil {
		t.Fatal(err)
	}
	return trail
}

// jsonLines decodes one JSON object per line.
func jsonLines(t *testing.T, text string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if line == "" {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		out = append(out, v)
	}
	return out
}

// summaryLines are the run summary lines of a JSON log.
func summaryLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range jsonLines(t, log) {
		if l["msg"] == record.MsgFinished {
			out = append(out, l)
		}
	}
	return out
}

// TestApplyInterruptedIsCancelled: SIGINT or SIGTERM during the CLI's apply
// is recorded as the daemon records a shutdown: the change in flight
// finishes, the rest are skipped and get no audit line, the run line says
// cancelled, and apply exits 1.
func TestApplyInterruptedIsCancelled(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "scenarios", "basic")
	seed, err := bksim.LoadState(filepath.Join(dir, "buildkite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sim, _ := bksimtest.Start(t, seed)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The signal arrives while the first write is being answered.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sim.ServeHTTP(w, r)
		if sim.Stats().Mutations == 1 {
			cancel()
		}
	}))
	t.Cleanup(srv.Close)
	h := newHarness(t, dir, srv.URL, nil)
	trail := withAuditLog(t, h)

	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"apply", "--format", "json", "--config", h.config, "--log-format", "json"},
		env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return h.env[k] }})
	if code != exitError {
		t.Fatalf("apply exit %d, want 1\nstderr:\n%s", code, stderr.String())
	}
	if n := sim.Stats().Mutations; n != 1 {
		t.Fatalf("%d mutations, want 1: nothing starts after the signal", n)
	}

	var out struct {
		Changes []struct{ Status, Error string }
		Summary map[string]int
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("stdout: %v\n%s", err, stdout.String())
	}
	var statuses []string
	for _, c := range out.Changes {
		statuses = append(statuses, c.Status+" "+c.Error)
	}
	want := []string{"applied ", "skipped not attempted: the run was cancelled",
		"skipped not attempted: the run was cancelled", "skipped not attempted: the run was cancelled"}
	if !slices.Equal(statuses, want) {
		t.Errorf("statuses:\n%s\nwant:\n%s", strings.Join(statuses, "\n"), strings.Join(want, "\n"))
	}
	if s := out.Summary; s["applied"] != 1 || s["failed"] != 0 || s["skipped"] != 3 {
		t.Errorf("summary = %v, want 1 applied, 0 failed, 3 skipped", s)
	}

	raw, err := os.ReadFile(trail)
	if err != nil {
		t.Fatal(err)
	}
	lines := jsonLines(t, string(raw))
	if len(lines) != 2 || lines[0]["status"] != "applied" || lines[1]["result"] != "cancelled" || lines[1]["trigger"] != "cli" {
		t.Errorf("audit lines = %v, want the one applied change and a cancelled run line", lines)
	}

	sums := summaryLines(t, stderr.String())
	if len(sums) != 1 || sums[0]["result"] != "cancelled" || sums[0]["not_attempted"] != 3.0 || sums[0]["run_id"] != lines[1]["run_id"] {
		t.Errorf("summary lines = %v, want one saying cancelled with 3 not attempted, under the audit log's run id", sums)
	}
}

// TestApplyAndServeShareTheSummaryLine: the CLI's apply and the daemon
// end a run with the same summary line, key for key.
func TestApplyAndServeShareTheSummaryLine(t *testing.T) {
	_, h := basic(t)
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"apply", "--config", h.config, "--log-format", "json"},
		env{stdout: io.Discard, stderr: &stderr, getenv: func(k string) string { return h.env[k] }}); code != 0 {
		t.Fatalf("apply exit %d\n%s", code, stderr.String())
	}
	cli := summaryLines(t, stderr.String())

	_, h = basic(t)
	daemon := summaryLines(t, serveOneRun(t, h))
	if len(cli) != 1 || len(daemon) != 1 {
		t.Fatalf("summary lines: cli %v, daemon %v; want one each", cli, daemon)
	}
	cliKeys, daemonKeys := slices.Sorted(maps.Keys(cli[0])), slices.Sorted(maps.Keys(daemon[0]))
	if !slices.Equal(cliKeys, daemonKeys) {
		t.Errorf("summary keys differ:\ncli    %v\ndaemon %v", cliKeys, daemonKeys)
	}
	if cli[0]["trigger"] != "cli" || daemon[0]["trigger"] != "startup" {
		t.Errorf("triggers: cli %v, daemon %v", cli[0]["trigger"], daemon[0]["trigger"])
	}
	for _, sum := range []map[string]any{cli[0], daemon[0]} {
		if sum["result"] != "success" || sum["applied"] != 4.0 {
			t.Errorf("summary line %v, want success with 4 applied", sum)
		}
	}
}

// serveOneRun runs `teamsync serve` until its startup run has finished,
// stops it, and returns its JSON log.
func serveOneRun(t *testing.T, h *harness) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &testutil.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", addr, "--config", h.config, "--log-format", "json"},
			env{stdout: io.Discard, stderr: stderr, getenv: func(k string) string { return h.env[k] }})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), `"msg":"`+record.MsgFinished+`"`) {
		if time.Now().After(deadline) {
			t.Fatalf("the startup run never finished; stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
	return stderr.String()
}
