package daemon

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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
