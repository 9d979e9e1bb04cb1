// Package google reads Google Workspace group members for teamsync through
// the Admin SDK Directory API: the group by email, its members page by page
// (and, with nesting, the members of nested groups), and, where a member row
// does not settle the member's status, the user's suspended and archived
// flags; and, for offboarding and explain, what users.get says of people
// looked up by email (LookupPeople). It authenticates with a
// service-account key and domain-wide delegation, or with Application
// Default Credentials, always asking for the three read-only Directory
// scopes and nothing more.
//
// Every request, token requests included, goes through one httpx edge
// transport, which owns timeouts, retries, redirects, the URL rule and
// redaction; this package adds how Google's answers read. A read that still
// fails, or an answer teamsync cannot fully read, is an error, never a short
// list (see docs/semantics.md).
package google

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/option"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/providers"
)

// pageSize is the most members.list returns per page.
const pageSize = 200

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
	// HTTPClient supplies the transport every request is sent with (tests,
	// or cmd/'s metrics wrapper); nil means the default transport. Only its
	// Transport is used, under the edge: timeouts, retries and redirects are
	// the edge's, whatever the client says.
	HTTPClient *http.Client
	// AttemptTimeout bounds one attempt of a request, from sending it to the
	// last byte of the answer; 0 means httpx.DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// Deadline bounds one request with all its attempts and the waits
	// between them; 0 means httpx.DefaultDeadline (two minutes).
	Deadline time.Duration
	// MaxRetries is how many times one request is sent again after a
	// retryable failure: 0 means httpx.DefaultMaxRetries, negative never.
	MaxRetries int
	// Sleep waits between retries; nil waits on a timer, honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Secrets is the run's redaction set; nil means one of the source's
	// own. The source adds what it learns (the key file's private key, the
	// access tokens it is issued), and every error it returns is redacted
	// by it.
	Secrets *httpx.Secrets
	// Logger receives the edge's retry lines (warn) and per-group read
	// summaries (debug).
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
// it caches user lookups for its lifetime, and its edge, once Google has
// stopped answering, fails the run's later requests at once.
type source struct {
	svc     *admin.Service
	nested  bool
	secrets *httpx.Secrets
	log     *slog.Logger
	users   userCache
}

var _ providers.Provider = (*source)(nil)

// New returns a Provider for Google Workspace groups, which also implements
// providers.PersonLookup. ctx carries the token
// fetches for the provider's lifetime (one run), so it must outlive every
// Members call.
func New(ctx context.Context, cfg Config) (providers.Provider, error) {
	secrets := cfg.Secrets
	if secrets == nil {
		secrets = httpx.NewSecrets()
	}
	s, err := newSource(ctx, cfg, secrets)
	if err != nil {
		return nil, secrets.Error(err)
	}
	return s, nil
}

func newSource(ctx context.Context, cfg Config, secrets *httpx.Secrets) (*source, error) {
	var ep string
	if cfg.Endpoint != "" {
		if err := httpx.CheckURL(cfg.Endpoint); err != nil {
			return nil, fmt.Errorf("google: endpoint %w", err)
		}
		// The library resolves paths against the root, so it must end in
		// a slash.
		ep = strings.TrimSpace(cfg.Endpoint)
		if !strings.HasSuffix(ep, "/") {
			ep += "/"
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = log.With("provider", providers.SourceGoogle)
	edge := newEdge(cfg, secrets)
	a := &auth{cfg: cfg, secrets: secrets, edge: &recorder{edge: edge}}
	ts, err := a.tokenSource(ctx)
	if err != nil {
		return nil, fmt.Errorf("google: credentials: %w", err)
	}
	client := &http.Client{Transport: &oauth2.Transport{Source: ts, Base: edge}}
	opts := []option.ClientOption{option.WithHTTPClient(client)}
	if ep != "" {
		opts = append(opts, option.WithEndpoint(ep))
	}
	svc, err := admin.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("google: directory client: %w", err)
	}
	return &source{
		svc:     svc,
		nested:  cfg.Nested,
		secrets: secrets,
		log:     cfg.Logger,
		users:   userCache{m: map[string]*userEntry{}},
	}, nil
}
