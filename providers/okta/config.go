package okta

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/teamsync/teamsync/internal/backoff"
	"github.com/teamsync/teamsync/internal/httpx"
)

// Defaults applied by New to zero Config fields. The timeouts default to
// the edge's (httpx.DefaultAttemptTimeout, httpx.DefaultDeadline).
const (
	DefaultHeadroom   = 0.2
	DefaultMaxRetries = httpx.DefaultMaxRetries
	DefaultMaxBackoff = 30 * time.Second
)

// User-email attributes: which profile attribute is matched to Buildkite.
const (
	UserEmailEmail = "email"
	UserEmailLogin = "login"
)

// DefaultScopes are the least OAuth scopes reading groups and members needs.
func DefaultScopes() []string { return []string{"okta.groups.read", "okta.users.read"} }

// Config configures the Okta source. cmd/ builds it from mapping.yaml's
// okta section and the secrets that section names.
type Config struct {
	// OrgURL is the org's base URL, e.g. https://acme.okta.com. A trailing
	// slash is trimmed; http:// is accepted only for loopback hosts.
	OrgURL string
	// Token is an SSWS API token. Set it, or ClientID and PrivateKey.
	Token string
	// ClientID, PrivateKey (PEM, PKCS#1 "RSA PRIVATE KEY" or PKCS#8
	// "PRIVATE KEY", RSA only), PrivateKeyID (the JWK kid, optional) and
	// Scopes (default DefaultScopes) configure an OAuth 2.0 service app.
	ClientID     string
	PrivateKey   []byte
	PrivateKeyID string
	Scopes       []string
	// UserEmail is the profile attribute used as the member's email:
	// "email" (default) or "login".
	UserEmail string
	// HTTPClient supplies the base transport (tests, metrics); its Timeout
	// is not used (AttemptTimeout and Deadline bound each request instead).
	// Nil means a clone of http.DefaultTransport.
	HTTPClient *http.Client
	// Secrets is the run's set of credentials to redact. New adds the
	// token or the private key to it, and the OAuth client assertions and
	// access tokens as the source sees them; every error the source
	// returns and every retry line it logs is redacted with it. Nil means
	// a set of the source's own.
	Secrets *httpx.Secrets
	// Headroom is the fraction of X-Rate-Limit-Limit left for other
	// clients: when X-Rate-Limit-Remaining falls below it, the next request
	// waits for X-Rate-Limit-Reset. 0 means DefaultHeadroom; negative turns
	// pacing off.
	Headroom float64
	// MaxRetries is how many times one request is sent again after a 429,
	// a 5xx, a malformed answer, a timeout or a dropped connection. 0 means
	// DefaultMaxRetries; negative means no retries.
	MaxRetries int
	// MaxBackoff caps each wait between retries, and each wait for a rate
	// limit to reset (default DefaultMaxBackoff).
	MaxBackoff time.Duration
	// AttemptTimeout bounds each HTTP attempt, from sending the request to
	// the last byte of the answer; 0 means httpx.DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// Deadline bounds one request with all its attempts and the backoff
	// between them (waits for a rate limit to reset aside), so a hung Okta
	// fails a run within about one Deadline: once a request has given up
	// for want of an answer, later requests of the source fail at once. 0
	// means httpx.DefaultDeadline.
	Deadline time.Duration
	// Sleep waits for d or until ctx ends (default: a timer). Now is the
	// clock (default time.Now). Both are injectable for tests.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
	// Logger receives retry, pacing and skipped-member lines (default:
	// discard). Retry lines come from the edge, with api=okta.
	Logger *slog.Logger
}

// oauth reports whether the config selects the OAuth service app.
func (c Config) oauth() bool { return c.ClientID != "" }

// withDefaults validates c and fills in its defaults. It also returns the
// cleaned org URL and whether it is a plain-http loopback URL.
func (c Config) withDefaults() (Config, bool, error) {
	orgURL, insecure, err := cleanOrgURL(c.OrgURL)
	if err != nil {
		return c, false, err
	}
	c.OrgURL = orgURL
	switch {
	case c.Token != "" && c.ClientID != "":
		return c, false, errors.New("okta: set either an API token or an OAuth client ID, not both")
	case c.Token == "" && c.ClientID == "":
		return c, false, errors.New("okta: no credentials: set an API token or an OAuth client ID and private key")
	case c.oauth() && len(c.PrivateKey) == 0:
		return c, false, errors.New("okta: OAuth client ID is set but the private key is empty")
	}
	switch c.UserEmail {
	case "":
		c.UserEmail = UserEmailEmail
	case UserEmailEmail, UserEmailLogin:
	default:
		return c, false, fmt.Errorf("okta: user_email %q: want %q or %q", c.UserEmail, UserEmailEmail, UserEmailLogin)
	}
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes()
	}
	if c.Headroom == 0 {
		c.Headroom = DefaultHeadroom
	}
	if c.Headroom >= 1 {
		return c, false, fmt.Errorf("okta: headroom %v: want a fraction below 1", c.Headroom)
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Secrets == nil {
		c.Secrets = httpx.NewSecrets()
	}
	if c.Sleep == nil {
		c.Sleep = backoff.Sleep
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, insecure, nil
}

// cleanOrgURL trims trailing slashes (the SDK joins paths by string
// concatenation) and checks raw is a URL a credential may go to
// (httpx.CheckURL) and has the shape of an org URL: scheme and host alone,
// since a path would be kept before every API path and a query string or
// fragment would swallow it. It reports whether the URL is plain http (to
// a loopback host), which the SDK must be told. Errors never quote raw: a
// query string could hold a key.
func cleanOrgURL(raw string) (string, bool, error) {
	s := strings.TrimRight(strings.TrimSpace(raw), "/")
	if s == "" {
		return "", false, errors.New("okta: org_url is empty")
	}
	if err := httpx.CheckURL(s); err != nil {
		return "", false, fmt.Errorf("okta: org_url %w", err)
	}
	u, err := url.Parse(s)
	if err != nil || strings.ContainsAny(s, "?#") || u.Path != "" || u.RawPath != "" {
		return "", false, errors.New("okta: org_url must be the base URL alone, scheme://host, with no path, query string or fragment")
	}
	return s, strings.EqualFold(u.Scheme, "http"), nil
}
