package config

import (
	"fmt"
	"slices"
	"strings"
)

// setting is one connection setting of a mapping, as compared by
// ConnectionChanges.
type setting struct {
	key, value string
	line       int
	present    bool
}

// connection lists the settings that decide which organization teamsync
// acts on, where it sends credentials and which secrets it reads, in a
// fixed order. A section that is absent gives one absent "okta" or
// "google" entry, so adding a section is a change too: its default
// token_env would otherwise be read and sent where the new section says.
func (m *Mapping) connection() []setting {
	b := m.Buildkite
	s := []setting{
		{"buildkite.organization", b.Organization, m.line("buildkite.organization", b.Line), true},
		{"buildkite.graphql_url", b.GraphQLURL, m.line("buildkite.graphql_url", b.Line), true},
		secretSetting("buildkite", b.Token),
	}
	if k := m.Okta; k != nil {
		s = append(s,
			setting{"okta", "present", k.Line, true},
			setting{"okta.org_url", k.OrgURL, m.line("okta.org_url", k.Line), true},
			secretSetting("okta", k.Token),
			setting{"okta.client_id", k.ClientID, m.line("okta.client_id", k.Line), true},
			setting{"okta.private_key_file", k.PrivateKeyFile, m.line("okta.private_key_file", k.Line), true},
			setting{"okta.private_key_id", k.PrivateKeyID, m.line("okta.private_key_id", k.Line), true},
			setting{"okta.scopes", strings.Join(k.Scopes, " "), m.line("okta.scopes", k.Line), true},
		)
	} else {
		s = append(s, setting{key: "okta"})
	}
	if g := m.Google; g != nil {
		s = append(s,
			setting{"google", "present", g.Line, true},
			setting{"google.credentials_file", g.CredentialsFile, m.line("google.credentials_file", g.Line), true},
			setting{"google.subject", g.Subject, m.line("google.subject", g.Line), true},
			setting{"google.impersonate_service_account", g.ImpersonateServiceAccount, m.line("google.impersonate_service_account", g.Line), true},
			setting{"google.endpoint", g.Endpoint, m.line("google.endpoint", g.Line), true},
		)
	} else {
		s = append(s, setting{key: "google"})
	}
	return s
}

// secretSetting is where a section's token lives, as one setting: a
// switch from token_env to token_file is a change of the same setting.
func secretSetting(section string, t Secret) setting {
	v := "token_env=" + t.Env
	if t.File != "" {
		v = "token_file=" + t.File
	}
	key := t.Key
	if key == "" {
		key = section + ".token_env"
	}
	return setting{key, v, t.Line, true}
}

// ConnectionChanges lists each connection setting of m that differs from
// base: the organization, the API URLs, and the keys that name secrets or
// identities (token_env, token_file, client_id, private_key_file,
// credentials_file, subject, impersonate_service_account...). Each is an
// Error at m's line for the key, so that plan --base can refuse a
// pull request's mapping that would send the organization's credentials
// somewhere else. It reads no secret. nil when they agree.
func ConnectionChanges(base, m *Mapping) []Error {
	was := map[string]setting{}
	for _, s := range base.connection() {
		was[settingName(s.key)] = s
	}
	var out []Error
	var sections []string // added or removed: their keys are not listed too
	for _, s := range m.connection() {
		name := settingName(s.key)
		old := was[name]
		if old.present == s.present && old.value == s.value {
			continue
		}
		section, _, _ := strings.Cut(name, ".")
		if slices.Contains(sections, section) {
			continue
		}
		if !strings.Contains(name, ".") {
			sections = append(sections, section)
		}
		out = append(out, Error{File: m.Path, Line: s.line, Path: s.key, Msg: changeMsg(old, s)})
	}
	return out
}

// settingName keys a setting for comparison: token_env and token_file of
// one section are the same setting.
func settingName(key string) string {
	if k, ok := strings.CutSuffix(key, ".token_file"); ok {
		return k + ".token_env"
	}
	return key
}

func changeMsg(old, s setting) string {
	switch {
	case !old.present:
		return "section added (the base mapping has none)"
	case !s.present:
		return "section removed (the base mapping has one)"
	}
	return fmt.Sprintf("%q differs from the base mapping's %q", s.value, old.value)
}
