package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/testutil"
)

func noEnv(string) string { return "" }

// TestDemo: the plain demo shows the mapping and where it starts, gives a
// reason for every removal and each step's exit code with its meaning,
// and never says Buildkite matches while an invitation is pending.
func TestDemo(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"demo", "--log-level", "warn"}, env{stdout: &stdout, stderr: &stderr, getenv: noEnv})
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		// the mapping and the starting state
		"  platform  ← okta:Platform Engineers as member; okta:Platform Leads as maintainer\n",
		"  security  ← okta:Security as member; users alice@acme.com as maintainer  (created if missing)\n",
		"  policy authoritative · protected ci-bot@acme.com · at most 10 removals a run · people not in Buildkite: invited\n",
		"    Platform Engineers  alice@acme.com, bob@acme.com, carol@acme.com, dave@acme.com (SUSPENDED), Heidi@Acme.com (PASSWORD_EXPIRED)\n",
		"    ios@acme.com           frank@acme.com (SUSPENDED), erin@acme.com\n",
		"    legacy    mallory@acme.com (maintainer)  — not in the mapping: never touched\n",
		"    security  (does not exist yet)\n",
		// the steps, with reasons and exit codes
		"valid (3 teams, 6 group entries)",
		"\n→ exit 0: the mapping is valid\n",
		"  - remove dave@acme.com (member): suspended in okta:Platform Engineers\n",
		"  - remove frank@acme.com (member): suspended in google:mobile@acme.com\n",
		"  + add    alice@acme.com as maintainer (via users listed in mapping.yaml)\n",
		"\n→ exit 0: planned; nothing was written\n",
		"+ invite judy@acme.com to security as member (via okta:Security)  [applied]",
		"Apply: 10 applied, 0 failed.",
		"\n→ exit 0: every change was applied\n",
		"? judy@acme.com for security: invitation_pending (via okta:Security)",
		"\n→ exit 0: nothing left to change (--detailed-exitcode would say 2 if there were)\n",
		"Still pending, and not teamsync's to finish: judy@acme.com has an invitation to join (teams: security).",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(out, "match") {
		t.Errorf("the demo says something matches while judy's invitation is pending:\n%s", out)
	}
	if strings.Contains(out, "(via users)") {
		t.Error(`the demo still says "(via users)"`)
	}
	dir := between(out, "The demo's files are in ", " (removed on exit")
	if _, err := os.Stat(dir); dir == "" || !os.IsNotExist(err) {
		t.Errorf("the demo's directory %q is still there after it exited (%v)", dir, err)
	}
}

// TestDemoRefusesFlagsItIgnores: demo reads its own mapping, so --config
// is a mistake to point out, not to ignore; so is --listen without --serve
// and a --keep directory that already holds files.
func TestDemoRefusesFlagsItIgnores(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--config", "x.yaml"},
			"teamsync: demo runs against its own mapping and does not read --config; use --dir for your own seed files\nRun 'teamsync demo --help' for usage.\n"},
		{[]string{"--config", "x.yaml", "demo"},
			"teamsync: demo runs against its own mapping and does not read --config; use --dir for your own seed files\nRun 'teamsync demo --help' for usage.\n"},
		{[]string{"demo", "--listen", "127.0.0.1:0"},
			"teamsync: --listen is for demo --serve\nRun 'teamsync demo --help' for usage.\n"},
		{[]string{"demo", "--serve", "--listen", "0.0.0.0:9090"},
			"teamsync: --listen \"0.0.0.0:9090\": the demo listens on loopback only (127.0.0.1 or ::1)\nRun 'teamsync demo --help' for usage.\n"},
		{[]string{"demo", "--keep", full},
			"teamsync: --keep " + full + ": the directory is not empty; name a new or empty one\nRun 'teamsync demo --help' for usage.\n"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, env{stdout: &stdout, stderr: &stderr, getenv: noEnv})
		if code != exitError || stdout.Len() != 0 || stderr.String() != tt.want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", tt.args, code, stdout.String(), stderr.String(), tt.want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(full, "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("the refused --keep directory was touched: %q %v", b, err)
	}
}

