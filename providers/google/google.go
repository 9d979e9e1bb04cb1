// Package google reads Google Workspace group members for teamsync through
// the Admin SDK Directory API: the group by email, its members page by page
// (and, with nesting, the members of nested groups), and, where a member row
// carries no status, the user's suspended and archived flags. It
// authenticates with a service-account key and domain-wide delegation, or
// with Application Default Credentials, always asking for the three
// read-only Directory scopes and nothing more. Calls are retried with
// exponential back-off on rate limits and server errors; a read that still
// fails is an error, never a short list.
package google

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/option"

	"github.com/teamsync/teamsync/internal/backoff"
	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/providers"
)

// DefaultMaxRetries is how many times a failed call is retried when
// Config.MaxRetries is zero.
const DefaultMaxRetries = 5

// pageSize is the most members.list returns per page.
const pageSize = 200

// DefaultRequestTimeout bounds each HTTP request, answer and body, when
// neither Config.RequestTimeout nor the given client's Timeout is set.
const DefaultRequestTimeout = time.Minute

// Config configures the Google Workspace source. The caller in cmd/ builds
// it from the mapping's google section and the files it names.
type Config struct {
	// CredentialsJSON is the contents of a service-account key file; nil
	// means Application Default Credentials.
	CredentialsJSON []byte
	// Subject is the admin user to impersonate through domain-wide
	// delegation. Empty calls as the service account itself, which then
	// needs a Workspace admin role of its own.
	Subject string
	// ImpersonateServiceAccount, with Application Default Credentials,
	// mints tokens for this service account (through the IAM Credentials
	// API) instead of using the ambient credentials directly. Optional.
	ImpersonateServiceAccount string
	// Endpoint overrides the API root (tests); a trailing slash is optional.
	Endpoint string
	// Nested includes the members of nested groups, at any depth.
	Nested bool
	// HTTPClient is the base client for both token fetches and API calls
	// (tests, or cmd/'s metrics wrapper); nil means the default transport.
	// Authentication is layered on top of its transport, so it must not add
	// its own. Its Timeout, when set, bounds each request (not the retry
	// waits between them); when it is 0, RequestTimeout does. The client
	// itself is never modified.
	HTTPClient *http.Client
	// RequestTimeout bounds each HTTP request when HTTPClient's Timeout is
	// 0, so a stalled connection fails (and is retried) instead of hanging
	// a run that has no deadline of its own. 0 means DefaultRequestTimeout;
	// negative means no bound.
	RequestTimeout time.Duration
	// MaxRetries is how many times one call is retried after a retryable
	// failure: 0 means DefaultMaxRetries, negative means never.
	MaxRetries int
	// Sleep waits between retries; nil waits on a timer, honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives retries (warn) and per-group read summaries (debug).
	Logger *slog.Logger
}

// Scopes returns the OAuth scopes the source asks for: read-only access to
// groups, group members and users. Domain-wide delegation must authorize
// exactly these for the service account's client id.
func Scopes() []string {
	return []string{
		admin.AdminDirectoryGroupReadonlyScope,
		admin.AdminDirectoryGroupMemberReadonlyScope,
		admin.AdminDirectoryUserReadonlyScope,
	}
}

// source is the Provider for Google Workspace. One instance serves one run:
// it caches user lookups for its lifetime.
type source struct {
	svc        *admin.Service
	nested     bool
	maxRetries int
	sleep      func(ctx context.Context, d time.Duration) error
	log        *slog.Logger
	users      userCache
}

var _ providers.Provider = (*source)(nil)

// New returns a Provider for Google Workspace groups. ctx carries the token
// fetches for the provider's lifetime (one run), so it must outlive every
// Members call.
func New(ctx context.Context, cfg Config) (providers.Provider, error) {
	var ep string
	if cfg.Endpoint != "" {
		var err error
		if ep, err = endpoint(cfg.Endpoint); err != nil {
			return nil, fmt.Errorf("google: endpoint: %w", err)
		}
	}
	base := baseClient(cfg)
	ts, err := tokenSource(ctx, cfg, base)
	if err != nil {
		return nil, fmt.Errorf("google: credentials: %w", err)
	}
	authed := *base
	authed.Transport = &oauth2.Transport{Source: ts, Base: base.Transport}
	opts := []option.ClientOption{option.WithHTTPClient(&authed)}
	if ep != "" {
		opts = append(opts, option.WithEndpoint(ep))
	}
	svc, err := admin.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("google: directory client: %w", err)
	}
	s := &source{
		svc:        svc,
		nested:     cfg.Nested,
		maxRetries: backoff.Retries(cfg.MaxRetries, DefaultMaxRetries),
		sleep:      cfg.Sleep,
		log:        cfg.Logger,
		users:      userCache{m: map[string]*userEntry{}},
	}
	if s.sleep == nil {
		s.sleep = backoff.Sleep
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("provider", providers.SourceGoogle)
	return s, nil
}

// baseClient is a copy of cfg.HTTPClient (or a new client) whose
// transport bounds every request: by the client's own Timeout when it has
// one, else by cfg.RequestTimeout.
func baseClient(cfg Config) *http.Client {
	var c http.Client
	if cfg.HTTPClient != nil {
		c = *cfg.HTTPClient
	}
	limit := c.Timeout
	if limit == 0 {
		limit = cfg.RequestTimeout
		if limit == 0 {
			limit = DefaultRequestTimeout
		}
	}
	if limit > 0 {
		base := c.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		c.Transport, c.Timeout = &httpx.Timeout{Base: base, After: limit}, 0
	}
	return &c
}

// endpoint checks an API root override and gives it the trailing slash that
// the library resolves paths against. Plain http is for loopback only: the
// access token travels with every call.
func endpoint(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	switch {
	case u.Scheme == "https" && u.Host != "":
	case u.Scheme == "http" && httpx.IsLoopbackHost(u.Hostname()):
	case u.Scheme == "http":
		return "", fmt.Errorf("%q: http:// is accepted only for loopback hosts", raw)
	default:
		return "", fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	return raw, nil
}
