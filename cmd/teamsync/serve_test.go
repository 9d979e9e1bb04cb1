package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/testutil"
)

// TestServe runs `teamsync serve` in-process against the simulator: the
// startup reconcile converges Buildkite, the endpoints answer, metrics
// count the real clients' requests, and cancelling (SIGTERM) exits 0.
func TestServe(t *testing.T) {
	sim, h := basic(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithCancel(context.Background())
	stderr := &testutil.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", addr, "--config", h.config, "--log-level", "warn"},
			env{stdout: io.Discard, stderr: stderr, getenv: func(k string) string { return h.env[k] }})
	}()

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _ := get("/readyz"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("/readyz never became ready; stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	code, body := get("/metrics")
	if code != http.StatusOK || !strings.Contains(body, `teamsync_reconcile_total{result="success"} 1`) ||
		!strings.Contains(body, `teamsync_api_requests_total{api="buildkite"`) {
		t.Errorf("/metrics (%d) lacks the run or the Buildkite requests:\n%s", code, grepLines(body, "teamsync_"))
	}
	resp, err := http.Post("http://"+addr+"/sync", "", nil)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /sync without a token: %v %v", resp.StatusCode, err)
	}
	st := sim.State()
	var platform []string
	for _, team := range st.Teams {
		if team.Slug == "platform" {
			for _, m := range team.Members {
				platform = append(platform, m.Email+" "+m.Role)
			}
		}
	}
	if got := strings.Join(platform, ", "); got != "alice@acme.com maintainer, Bob@Acme.com member, carol@acme.com member, erin@acme.com member" {
		t.Errorf("platform after the startup reconcile: %s", got)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d after cancel; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
}

func grepLines(s, prefix string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