// TestDemoKeep: --keep DIR leaves the mapping it validated, the key and
// the audit log of the apply in DIR.
func TestDemoKeep(t *testing.T) {
	keep := filepath.Join(t.TempDir(), "demo-files")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"demo", "--keep", keep, "--log-level", "warn"}, env{stdout: &stdout, stderr: &stderr, getenv: noEnv}); code != 0 {
		t.Fatalf("demo --keep exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "\nThe files are kept in "+keep+": ") {
		t.Errorf("demo --keep does not say where the files are:\n%s", stdout.String())
	}
	if !strings.Contains(stdout.String(), keep+"/mapping.yaml: valid") {
		t.Error("demo --keep did not validate the mapping it keeps")
	}
	audit, err := os.ReadFile(filepath.Join(keep, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// ten changes and a run line from apply
	if n := strings.Count(string(audit), "\n"); n != 11 {
		t.Errorf("audit.jsonl has %d lines, want 11:\n%s", n, audit)
	}
	if _, err := os.Stat(filepath.Join(keep, "mapping.yaml")); err != nil {
		t.Error(err)
	}
}

// TestDemoServe starts `teamsync demo --serve` in-process, then does what
// its output says, with net/http instead of curl: the metrics, a reconcile
// now, the last plan, a change in the simulated Okta, the event hook
// delivery, and the team in the simulated Buildkite until the change has
// arrived. Ctrl-C (cancelling the context) exits 0 and removes the files.
func TestDemoServe(t *testing.T) {
	stdout, stderr := &testutil.Buffer{}, &testutil.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--serve", "--log-level", "warn"}, env{stdout: stdout, stderr: stderr, getenv: noEnv})
	}()
	waitForText(t, stdout, "Ctrl-C stops", done)
	out := stdout.String()
	cmds := curlLines(t, out)
	if len(cmds) != 7 {
		t.Fatalf("%d curl lines, want 7:\n%s", len(cmds), out)
	}
	metrics, sync, lastPlan, addToOkta, hook, team, undo := cmds[0], cmds[1], cmds[2], cmds[3], cmds[4], cmds[5], cmds[6]

	if code, body := metrics.do(t); code != http.StatusOK || !strings.Contains(body, `teamsync_reconcile_total{result="success"} 1`) {
		t.Errorf("metrics: %d, want 200 counting the startup run:\n%s", code, grepLines(body, "teamsync_reconcile"))
	}
	if code, body := sync.do(t); code != http.StatusAccepted || !strings.Contains(body, `"trigger":"manual"`) {
		t.Errorf("POST /sync: %d %q, want 202", code, body)
	}
	waitFor(t, "the manual run", func() bool {
		_, body := metrics.do(t)
		return strings.Contains(body, `teamsync_reconcile_total{result="success"} 2`)
	})
	code, body := lastPlan.do(t)
	var p struct {
		Changes  []json.RawMessage
		Unplaced []struct{ Email, Reason string }
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &p) != nil || len(p.Changes) != 0 ||
		len(p.Unplaced) != 1 || p.Unplaced[0].Email != "judy@acme.com" {
		t.Errorf("GET /plan: %d %s; want the converged plan with judy's pending invitation", code, body)
	}

	if code, body := team.do(t); code != http.StatusOK || strings.Contains(body, "erin@acme.com") {
		t.Fatalf("team before the change: %d %q; want it without erin", code, body)
	}
	if !strings.Contains(out, `# 1. an admin adds erin@acme.com to the Okta group "Platform Engineers"`) {
		t.Errorf("the guide does not say which change it makes:\n%s", out)
	}
	if code, body := addToOkta.do(t); code != http.StatusCreated {
		t.Fatalf("the Okta change: %d %q", code, body)
	}
	if code, body := hook.do(t); code != http.StatusOK {
		t.Fatalf("the hook delivery: %d %q", code, body)
	}
	waitFor(t, "erin to arrive in the simulated Buildkite team", func() bool {
		_, body := team.do(t)
		return strings.Contains(body, "  erin@acme.com member\n")
	})
	if code, body := undo.do(t); code != http.StatusOK {
		t.Errorf("taking the change back: %d %q", code, body)
	}

	dir := between(out, "  files           ", "   (")
	if _, err := os.Stat(filepath.Join(dir, "mapping.yaml")); err != nil {
		t.Errorf("the files line names %q: %v", dir, err)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("demo --serve exited %d after Ctrl-C; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("demo --serve did not stop after Ctrl-C")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there after Ctrl-C (%v)", dir, err)
	}
	if !strings.Contains(stdout.String(), "Stopped: the daemon and the simulators are gone, and "+dir+" is removed.") {
		t.Errorf("demo --serve does not say it cleaned up:\n%s", stdout.String())
	}
	if strings.Contains(stderr.String(), "level=ERROR") {
		t.Errorf("demo --serve logged an error:\n%s", stderr.String())
	}
}

// TestDemoServeKeep: with --keep the files stay after Ctrl-C, the audit
// log holding the startup run.
func TestDemoServeKeep(t *testing.T) {
	keep := filepath.Join(t.TempDir(), "kept")
	stdout := &testutil.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--serve", "--keep", keep, "--log-level", "error"}, env{stdout: stdout, stderr: io.Discard, getenv: noEnv})
	}()
	waitForText(t, stdout, "Ctrl-C stops", done)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
	audit, err := os.ReadFile(filepath.Join(keep, "audit.jsonl"))
	if err != nil || !strings.Contains(string(audit), `"trigger":"startup"`) {
		t.Errorf("kept audit log: %v\n%s", err, audit)
	}
	if !strings.Contains(stdout.String(), "The files are kept in "+keep) {
		t.Errorf("output does not say the files are kept:\n%s", stdout.String())
	}
}

