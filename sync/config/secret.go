package config

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Resolve returns the secret's current value: the environment variable read
// through getenv, or the file's content, with one trailing newline trimmed
// either way (TrimSecret). A file must be private to its owner (see
// ReadSecretFile). The value is a token, sent in a header: one with a line
// break or other control character left in it (a second newline, a tab, a
// carriage return) is refused, since it cannot be what its owner meant. It
// is called at every run, so a rotated secret is picked up without a
// restart. Errors name the mapping's file:line, the setting and the
// variable or file, never the value.
func (s Secret) Resolve(getenv func(string) string) (string, error) {
	key := s.Key
	switch {
	case s.File != "":
		if key == "" {
			key = "token_file"
		}
		path, err := ExpandPath(s.File, getenv)
		if err != nil {
			return "", s.fail(key, err)
		}
		v, err := readSecretFile(path, true)
		if err != nil {
			return "", s.fail(key, err)
		}
		if hasControl(string(v)) {
			return "", s.fail(key, fmt.Errorf("file %s %s", s.File, controlMsg))
		}
		return string(v), nil
	case s.Env != "":
		if key == "" {
			key = "token_env"
		}
		v := TrimSecret(getenv(s.Env))
		if strings.TrimSpace(v) == "" {
			return "", s.fail(key, fmt.Errorf("environment variable %s is not set or empty", s.Env))
		}
		if hasControl(v) {
			return "", s.fail(key, fmt.Errorf("environment variable %s %s", s.Env, controlMsg))
		}
		return v, nil
	}
	if key == "" {
		key = "secret"
	}
	return "", s.fail(key, errors.New("no environment variable or file is configured"))
}

// Name says where the secret comes from, for an error that tells what to
// fix: the environment variable's name, or "file PATH".
func (s Secret) Name() string {
	if s.File != "" {
		return "file " + s.File
	}
	return s.Env
}

// controlMsg says what is wrong with a token that hasControl.
const controlMsg = "contains a line break or other control character (only one trailing newline is trimmed)"

// hasControl reports whether v holds a control character.
func hasControl(v string) bool {
	return strings.ContainsFunc(v, unicode.IsControl)
}

// fail makes err an Error at the line that named the secret.
func (s Secret) fail(key string, err error) Error {
	return Error{File: s.Origin, Line: s.Line, Path: key, Msg: err.Error(), err: err}
}

// CheckCredentials resolves every secret the mapping needs and reports all
// the problems at once, file:line each: the Buildkite token; the Okta API
// token or OAuth private key file when a team names an okta group; the
// Google credentials file (or the file GOOGLE_APPLICATION_CREDENTIALS
// names) when a team names a google group. Files the mapping names must be
// private to their owner, as ReadSecretFile requires; the file
// GOOGLE_APPLICATION_CREDENTIALS names is read by Google's library, which
// has its own rules, so it need only be readable. Sections no team uses are
// not checked, so a --team selection needs only its own credentials. The
// values read are discarded; connecting resolves them again.
func (m *Mapping) CheckCredentials(getenv func(string) string) error {
	c := &collector{file: m.Path}
	fail := func(err error) {
		var e Error
		if errors.As(err, &e) {
			c.list = append(c.list, e)
			return
		}
		c.add(0, "", "%v", err)
	}
	if _, err := m.Buildkite.Token.Resolve(getenv); err != nil {
		fail(err)
	}
	usesOkta, usesGoogle := m.sourcesUsed()
	if k := m.Okta; k != nil && usesOkta {
		if k.ClientID == "" {
			if _, err := k.Token.Resolve(getenv); err != nil {
				fail(err)
			}
		} else if _, err := readExpanded(k.PrivateKeyFile, getenv); err != nil {
			c.list = append(c.list, Error{File: m.Path, Line: m.line("okta.private_key_file", k.Line), Path: "okta.private_key_file", Msg: err.Error(), err: err})
		}
	}
	if g := m.Google; g != nil && usesGoogle {
		if g.CredentialsFile != "" {
			if _, err := readExpanded(g.CredentialsFile, getenv); err != nil {
				c.list = append(c.list, Error{File: m.Path, Line: m.line("google.credentials_file", g.Line), Path: "google.credentials_file", Msg: err.Error(), err: err})
			}
		} else if adc := getenv("GOOGLE_APPLICATION_CREDENTIALS"); adc != "" {
			// The library reads this file, not teamsync, so only whether
			// it can be read is checked here.
			if _, err := readSecretFile(adc, false); err != nil {
				c.list = append(c.list, Error{File: m.Path, Line: g.Line, Path: "google", Msg: "GOOGLE_APPLICATION_CREDENTIALS: " + err.Error(), err: err})
			}
		}
	}
	return c.err()
}

// readExpanded reads a private key file the mapping names, its path
// expanded with ExpandPath.
func readExpanded(path string, getenv func(string) string) ([]byte, error) {
	p, err := ExpandPath(path, getenv)
	if err != nil {
		return nil, err
	}
	return readSecretFile(p, true)
}

// sourcesUsed reports whether any team names an okta or a google group.
func (m *Mapping) sourcesUsed() (okta, google bool) {
	for _, t := range m.Teams {
		for _, g := range t.Groups {
			okta = okta || g.Okta != ""
			google = google || g.Google != ""
		}
	}
	return okta, google
}

// line is the recorded line of key, or def.
func (m *Mapping) line(key string, def int) int {
	if l := m.lines[key]; l > 0 {
		return l
	}
	return def
}
