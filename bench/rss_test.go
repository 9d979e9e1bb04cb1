//go:build linux

package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/teamsync/teamsync/sync/config"
)

// The RSS benchmark runs the real binary, so that the simulators, which
// stay in the test process, are not counted. It reads Linux's figures
// (wait4's maxrss in KiB, /proc/PID/status), hence the build constraint.

const triggerToken = "bench-trigger-token"

// buildBinary builds cmd/teamsync into dir.
func buildBinary(tb testing.TB, dir string) string {
	tb.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "teamsync")
	out, err := exec.Command(gobin, "build", "-o", bin, "github.com/teamsync/teamsync/cmd/teamsync").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// writeMapping writes m, served by r, as mapping.yaml in dir.
func writeMapping(tb testing.TB, dir string, m *config.Mapping) string {
	tb.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "buildkite:\n  organization: %s\n  graphql_url: %s\n", m.Buildkite.Organization, m.Buildkite.GraphQLURL)
	fmt.Fprintf(&b, "okta:\n  org_url: %s\n  user_email: email\n  rate_limit_headroom: 0\n", m.Okta.OrgURL)
	fmt.Fprintf(&b, "sync:\n  schedule: \"@every 24h\"\n  policy: authoritative\n  missing_users: report\n")
	fmt.Fprintf(&b, "  max_removals: %d\n  max_removal_percent: 100\n  audit_log: \"\"\n", m.Sync.MaxRemovals)
	b.WriteString("teams:\n")
	for _, t := range m.Teams {
		fmt.Fprintf(&b, "  - slug: %s\n    groups:\n", t.Slug)
		for _, g := range t.Groups {
			if g.Okta != "" {
				fmt.Fprintf(&b, "      - okta: %q\n        role: %s\n", g.Okta, g.Role)
			} else {
				fmt.Fprintf(&b, "      - users: [%s]\n        role: %s\n", strings.Join(g.Users, ", "), g.Role)
			}
		}
	}
	path := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func binaryEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "BUILDKITE_API_TOKEN=" + bkToken,
		"OKTA_API_TOKEN=" + oktaToken, "TEAMSYNC_TRIGGER_TOKEN=" + triggerToken}
}

// launchEnv makes the test binary a launcher (see TestMain).
const launchEnv = "TEAMSYNC_BENCH_LAUNCH_RSS_TO"

// TestMain, with launchEnv set to a file, runs the command in its
// arguments and writes the command's peak RSS to that file. A process's
// peak RSS as wait4 reports it starts from its parent's at the fork (Linux
// carries it across exec), so the binary is started by this small
// process rather than by the test process, which holds the simulators.
func TestMain(m *testing.M) {
	if out := os.Getenv(launchEnv); out != "" {
		os.Exit(launch(out, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func launch(out string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
	if err := os.WriteFile(out, []byte(strconv.FormatInt(rss, 10)), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return cmd.ProcessState.ExitCode()
}

// runRSS runs the binary to its end and returns its peak RSS in bytes.
func runRSS(tb testing.TB, bin string, args ...string) uint64 {
	tb.Helper()
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	report := filepath.Join(tb.TempDir(), "rss")
	cmd := exec.Command(self, append([]string{bin}, args...)...)
	cmd.Env = append(binaryEnv(), launchEnv+"="+report)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 2) {
		tb.Fatalf("teamsync %s: %v\n%s", strings.Join(args, " "), err, tail(out))
	}
	kib, err := os.ReadFile(report)
	if err != nil {
		tb.Fatal(err)
	}
	n, err := strconv.ParseUint(string(kib), 10, 64)
	if err != nil {
		tb.Fatal(err)
	}
	return n * 1024
}

func tail(b []byte) []byte { return b[max(0, len(b)-2000):] }

// procStatus reads a field of /proc/PID/status (VmHWM, VmRSS) in bytes.
func procStatus(tb testing.TB, pid int, field string) uint64 {
	tb.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb * 1024
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// reconciles is the daemon's teamsync_reconcile_total, all results.
func reconciles(addr string) (int, error) {
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	n := 0
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "teamsync_reconcile_total{") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			n += int(v)
		}
	}
	return n, sc.Err()
}

// serveRSS runs `teamsync serve`, waits for its first run and then
// triggers runs more, each after the one before ended, and returns its
// peak RSS and its RSS after the last run, read from /proc while it runs
// (VmHWM is its own address space's, not inherited).
func serveRSS(tb testing.TB, bin, mapping string, runs int, env ...string) (hwm, rss uint64) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--config", mapping, "--listen", addr)
	cmd.Env = append(binaryEnv(), env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	wait := func(n int) {
		deadline := time.Now().Add(5 * time.Minute)
		for time.Now().Before(deadline) {
			if got, err := reconciles(addr); err == nil && got >= n {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		tb.Fatalf("serve did not finish run %d\n%s", n, out.String())
	}
	wait(1)
	for i := 2; i <= runs; i++ {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://"+addr+"/sync", nil)
		req.Header.Set("Authorization", "Bearer "+triggerToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			tb.Fatalf("POST /sync: %s", res.Status)
		}
		wait(i)
	}
	return procStatus(tb, cmd.Process.Pid, "VmHWM"), procStatus(tb, cmd.Process.Pid, "VmRSS")
}

// BenchmarkRSSLarge measures the peak RSS of the real teamsync binary on
// the 10,000-person organization (OrgL), the simulators staying in the
// test process: plan and apply of 400 changes, the no-op plan after it,
// and serve after five runs (its first, full, and four triggered, quiet).
// It is what the targets and the manifests' limits are about.
//
//	go test ./bench -run '^$' -bench RSSLarge -benchtime 1x
func BenchmarkRSSLarge(b *testing.B) {
	dir := b.TempDir()
	bin := buildBinary(b, dir)
	for range b.N {
		r := Start(b, driftedL().Build())
		mapping := writeMapping(b, dir, r.Mapping)
		b.ReportMetric(float64(runRSS(b, bin, "plan", "--config", mapping))/1e6, "plan-MB")
		b.ReportMetric(float64(runRSS(b, bin, "apply", "--config", mapping))/1e6, "apply-MB")
		b.ReportMetric(float64(runRSS(b, bin, "plan", "--config", mapping))/1e6, "noop-plan-MB")
		hwm, rss := serveRSS(b, bin, mapping, 5)
		b.ReportMetric(float64(hwm)/1e6, "serve-peak-MB")
		b.ReportMetric(float64(rss)/1e6, "serve-after-MB")
	}
}
