package deploy

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// unitSettings reads a systemd unit's Key=Value lines of one section, in
// order, comments left out.
func unitSettings(t *testing.T, raw []byte, section string) [][2]string {
	t.Helper()
	var out [][2]string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			in = line == "["+section+"]"
		case in:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("not Key=Value: %q", line)
			}
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

// TestSystemdUnit: the unit runs as a dynamic user that cannot read the
// root-only credential files, so systemd hands them over with
// LoadCredential=; no secret is in the environment, and the endpoint
// secrets are named as files in $CREDENTIALS_DIRECTORY (%d). Where
// systemd-analyze is installed, the unit must verify without a word of
// complaint.
func TestSystemdUnit(t *testing.T) {
	raw, err := os.ReadFile("systemd/teamsync.service")
	if err != nil {
		t.Fatal(err)
	}
	settings := unitSettings(t, raw, "Service")
	get := func(key string) []string {
		var vs []string
		for _, kv := range settings {
			if kv[0] == key {
				vs = append(vs, kv[1])
			}
		}
		return vs
	}
	if got := get("DynamicUser"); !slices.Equal(got, []string{"yes"}) {
		t.Errorf("DynamicUser = %q, want yes", got)
	}
	if got := get("EnvironmentFile"); len(got) > 0 {
		t.Errorf("EnvironmentFile = %q: secrets belong in LoadCredential=", got)
	}
	creds := map[string]string{}
	for _, v := range get("LoadCredential") {
		id, src, _ := strings.Cut(v, ":")
		creds[id] = src
		if !strings.HasPrefix(src, "/etc/teamsync/credentials/") {
			t.Errorf("LoadCredential=%s: the source should be in /etc/teamsync/credentials", v)
		}
	}
	for _, id := range []string{"buildkite-token", "okta-token", "trigger-token", "okta-hook-secret", "google-sa.json"} {
		if creds[id] == "" {
			t.Errorf("no LoadCredential= for %s", id)
		}
	}
	env := strings.Join(get("Environment"), " ")
	for _, want := range []string{"TEAMSYNC_TRIGGER_TOKEN_FILE=%d/trigger-token", "TEAMSYNC_OKTA_HOOK_SECRET_FILE=%d/okta-hook-secret"} {
		if !strings.Contains(env, want) {
			t.Errorf("Environment= lacks %s", want)
		}
	}
	for _, secret := range []string{"BUILDKITE_API_TOKEN", "OKTA_API_TOKEN", "TEAMSYNC_TRIGGER_TOKEN=", "TEAMSYNC_OKTA_HOOK_SECRET="} {
		if strings.Contains(env, secret) {
			t.Errorf("Environment= holds a secret: %s", secret)
		}
	}
	// The mapping the unit's comment tells people to write names the
	// credentials through $CREDENTIALS_DIRECTORY.
	for _, want := range []string{"token_file: ${CREDENTIALS_DIRECTORY}/buildkite-token", "credentials_file: ${CREDENTIALS_DIRECTORY}/google-sa.json"} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("the unit's install notes do not show %q", want)
		}
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze is not installed: the unit is checked above but not verified by systemd")
		return
	}
	// verify wants ExecStart's binary to exist; a stand-in takes its place.
	dir := t.TempDir()
	bin := filepath.Join(dir, "teamsync")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(dir, "teamsync.service")
	if err := os.WriteFile(unit, bytes.ReplaceAll(raw, []byte("/usr/local/bin/teamsync"), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		// Unknown keys and bad values are warnings with exit 0: any output fails.
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
