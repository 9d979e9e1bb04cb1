package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/teamsync/teamsync/buildkite"
	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/google"
	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/users"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// The Buildkite client is what a reconcile needs of Buildkite: its reads
// and the writes of apply.Writer. The check lives here, where the two are
// wired together, so that the client need not import the reconciler.
var _ reconcile.Buildkite = (*buildkite.Client)(nil)

// connector builds the API clients for one run from the mapping and the
// secrets as they are at that moment.
type connector struct {
	getenv func(string) string
	logger *slog.Logger
	// secrets is the process's credential set: every credential read is
	// added, and each client redacts its errors with it.
	secrets *httpx.Secrets
	// wrap, when set, wraps each API's transport (the daemon counts requests
	// and rate-limit headroom there).
	wrap func(api string, base http.RoundTripper) http.RoundTripper
}

func (c *connector) connect(ctx context.Context, m *config.Mapping) (*reconcile.Clients, error) {
	token, err := m.Buildkite.Token.Resolve(c.getenv)
	if err != nil {
		return nil, err
	}
	// The tokens read from the mapping stay known to the process (its log
	// handler redacts them); what the clients learn during the run
	// (access tokens, signed assertions) is kept for this run only.
	c.secrets.Add(token)
	run := c.secrets.Scope()
	bk, err := buildkite.New(buildkite.Config{
		URL:          m.Buildkite.GraphQLURL,
		Organization: m.Buildkite.Organization,
		Token:        token,
		UserAgent:    "teamsync/" + versionString(),
		Headroom:     headroom(m.Buildkite.RateLimitHeadroom),
		HTTPClient:   c.client("buildkite"),
		// The edge puts api=buildkite on its lines; the client's own say
		// "buildkite:".
		Logger:   c.logger,
		Secrets:  run,
		Deadline: m.Buildkite.RequestTimeout,
	})
	if err != nil {
		return nil, err
	}
	clients := &reconcile.Clients{
		Buildkite: bk,
		Providers: map[string]providers.Provider{providers.SourceUsers: users.New()},
	}
	if m.Okta != nil && uses(m, providers.SourceOkta) {
		if clients.Providers[providers.SourceOkta], err = c.okta(ctx, m.Okta, run); err != nil {
			return nil, err
		}
	}
	if m.Google != nil && uses(m, providers.SourceGoogle) {
		if clients.Providers[providers.SourceGoogle], err = c.google(ctx, m.Google, run); err != nil {
			return nil, err
		}
	}
	return clients, nil
}

func (c *connector) okta(ctx context.Context, o *config.Okta, run *httpx.Secrets) (providers.Provider, error) {
	cfg := okta.Config{
		OrgURL:       o.OrgURL,
		ClientID:     o.ClientID,
		PrivateKeyID: o.PrivateKeyID,
		Scopes:       o.Scopes,
		UserEmail:    o.UserEmail,
		Headroom:     headroom(o.RateLimitHeadroom),
		HTTPClient:   c.client("okta"),
		Logger:       c.logger,
		Secrets:      run,
		Deadline:     o.RequestTimeout,
	}
	var err error
	if o.ClientID == "" {
		if cfg.Token, err = o.Token.Resolve(c.getenv); err != nil {
			return nil, err
		}
		c.secrets.Add(cfg.Token)
	} else if cfg.PrivateKey, err = config.ReadSecretFile("okta.private_key_file", o.PrivateKeyFile, c.getenv); err != nil {
		return nil, err
	}
	return okta.New(ctx, cfg) // its errors say "okta: …" already
}

func (c *connector) google(ctx context.Context, g *config.Google, run *httpx.Secrets) (providers.Provider, error) {
	cfg := google.Config{
		Subject:  g.Subject,
		Endpoint: g.Endpoint,
		// With Application Default Credentials only: mint Directory tokens
		// for this service account.
		ImpersonateServiceAccount: g.ImpersonateServiceAccount,
		Nested:                    g.Nested,
		HTTPClient:                c.client("google"),
		Logger:                    c.logger,
		Secrets:                   run,
		Deadline:                  g.RequestTimeout,
	}
	// Without credentials_file the library finds Application Default
	// Credentials itself (GOOGLE_APPLICATION_CREDENTIALS, workload identity,
	// the metadata server), whatever their type.
	if g.CredentialsFile != "" {
		var err error
		if cfg.CredentialsJSON, err = config.ReadSecretFile("google.credentials_file", g.CredentialsFile, c.getenv); err != nil {
			return nil, err
		}
	}
	return google.New(ctx, cfg) // its errors say "google: …" already
}

// client returns the HTTP client for one API, wrapped when asked; nil lets
// the API's package use its default.
func (c *connector) client(api string) *http.Client {
	if c.wrap == nil {
		return nil
	}
	return &http.Client{Transport: c.wrap(api, http.DefaultTransport)}
}

// uses reports whether m reads from source: a team names one of its
// groups, or offboarding asks it who has left. The offboarding source is
// connected even when no team names a group of it (Okta the source of
// truth for people, Google holding the groups), else every judged person
// would be held unknown_person at every run.
func uses(m *config.Mapping, source string) bool {
	if m.Offboarding != nil && m.Offboarding.Source == source {
		return true
	}
	for _, t := range m.Teams {
		for _, g := range t.Groups {
			if g.Ref().Source == source {
				return true
			}
		}
	}
	return false
}

// headroom turns a rate_limit_headroom setting (okta or buildkite; percent,
// 0 = off) into the client's fraction, where a negative value turns pacing
// off.
func headroom(percent int) float64 {
	if percent <= 0 {
		return -1
	}
	return float64(percent) / 100
}
