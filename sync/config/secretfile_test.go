//go:build unix

package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestTrimSecret(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"tok", "tok"},
		{"tok\n", "tok"},
		{"tok\r\n", "tok"},
		{"tok\n\n", "tok\n"},
		{"tok\r\n\r\n", "tok\r\n"},
		{"tok \t\n", "tok \t"},
		{" tok", " tok"},
		{"tok\r", "tok\r"},
		{"\n", ""},
		{"", ""},
	} {
		if got := TrimSecret(tc.in); got != tc.want {
			t.Errorf("TrimSecret(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestResolveFileMode checks that a token_file anyone but its owner may
// read or write is refused, naming the setting, the path and the fix.
func TestResolveFileMode(t *testing.T) {
	readable := writeFileMode(t, "bk", "s3cr3t\n", 0o644)
	writable := writeFileMode(t, "okta", "s3cr3t\n", 0o602)
	for _, tc := range []struct {
		secret Secret
		want   string
	}{
		{Secret{File: readable, Key: "buildkite.token_file", Origin: "mapping.yaml", Line: 3},
			"mapping.yaml:3: buildkite.token_file: " + readable + " is readable by others (mode 0644); run: chmod 600 " + readable},
		{Secret{File: writable, Key: "okta.token_file", Origin: "mapping.yaml", Line: 9},
			"mapping.yaml:9: okta.token_file: " + writable + " is writable by others (mode 0602); run: chmod 600 " + writable},
	} {
		got, err := tc.secret.Resolve(env(nil))
		if err == nil || err.Error() != tc.want {
			t.Errorf("Resolve = %q, %v\nwant error: %s", got, err, tc.want)
		}
	}
}

func TestReadSecretFile(t *testing.T) {
	const pem = "-----BEGIN PRIVATE KEY-----\nsecret-key-body\n-----END PRIVATE KEY-----"
	private := writeFile(t, "okta.pem", pem+"\n")
	open := writeFileMode(t, "okta-open.pem", pem+"\n", 0o644)
	missing := filepath.Join(t.TempDir(), "missing.pem")

	got, err := ReadSecretFile("okta.private_key_file", private, nil)
	if err != nil || string(got) != pem {
		t.Errorf("ReadSecretFile(0600) = %q, %v; want the key without its last newline", got, err)
	}

	for _, tc := range []struct {
		name, path, want string
		is               error
	}{
		{"readable by others", open,
			"okta.private_key_file: " + open + " is readable by others (mode 0644); run: chmod 600 " + open, nil},
		{"missing", missing,
			"okta.private_key_file: cannot read " + missing + ": no such file or directory", fs.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadSecretFile("okta.private_key_file", tc.path, nil)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("ReadSecretFile = %q, %v\nwant error: %s", got, err, tc.want)
			}
			if strings.Contains(err.Error(), "secret-key-body") {
				t.Errorf("error shows the key: %s", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
			var e Error
			if !errors.As(err, &e) || e.Path != "okta.private_key_file" {
				t.Errorf("errors.As gave %+v, want an Error for okta.private_key_file", e)
			}
		})
	}
}

// fakeInfo is a FileInfo with a chosen mode and owner.
type fakeInfo struct {
	mode fs.FileMode
	uid  uint32
}

func (f fakeInfo) Name() string       { return "f" }
func (f fakeInfo) Size() int64        { return 1 }
func (f fakeInfo) Mode() fs.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return false }
func (f fakeInfo) Sys() any           { return &syscall.Stat_t{Uid: f.uid} }

// TestCheckPrivate pins which modes are private: none of group's or
// others' bits, except that a root-owned file may be group-readable (a
// Kubernetes Secret volume mounted for the pod's fsGroup).
func TestCheckPrivate(t *testing.T) {
	const user, root = 1000, 0
	for _, tc := range []struct {
		mode fs.FileMode
		uid  uint32
		want string // "" = accepted
	}{
		{0o600, user, ""},
		{0o400, user, ""},
		{0o700, user, ""},
		{0o640, user, "/s is readable by others (mode 0640); run: chmod 600 /s"},
		{0o604, user, "/s is readable by others (mode 0604); run: chmod 600 /s"},
		{0o620, user, "/s is writable by others (mode 0620); run: chmod 600 /s"},
		{0o666, user, "/s is readable by others (mode 0666); run: chmod 600 /s"},
		{0o601, user, "/s is accessible by others (mode 0601); run: chmod 600 /s"},
		{0o440, root, ""},
		{0o640, root, ""},
		{0o660, root, "/s is writable by others (mode 0660); run: chmod 600 /s"},
		{0o644, root, "/s is readable by others (mode 0644); run: chmod 600 /s"},
	} {
		err := checkPrivate("/s", fakeInfo{mode: tc.mode, uid: tc.uid})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("checkPrivate(%04o, uid %d) = %q, want %q", tc.mode, tc.uid, got, tc.want)
		}
	}
}

// TestCheckCredentialsFileModes checks that the key files a mapping names
// must be private, at their line, while the file
// GOOGLE_APPLICATION_CREDENTIALS names (read by Google's library) need
// only be readable.
func TestCheckCredentialsFileModes(t *testing.T) {
	key := writeFileMode(t, "okta.pem", "-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n", 0o644)
	sa := writeFileMode(t, "sa.json", `{"type":"service_account"}`, 0o644)
	bk := map[string]string{"BUILDKITE_API_TOKEN": "t"}

	err := credentialsMapping(t, key, sa).CheckCredentials(env(bk))
	want := "mapping.yaml:6: okta.private_key_file: " + key + " is readable by others (mode 0644); run: chmod 600 " + key + "\n" +
		"mapping.yaml:8: google.credentials_file: " + sa + " is readable by others (mode 0644); run: chmod 600 " + sa
	if err == nil || err.Error() != want {
		t.Errorf("CheckCredentials:\n got: %v\nwant: %s", err, want)
	}

	adc := map[string]string{"BUILDKITE_API_TOKEN": "t", "OKTA_API_TOKEN": "o", "GOOGLE_APPLICATION_CREDENTIALS": sa}
	if err := credentialsMapping(t, "", "").CheckCredentials(env(adc)); err != nil {
		t.Errorf("CheckCredentials with a 0644 GOOGLE_APPLICATION_CREDENTIALS file: %v", err)
	}
}

// TestParseNeedsNoSecretFiles checks that loading a mapping (what offline
// validate does) opens none of the files it names.
func TestParseNeedsNoSecretFiles(t *testing.T) {
	open := writeFileMode(t, "bk", "t\n", 0o644)
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := Parse("mapping.yaml", []byte(doc(
		"buildkite:",
		"  organization: acme",
		"  token_file: "+open,
		"okta:",
		"  org_url: https://acme.okta.com",
		"  client_id: 0oa1",
		"  private_key_file: "+missing,
		"google:",
		"  credentials_file: "+missing,
		"teams:",
		"  - slug: platform",
		"    groups:",
		"      - okta: Platform",
		"      - google: eng@acme.com",
	)))
	if err != nil {
		t.Errorf("Parse: %v", err)
	}
	if _, err := os.Stat(open); err != nil {
		t.Fatal(err)
	}
}

// TestExpandPath: a key file may live in a directory only the environment
// names (systemd's $CREDENTIALS_DIRECTORY); an unset variable is an error,
// never an empty string that would move the file to the root.
func TestExpandPath(t *testing.T) {
	getenv := env(map[string]string{"CREDENTIALS_DIRECTORY": "/run/credentials/teamsync.service", "SUB": "keys"})
	for _, tc := range []struct{ in, want, wantErr string }{
		{"/etc/teamsync/okta.pem", "/etc/teamsync/okta.pem", ""},
		{"${CREDENTIALS_DIRECTORY}/okta.pem", "/run/credentials/teamsync.service/okta.pem", ""},
		{"$CREDENTIALS_DIRECTORY/$SUB/okta.pem", "/run/credentials/teamsync.service/keys/okta.pem", ""},
		{"${NOPE}/okta.pem", "", "${NOPE}/okta.pem names $NOPE, which is not set"},
		{"${NOPE}/${ALSO}/${NOPE}", "", "${NOPE}/${ALSO}/${NOPE} names $NOPE and $ALSO, which are not set"},
	} {
		got, err := ExpandPath(tc.in, getenv)
		switch {
		case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
			t.Errorf("ExpandPath(%q) = %q, %v; want error %q", tc.in, got, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || got != tc.want):
			t.Errorf("ExpandPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	key := writeFile(t, "okta.pem", "-----BEGIN RSA PRIVATE KEY-----\n")
	got, err := ReadSecretFile("okta.private_key_file", "${DIR}/okta.pem", env(map[string]string{"DIR": filepath.Dir(key)}))
	if err != nil || string(got) != "-----BEGIN RSA PRIVATE KEY-----" {
		t.Errorf("ReadSecretFile through ${DIR} = %q, %v", got, err)
	}
}
