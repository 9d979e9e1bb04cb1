package daemon

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/reconcile"
)

func TestBrokenMappingKeepsTheLastGoodOne(t *testing.T) {
	t.Parallel()
	o := platformSetup()
	h := start(t, o)
	h.waitRuns(1)

	// A typo in a key: the file no longer validates.
	h.writeMapping(h.mappingFile("@every 1s", o.teams+"    colour: red\n"))
	_, loadErr := config.Load(h.mapping)
	if loadErr == nil {
		t.Fatal("the broken mapping loads")
	}
	// The IdP changes meanwhile; the last good mapping still syncs it.
	h.setGroup("Platform Engineers", "alice@acme.com", "carol@acme.com")
	h.tick(time.Second)
	h.waitRuns(2)

	if got := h.metric("teamsync_config_reload_failures_total"); got != 1 {
		t.Errorf("reload failures = %v, want 1", got)
	}
	if want := []string{"alice@acme.com:member", "carol@acme.com:member"}; !slices.Equal(h.team("platform"), want) {
		t.Errorf("platform = %v, want %v (synced with the last good mapping)", h.team("platform"), want)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "keeping the last good one") || !strings.Contains(logs, "error="+strconv.Quote(loadErr.Error())) {
		t.Errorf("log does not carry the file:line error %q:\n%s", loadErr, logs)
	}
	if !strings.Contains(loadErr.Error(), filepath.Base(h.mapping)+":") {
		t.Errorf("config error %q names no file:line", loadErr)
	}
	if code, body := h.call(http.MethodGet, "/readyz", nil, nil); code != http.StatusOK {
		t.Errorf("/readyz = %d %q, want 200: a bad file does not make the daemon unready", code, body)
	}

	// Fixed: the next run loads it and the failure count stays.
	h.writeMapping(h.mappingFile("@every 1s", o.teams))
	h.tick(time.Second)
	h.waitRuns(3)
	if got := h.metric("teamsync_config_reload_failures_total"); got != 1 {
		t.Errorf("reload failures after the fix = %v, want 1", got)
	}
}

func TestRunRefusesToStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := func(string) (*config.Mapping, error) {
		return &config.Mapping{Path: "m.yaml", Sync: config.Sync{Schedule: "@every 1s"}}, nil
	}
	connect := func(context.Context, *config.Mapping) (*reconcile.Clients, error) {
		return nil, errors.New("unused")
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{
			name: "no connector",
			cfg:  Config{Load: good},
			want: "daemon: Config.Connect is required",
		},
		{
			name: "mapping does not load",
			cfg: Config{Connect: connect, Load: func(string) (*config.Mapping, error) {
				return nil, errors.New("m.yaml:3: teams[0]: unknown key \"colour\"")
			}},
			want: "daemon: m.yaml:3: teams[0]: unknown key \"colour\"",
		},
		{
			name: "bad schedule",
			cfg: Config{Connect: connect, Load: func(string) (*config.Mapping, error) {
				return &config.Mapping{Path: "m.yaml", Sync: config.Sync{Schedule: "every day"}}, nil
			}},
			want: "daemon: m.yaml: sync.schedule \"every day\": ",
		},
		{
			name: "audit log cannot be opened",
			cfg: Config{Connect: connect, Load: func(string) (*config.Mapping, error) {
				return &config.Mapping{Path: "m.yaml", Sync: config.Sync{AuditLog: filepath.Join(dir, "missing", "a.jsonl")}}, nil
			}},
			want: "daemon: audit log: open " + filepath.Join(dir, "missing", "a.jsonl") + ": no such file or directory",
		},
		{
			name: "address in use",
			cfg:  Config{Connect: connect, Load: good, Listen: busy.Addr().String()},
			want: "daemon: listen tcp " + busy.Addr().String() + ": bind: address already in use",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Run(context.Background(), tt.cfg)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Run() = %v, want %q", err, tt.want)
			}
		})
	}
}

// withAuditLog is the harness's mapping file with another audit_log.
func (h *harness) withAuditLog(content, path string) string {
	h.t.Helper()
	out := strings.Replace(content, "audit_log: "+h.audit+"\n", "audit_log: "+path+"\n", 1)
	if out == content {
		h.t.Fatal("the mapping has no audit_log line to replace")
	}
	return out
}

