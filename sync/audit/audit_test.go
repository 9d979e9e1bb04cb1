package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

var fixed = time.Date(2026, 3, 26, 21, 5, 32, 159_000_000, time.FixedZone("CET", 3600))

func fixedNow() time.Time { return fixed }

func TestChangeLines(t *testing.T) {
	tests := []struct {
		name   string
		change plan.Change
		want   string
	}{
		{
			name: "applied add with groups",
			change: plan.Change{Action: plan.ActionAddMember, Team: "platform", Email: "a@acme.com",
				Role: model.RoleMaintainer, Groups: []string{"okta:Platform Engineers", "users"}, Status: plan.StatusApplied},
			want: `{"time":"2026-03-26T20:05:32.159Z","run_id":"r1","trigger":"cron","action":"add_member","team":"platform","email":"a@acme.com","role":"maintainer","groups":["okta:Platform Engineers","users"],"status":"applied"}`,
		},
		{
			name: "failed role change keeps from_role and error",
			change: plan.Change{Action: plan.ActionUpdateRole, Team: "platform", Email: "b@acme.com",
				FromRole: model.RoleMaintainer, Role: model.RoleMember, Status: plan.StatusFailed, Error: "buildkite: boom"},
			want: `{"time":"2026-03-26T20:05:32.159Z","run_id":"r1","trigger":"cron","action":"update_role","team":"platform","email":"b@acme.com","role":"member","from_role":"maintainer","status":"failed","error":"buildkite: boom"}`,
		},
		{
			name:   "team creation has no person",
			change: plan.Change{Action: plan.ActionCreateTeam, Team: "mobile", Status: plan.StatusApplied},
			want:   `{"time":"2026-03-26T20:05:32.159Z","run_id":"r1","trigger":"cron","action":"create_team","team":"mobile","status":"applied"}`,
		},
		{
			name: "invitation lists its teams",
			change: plan.Change{Action: plan.ActionInvite, Email: "d@acme.com",
				Teams: []model.TeamRole{{Team: "platform", Role: model.RoleMember}}, Status: plan.StatusApplied},
			want: `{"time":"2026-03-26T20:05:32.159Z","run_id":"r1","trigger":"cron","action":"invite","email":"d@acme.com","teams":[{"team":"platform","role":"member"}],"status":"applied"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := New(&buf, fixedNow)
			if err := l.Change("r1", TriggerCron, tt.change); err != nil {
				t.Fatalf("Change: %v", err)
			}
			if got := buf.String(); got != tt.want+"\n" {
				t.Errorf("line\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestRunLine(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, fixedNow)
	sum := plan.Summary{AddMember: 2, RemoveMember: 1, Held: 1, Applied: 2, Failed: 1}
	if err := l.Run("r2", TriggerOktaHook, sum, 1500*time.Millisecond+400*time.Microsecond, "error", Cost{ReadMode: "audit", BuildkitePoints: 11}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := `{"time":"2026-03-26T20:05:32.159Z","run_id":"r2","trigger":"okta-hook","summary":{"create_team":0,"add_member":2,"update_role":0,"remove_member":1,"invite":0,"held":1,"unplaced":0,"errors":0,"applied":2,"failed":1},"duration_ms":1500,"result":"error","read_mode":"audit","buildkite_points":11}` + "\n"
	if got := buf.String(); got != want {
		t.Errorf("line\n got %s\nwant %s", got, want)
	}
}

func TestOpen(t *testing.T) {
	tests := []struct {
		name    string
		path    func(dir string) string
		enabled bool
		wantErr string
	}{
		{name: "empty path disables", path: func(string) string { return "" }},
		{name: "dash is stderr", path: func(string) string { return Stderr }, enabled: true},
		{name: "file", path: func(dir string) string { return filepath.Join(dir, "audit.jsonl") }, enabled: true},
		{
			name:    "missing directory",
			path:    func(dir string) string { return filepath.Join(dir, "nope", "audit.jsonl") },
			wantErr: "audit log: open ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Open(tt.path(t.TempDir()), fixedNow)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "no such file or directory") {
					t.Fatalf("Open error = %v, want %q… no such file or directory", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer l.Close()
			if got := l.Enabled(); got != tt.enabled {
				t.Errorf("Enabled() = %v, want %v", got, tt.enabled)
			}
		})
	}
}

func TestDisabledAndNilWriteNothing(t *testing.T) {
	l, err := Open("", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	var nilLog *Log
	for _, lg := range []*Log{l, nilLog} {
		if err := lg.Change("r", TriggerCLI, plan.Change{Action: plan.ActionAddMember}); err != nil {
			t.Errorf("Change on disabled log: %v", err)
		}
		if err := lg.Run("r", TriggerCLI, plan.Summary{}, 0, "success", Cost{}); err != nil {
			t.Errorf("Run on disabled log: %v", err)
		}
		if err := lg.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

func TestFileIsAppendedNeverRewritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, []byte("{\"earlier\":true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"a", "b"} {
		l, err := Open(path, fixedNow)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if err := l.Run(id, TriggerCron, plan.Summary{}, 0, "success", Cost{}); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 || lines[0] != `{"earlier":true}` ||
		!strings.Contains(lines[1], `"run_id":"a"`) || !strings.Contains(lines[2], `"run_id":"b"`) {
		t.Errorf("file after two opens:\n%s", data)
	}
}

func TestNewFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %04o, want 0600", got)
	}
}

// TestOpenRefusesSymlink checks that a symbolic link where the audit log
// should be is refused, whether it points at a file or at nothing, and
// that its target is neither written nor created.
func TestOpenRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "victim")
	if err := os.WriteFile(existing, []byte("keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	absent := filepath.Join(dir, "absent")
	for name, target := range map[string]string{"to a file": existing, "to nothing": absent} {
		t.Run(name, func(t *testing.T) {
			link := filepath.Join(t.TempDir(), "audit.jsonl")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			l, err := Open(link, fixedNow)
			want := "audit log: " + link + " is a symbolic link, which teamsync does not follow; name the file itself"
			if err == nil || err.Error() != want {
				l.Close()
				t.Fatalf("Open(link) error = %v\nwant %s", err, want)
			}
		})
	}
	if data, err := os.ReadFile(existing); err != nil || string(data) != "keep\n" {
		t.Errorf("link target now holds %q (%v), want it untouched", data, err)
	}
	if _, err := os.Lstat(absent); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("link target was created: %v", err)
	}
}

// TestOpenStderr checks that "-" writes to standard error, which Close
// leaves open.
func TestOpenStderr(t *testing.T) {
	l, err := Open(Stderr, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if l.w != os.Stderr || l.c != nil {
		t.Errorf("Open(%q) writes to %v (closer %v), want os.Stderr and no closer", Stderr, l.w, l.c)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := os.Stderr.Stat(); err != nil {
		t.Errorf("stderr after Close: %v", err)
	}
}

func TestWriteAfterClose(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "a.jsonl"), fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Run("r", TriggerCron, plan.Summary{}, 0, "success", Cost{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close = %v, want ErrClosed", err)
	}
}

func TestConcurrentWritesKeepWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				c := plan.Change{Action: plan.ActionAddMember, Team: "t", Email: strings.Repeat("x", w*i%40) + "@acme.com", Status: plan.StatusApplied}
				if err := l.Change("r", TriggerCron, c); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %q", n+1, sc.Text())
		}
		n++
	}
	if n != writers*each {
		t.Errorf("lines = %d, want %d", n, writers*each)
	}
}
