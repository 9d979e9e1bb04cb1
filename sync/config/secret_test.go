package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// env is a fake environment for getenv.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	return writeFileMode(t, name, content, 0o600)
}

// writeFileMode writes a file with exactly mode, whatever the umask.
func writeFileMode(t *testing.T, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSecretResolve(t *testing.T) {
	const value = "bkua_s3cr3t-value"
	tokenFile := writeFile(t, "token", value+"\n")
	crlfFile := writeFile(t, "token-crlf", value+"\r\n")
	twoNewlines := writeFile(t, "token-two", value+" \n\n")
	bareFile := writeFile(t, "token-bare", value)
	nulFile := writeFile(t, "token-nul", value+"\x00\n")
	spaced := writeFile(t, "token-spaced", " "+value+" \n")
	emptyFile := writeFile(t, "empty", "\n")
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(tokenFile, link); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	at := func(s Secret) Secret { s.Origin, s.Line = "mapping.yaml", 3; return s }

	cases := []struct {
		name    string
		secret  Secret
		env     map[string]string
		want    string
		wantErr string
	}{
		{"env", at(Secret{Env: "BUILDKITE_API_TOKEN", Key: "buildkite.token_env"}),
			map[string]string{"BUILDKITE_API_TOKEN": value}, value, ""},
		{"env unset", at(Secret{Env: "BUILDKITE_API_TOKEN", Key: "buildkite.token_env"}), nil, "",
			"mapping.yaml:3: buildkite.token_env: environment variable BUILDKITE_API_TOKEN is not set or empty"},
		{"env blank", at(Secret{Env: "BUILDKITE_API_TOKEN", Key: "buildkite.token_env"}),
			map[string]string{"BUILDKITE_API_TOKEN": "  \n"}, "",
			"mapping.yaml:3: buildkite.token_env: environment variable BUILDKITE_API_TOKEN is not set or empty"},
		{"env trims one newline", at(Secret{Env: "T", Key: "buildkite.token_env"}),
			map[string]string{"T": value + "\n"}, value, ""},
		{"env trims one CRLF", at(Secret{Env: "T", Key: "buildkite.token_env"}),
			map[string]string{"T": value + "\r\n"}, value, ""},
		{"env trims nothing else", at(Secret{Env: "T", Key: "buildkite.token_env"}),
			map[string]string{"T": " " + value + " \n"}, " " + value + " ", ""},
		{"env with a second newline", at(Secret{Env: "T", Key: "buildkite.token_env"}),
			map[string]string{"T": value + "\n\n"}, "",
			"mapping.yaml:3: buildkite.token_env: environment variable T contains a line break or other control character (only one trailing newline is trimmed)"},
		{"env with a tab", at(Secret{Env: "T", Key: "okta.token_env"}),
			map[string]string{"T": value + "\t"}, "",
			"mapping.yaml:3: okta.token_env: environment variable T contains a line break or other control character (only one trailing newline is trimmed)"},
		{"env with a CR inside", at(Secret{Env: "T", Key: "buildkite.token_env"}),
			map[string]string{"T": "bkua_s3cr3t\r-value"}, "",
			"mapping.yaml:3: buildkite.token_env: environment variable T contains a line break or other control character (only one trailing newline is trimmed)"},
		{"file trims the trailing newline", at(Secret{File: tokenFile, Key: "buildkite.token_file"}), nil, value, ""},
		{"file trims one CRLF", at(Secret{File: crlfFile, Key: "buildkite.token_file"}), nil, value, ""},
		{"file trims only one newline", at(Secret{File: twoNewlines, Key: "buildkite.token_file"}), nil, "",
			"mapping.yaml:3: buildkite.token_file: file " + twoNewlines + " contains a line break or other control character (only one trailing newline is trimmed)"},
		{"file with a NUL", at(Secret{File: nulFile, Key: "okta.token_file"}), nil, "",
			"mapping.yaml:3: okta.token_file: file " + nulFile + " contains a line break or other control character (only one trailing newline is trimmed)"},
		{"file keeps spaces", at(Secret{File: spaced, Key: "buildkite.token_file"}), nil, " " + value + " ", ""},
		{"file without a newline", at(Secret{File: bareFile, Key: "buildkite.token_file"}), nil, value, ""},
		{"file through a symbolic link", at(Secret{File: link, Key: "buildkite.token_file"}), nil, value, ""},
		{"file missing", at(Secret{File: missing, Key: "okta.token_file"}), nil, "",
			"mapping.yaml:3: okta.token_file: cannot read " + missing + ": no such file or directory"},
		{"file empty", at(Secret{File: emptyFile, Key: "buildkite.token_file"}), nil, "",
			"mapping.yaml:3: buildkite.token_file: file " + emptyFile + " is empty"},
		{"file in an environment's directory", at(Secret{File: "${CREDENTIALS_DIRECTORY}/token", Key: "buildkite.token_file"}),
			map[string]string{"CREDENTIALS_DIRECTORY": filepath.Dir(tokenFile)}, value, ""},
		{"file in an unset environment's directory", at(Secret{File: "${CREDENTIALS_DIRECTORY}/token", Key: "buildkite.token_file"}), nil, "",
			"mapping.yaml:3: buildkite.token_file: ${CREDENTIALS_DIRECTORY}/token names $CREDENTIALS_DIRECTORY, which is not set"},
		{"built by hand", Secret{Env: "TOKEN"}, nil, "",
			"token_env: environment variable TOKEN is not set or empty"},
		{"zero", Secret{}, nil, "", "secret: no environment variable or file is configured"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.secret.Resolve(env(tc.env))
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Fatalf("Resolve = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Resolve = %q, want error %s", got, tc.wantErr)
			}
			if err.Error() != tc.wantErr {
				t.Errorf("error:\n got: %s\nwant: %s", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error shows the secret: %s", err)
			}
		})
	}
}