// TestUnopenableAuditLogKeepsTheNewMapping: a valid mapping whose new
// audit_log cannot be opened still takes effect; its records go on to the
// previous audit log, and the failure is reported as what it is, not as a
// mapping that does not validate.
func TestUnopenableAuditLogKeepsTheNewMapping(t *testing.T) {
	t.Parallel()
	o := platformSetup()
	h := start(t, o)
	h.waitRuns(1)

	bad := filepath.Join(h.dir, "missing", "audit.jsonl")
	teams := o.teams + "      - users: [dave@acme.com]\n        role: maintainer\n"
	h.writeMapping(h.withAuditLog(h.mappingFile("@every 1s", teams), bad))
	h.tick(time.Second)
	h.waitRuns(2)

	want := []string{"alice@acme.com:member", "bob@acme.com:member", "dave@acme.com:maintainer"}
	if got := h.team("platform"); !slices.Equal(got, want) {
		t.Errorf("platform = %v, want %v (the new mapping)", got, want)
	}
	if got := h.metric("teamsync_config_reload_failures_total"); got != 0 {
		t.Errorf("reload failures = %v, want 0: the mapping is valid", got)
	}
	if got := h.metric("teamsync_audit_log_errors_total"); got != 1 {
		t.Errorf("audit log errors = %v, want 1", got)
	}
	logs := h.logs.String()
	if strings.Contains(logs, "keeping the last good one") {
		t.Errorf("a valid mapping was reported as not validating:\n%s", logs)
	}
	wantLog := `msg="the new audit log cannot be opened; the mapping takes effect, audit records still go to the previous audit log"` +
		` run_id=`
	wantErr := `audit_log=` + bad + ` previous_audit_log=` + h.audit + ` error="audit log: open ` + bad + `: no such file or directory"`
	if !strings.Contains(logs, wantLog) || !strings.Contains(logs, wantErr) {
		t.Errorf("log lacks %s … %s:\n%s", wantLog, wantErr, logs)
	}
	var changes []string
	for _, l := range h.changeLines("cron") {
		changes = append(changes, l.Action+" "+l.Email+" "+l.Status)
	}
	if w := []string{"add_member dave@acme.com applied"}; !slices.Equal(changes, w) {
		t.Errorf("cron change lines in the previous audit log = %v, want %v", changes, w)
	}
	if runs := h.runLines(); len(runs) != 2 || runs[1].Trigger != "cron" || runs[1].Result != "success" {
		t.Errorf("run lines in the previous audit log = %+v, want startup and a successful cron run", runs)
	}

	// Once the path can be opened, the next run writes there.
	next := filepath.Join(h.dir, "audit2.jsonl")
	h.writeMapping(h.withAuditLog(h.mappingFile("@every 1s", teams), next))
	h.tick(time.Second)
	h.waitRuns(3)
	data, err := os.ReadFile(next)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); len(lines) != 1 || !strings.Contains(lines[0], `"result":"success"`) {
		t.Errorf("new audit log = %q, want the third run's line", data)
	}
	if got := len(h.runLines()); got != 2 {
		t.Errorf("run lines in the previous audit log = %d, want still 2", got)
	}
}

// TestAuditLogIsOpenedOutsideTheLock: while a new audit log is being
// opened (a slow mount, a FIFO), the endpoints that take the daemon's lock
// still answer.
func TestAuditLogIsOpenedOutsideTheLock(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	next := ""
	o := platformSetup()
	o.connect = func(h *harness) {
		next = filepath.Join(h.dir, "audit2.jsonl")
		h.openAudit = func(path string, now func() time.Time) (*audit.Log, error) {
			if path == next {
				close(entered)
				<-release
			}
			return audit.Open(path, now)
		}
	}
	h := start(t, o)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	h.waitRuns(1)

	h.writeMapping(h.withAuditLog(h.mappingFile("@every 1s", o.teams), next))
	h.tick(time.Second)
	await(t, "the run to open the new audit log", entered)

	type answer struct {
		code int
		body string
	}
	answered := make(chan answer, 1)
	go func() {
		code, body := h.call(http.MethodPost, "/sync", map[string]string{"Authorization": "Bearer " + triggerToken}, nil)
		answered <- answer{code, body}
	}()
	if got := await(t, "POST /sync while the audit log opens", answered); got.code != http.StatusConflict {
		t.Errorf("POST /sync during the open = %d %q, want 409 (the run is going)", got.code, got.body)
	}
	go func() {
		code, body := h.call(http.MethodGet, "/readyz", nil, nil)
		answered <- answer{code, body}
	}()
	if got := await(t, "/readyz while the audit log opens", answered); got.code != http.StatusOK {
		t.Errorf("/readyz during the open = %d %q, want 200", got.code, got.body)
	}

	close(release)
	h.waitRuns(2)
	data, err := os.ReadFile(next)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"trigger":"cron"`) {
		t.Errorf("new audit log = %q, want the cron run's lines", data)
	}
}
