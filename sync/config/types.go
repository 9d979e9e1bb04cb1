// Package config loads and validates mapping.yaml: which Buildkite teams
// teamsync manages, which IdP groups feed them, and the sync settings. It
// reads files and nothing else; secrets are resolved on demand through an
// injected environment lookup so rotation needs no restart.
package config

import (
	"time"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/model"
)

// Defaults applied when mapping.yaml leaves a setting out.
const (
	DefaultBuildkiteTokenEnv = "BUILDKITE_API_TOKEN"
	DefaultGraphQLURL        = "https://graphql.buildkite.com/v1"
	DefaultOktaTokenEnv      = "OKTA_API_TOKEN"
	// DefaultOktaRateLimitHeadroom is the share (percent) of each Okta
	// rate-limit bucket teamsync leaves for the org's other integrations.
	DefaultOktaRateLimitHeadroom = 20
	// DefaultBuildkiteRateLimitHeadroom is the share (percent) of the
	// organization's Buildkite GraphQL budget teamsync leaves for other
	// tools of the organization.
	DefaultBuildkiteRateLimitHeadroom = 10
	// DefaultRequestTimeout bounds one request to an API when its
	// section's request_timeout is left out; MaxRequestTimeout is the
	// most request_timeout may be.
	DefaultRequestTimeout = 2 * time.Minute
	MaxRequestTimeout     = time.Hour

	DefaultSchedule          = "@every 15m"
	DefaultMaxRemovals       = 25
	DefaultMaxRemovalPercent = 30
)

// DefaultFullReadEvery is how often serve reads Buildkite in full when
// sync.full_read_every is left out; MaxFullReadEvery is the most it may be,
// which bounds how long a change the fingerprints cannot see (two role
// changes that cancel out) can go unrepaired.
const (
	DefaultFullReadEvery = 24 * time.Hour
	MaxFullReadEvery     = 7 * 24 * time.Hour
)

// Missing-user modes.
const (
	MissingReport = "report"
	MissingInvite = "invite"
)

// Values of okta.user_email and of a team's privacy.
const (
	UserEmailEmail = "email"
	UserEmailLogin = "login"
	PrivacySecret  = "secret"
	PrivacyVisible = "visible"
)

// Mapping is a loaded, validated mapping.yaml with defaults applied.
type Mapping struct {
	// Path is the file it was read from, used in error messages.
	Path      string
	Buildkite Buildkite
	Okta      *Okta   // nil when the file has no okta section
	Google    *Google // nil when the file has no google section
	Sync      Sync
	// Offboarding is nil when the file has no offboarding section.
	Offboarding *Offboarding
	Teams       []Team

	// lines holds the line of keys that name files checked by
	// CheckCredentials ("okta.private_key_file", "google.credentials_file")
	// and of the connection settings ConnectionChanges compares.
	lines map[string]int
}

// Secret names where a secret lives: an environment variable or a file.
// Exactly one of Env and File is set after loading.
type Secret struct {
	Env  string
	File string
	// Line is the mapping.yaml line that named the secret (or the section's
	// line when a default was used), for error messages.
	Line int
	// Origin is the mapping file that named the secret and Key the setting
	// that did ("buildkite.token_env"), so that Resolve's errors can point
	// at them. Both are set by Parse; either may be empty.
	Origin string
	Key    string
}

// Buildkite is the buildkite section.
type Buildkite struct {
	Organization string
	Token        Secret
	GraphQLURL   string
	// RateLimitHeadroom is the percent of the organization's GraphQL
	// budget (per 5-minute window) left for other tools: when less
	// remains, teamsync waits for the window to reset. 0 turns pacing off.
	RateLimitHeadroom int
	// RequestTimeout bounds one request to the API (request_timeout,
	// default DefaultRequestTimeout).
	RequestTimeout time.Duration
	Line           int
}