// curlCmd is one printed curl line, ready to be sent with net/http.
type curlCmd struct {
	method, url, data string
	headers           [][2]string
}

func (c curlCmd) do(t *testing.T) (int, string) {
	t.Helper()
	req, err := http.NewRequest(c.method, c.url, strings.NewReader(c.data))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range c.headers {
		req.Header.Set(h[0], h[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// curlLines parses the curl lines of out: the words curl -sS [-X M]
// [-H 'K: V']… [-d 'DATA'] 'URL', single-quoted as a shell reads them.
func curlLines(t *testing.T, out string) []curlCmd {
	t.Helper()
	var cmds []curlCmd
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "curl ") {
			continue
		}
		words := shellWords(t, line)
		c := curlCmd{method: http.MethodGet}
		for i := 1; i < len(words); i++ {
			switch w := words[i]; w {
			case "-sS":
			case "-X":
				i++
				c.method = words[i]
			case "-H":
				i++
				k, v, _ := strings.Cut(words[i], ": ")
				c.headers = append(c.headers, [2]string{k, v})
			case "-d":
				i++
				c.data = words[i]
			default:
				if !strings.HasPrefix(w, "http://127.0.0.1:") {
					t.Fatalf("curl line %q: unexpected word %q", line, w)
				}
				c.url = w
			}
		}
		cmds = append(cmds, c)
	}
	return cmds
}

// shellWords splits a line into words as a POSIX shell does for the
// quoting curl lines use: spaces between words, single quotes, and the
// '\” idiom for a quote inside a quoted word.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case quoted && ch == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(ch)
		case ch == '\'':
			quoted, inWord = true, true
		case ch == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case ch == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unterminated quote in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// waitForText waits until out holds text, failing if the command exits
// first. It asserts nothing about how long that took.
func waitForText(t *testing.T, out *testutil.Buffer, text string, done chan int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), text) {
		select {
		case code := <-done:
			t.Fatalf("exited %d before printing %q:\n%s", code, text, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("never printed %q:\n%s", text, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFor polls cond until it holds, failing after a generous bound. It
// asserts nothing about how long that took.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// between is the text of s between the first before and the after that
// follows it.
func between(s, before, after string) string {
	_, rest, ok := strings.Cut(s, before)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, after)
	return v
}