func TestSecretResolveUnwraps(t *testing.T) {
	s := Secret{File: filepath.Join(t.TempDir(), "missing"), Key: "buildkite.token_file"}
	_, err := s.Resolve(env(nil))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
	var e Error
	if !errors.As(err, &e) || e.Path != "buildkite.token_file" {
		t.Errorf("errors.As gave %+v", e)
	}
}

// credentialsMapping is a mapping with every kind of secret; the okta
// section uses OAuth when keyFile is not empty.
func credentialsMapping(t *testing.T, keyFile, googleFile string) *Mapping {
	t.Helper()
	okta := "  token_env: OKTA_API_TOKEN"
	if keyFile != "" {
		okta = "  client_id: 0oa1\n  private_key_file: " + keyFile
	}
	google := "google: {}"
	if googleFile != "" {
		google = "google:\n  credentials_file: " + googleFile
	}
	m, err := Parse("mapping.yaml", []byte(doc(
		"buildkite:",
		"  organization: acme",
		"okta:",
		"  org_url: https://acme.okta.com",
		okta,
		google,
		"teams:",
		"  - slug: platform",
		"    groups:",
		"      - okta: Platform",
		"      - google: eng@acme.com",
	)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCheckCredentials(t *testing.T) {
	dir := t.TempDir()
	key := writeFile(t, "okta.pem", "-----BEGIN PRIVATE KEY-----\nsecret-key-body\n-----END PRIVATE KEY-----\n")
	sa := writeFile(t, "sa.json", `{"type":"service_account","private_key":"secret-key-body"}`)
	missingKey := filepath.Join(dir, "missing.pem")
	missingSA := filepath.Join(dir, "missing.json")
	all := map[string]string{"BUILDKITE_API_TOKEN": "bk-secret-token", "OKTA_API_TOKEN": "okta-secret-token"}

	cases := []struct {
		name    string
		m       *Mapping
		env     map[string]string
		wantErr string
	}{
		{"all present, api token", credentialsMapping(t, "", sa), all, ""},
		{"all present, oauth", credentialsMapping(t, key, sa), map[string]string{"BUILDKITE_API_TOKEN": "bk-secret-token"}, ""},
		{"adc from the environment", credentialsMapping(t, "", ""),
			map[string]string{"BUILDKITE_API_TOKEN": "bk-secret-token", "OKTA_API_TOKEN": "x", "GOOGLE_APPLICATION_CREDENTIALS": sa}, ""},
		{"everything missing, reported together in line order", credentialsMapping(t, "", missingSA), nil,
			"mapping.yaml:1: buildkite.token_env: environment variable BUILDKITE_API_TOKEN is not set or empty\n" +
				"mapping.yaml:5: okta.token_env: environment variable OKTA_API_TOKEN is not set or empty\n" +
				"mapping.yaml:7: google.credentials_file: cannot read " + missingSA + ": no such file or directory"},
		{"okta key file missing", credentialsMapping(t, missingKey, sa), map[string]string{"BUILDKITE_API_TOKEN": "bk-secret-token"},
			"mapping.yaml:6: okta.private_key_file: cannot read " + missingKey + ": no such file or directory"},
		{"adc file missing", credentialsMapping(t, "", ""),
			map[string]string{"BUILDKITE_API_TOKEN": "bk-secret-token", "OKTA_API_TOKEN": "x", "GOOGLE_APPLICATION_CREDENTIALS": missingSA},
			"mapping.yaml:6: google: GOOGLE_APPLICATION_CREDENTIALS: cannot read " + missingSA + ": no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.CheckCredentials(env(tc.env))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckCredentials: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("CheckCredentials:\n got: %v\nwant: %s", err, tc.wantErr)
			}
			for _, secret := range []string{"bk-secret-token", "okta-secret-token", "secret-key-body"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows a secret value: %s", err)
				}
			}
		})
	}
}

// TestCheckCredentialsOnlyUsedSections checks that a section no selected
// team needs is not checked, so --team needs only its own credentials.
func TestCheckCredentialsOnlyUsedSections(t *testing.T) {
	m, err := Parse("mapping.yaml", []byte(doc(
		"buildkite:",
		"  organization: acme",
		"okta:",
		"  org_url: https://acme.okta.com",
		"teams:",
		"  - slug: platform",
		"    groups:",
		"      - okta: Platform",
		"  - slug: contractors",
		"    groups:",
		"      - users: [c@acme.com]",
	)))
	if err != nil {
		t.Fatal(err)
	}
	getenv := env(map[string]string{"BUILDKITE_API_TOKEN": "t"})
	want := "mapping.yaml:3: okta.token_env: environment variable OKTA_API_TOKEN is not set or empty"
	if err := m.CheckCredentials(getenv); err == nil || err.Error() != want {
		t.Errorf("all teams: got %v, want %s", err, want)
	}
	sub, err := m.Select([]string{"contractors"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.CheckCredentials(getenv); err != nil {
		t.Errorf("contractors only: %v", err)
	}
}