// Okta is the okta section.
type Okta struct {
	OrgURL string
	// Token is the SSWS API token; zero when ClientID is set (OAuth).
	Token          Secret
	ClientID       string
	PrivateKeyFile string
	PrivateKeyID   string
	Scopes         []string
	UserEmail      string // "email" (default) or "login"
	// RateLimitHeadroom is the percent of each rate-limit bucket left for
	// others: when less remains, teamsync waits for the bucket to reset.
	// 0 turns pacing off.
	RateLimitHeadroom int
	// RequestTimeout bounds one request to the API (request_timeout,
	// default DefaultRequestTimeout).
	RequestTimeout time.Duration
	Line           int
}

// Google is the google section.
type Google struct {
	CredentialsFile string // empty: Application Default Credentials
	Subject         string
	// ImpersonateServiceAccount, with Application Default Credentials, is
	// the service account to mint Directory tokens for (the environment's
	// own token carries only cloud-platform, which the Directory refuses).
	ImpersonateServiceAccount string
	Endpoint                  string
	Nested                    bool // default true
	// RequestTimeout bounds one request to the API (request_timeout,
	// default DefaultRequestTimeout).
	RequestTimeout time.Duration
	Line           int
}

// Sync is the sync section with defaults applied.
type Sync struct {
	Schedule     string
	Policy       model.Policy
	MissingUsers string
	// MaxRemovals is the number of removals a run may make before all of
	// them are held back; an explicit 0 means none without --allow-removals.
	MaxRemovals int
	// MaxRemovalPercent is the share of a 10+ member team that one run may
	// remove; an explicit 0 holds back any removal from such a team.
	MaxRemovalPercent int
	ProtectedUsers    []string          // lower-cased
	EmailDomains      map[string]string // lower-cased from → to
	AuditLog          string
	// DryRun makes `teamsync serve` plan on its schedule and never write
	// (also `serve --dry-run`). cmd/ reads it once, when serve starts.
	DryRun bool
	// FullReadEvery is how often serve reads every managed team in full
	// (full_read_every, default DefaultFullReadEvery); between full reads
	// it re-reads only the teams that may have changed.
	FullReadEvery time.Duration
}

// Team is one managed team.
type Team struct {
	Slug    string
	Name    string // defaults to Slug
	Create  bool
	Privacy string       // "secret" (default) or "visible"
	Policy  model.Policy // the team's own, else sync.policy
	Groups  []Group
	Line    int
}

// Group is one group entry of a team: exactly one source, and a role.
type Group struct {
	Okta       string
	Google     string
	Users      []string
	Role       model.Role // default member
	AllowEmpty bool
	// Expires is the first moment the entry grants nothing (expires:); zero
	// when it never expires. A date means the end of that day in UTC, so
	// "2026-12-31" is stored as 2027-01-01T00:00:00Z.
	Expires time.Time
	// ExpiresLine is the line of expires:, for validate's warnings.
	ExpiresLine int
	Line        int
}

// ExpiredAt reports whether the entry grants nothing at now.
func (g Group) ExpiredAt(now time.Time) bool {
	return !g.Expires.IsZero() && !now.Before(g.Expires)
}

// Ref is the provider reference for the entry.
func (g Group) Ref() providers.GroupRef {
	switch {
	case g.Okta != "":
		return providers.GroupRef{Source: providers.SourceOkta, Name: g.Okta}
	case g.Google != "":
		return providers.GroupRef{Source: providers.SourceGoogle, Name: g.Google}
	}
	return providers.GroupRef{Source: providers.SourceUsers, Users: g.Users}
}

// Label is the provenance label a change carries for this group (see
// docs/semantics.md): "okta:<name or id as written>", "google:<email>" or
// "users".
func (g Group) Label() string {
	switch {
	case g.Okta != "":
		return "okta:" + g.Okta
	case g.Google != "":
		return "google:" + g.Google
	}
	return "users"
}

// Key identifies the group's read: entries with the same key read the same
// members, so each key is read once per run.
func (g Group) Key() string {
	if len(g.Users) > 0 || (g.Okta == "" && g.Google == "") {
		k := "users:"
		for i, u := range g.Users {
			if i > 0 {
				k += ","
			}
			k += u
		}
		return k
	}
	return g.Label()
}
