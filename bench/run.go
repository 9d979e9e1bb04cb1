package bench

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/teamsync/teamsync/buildkite"
	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// Rig is a World served by running simulators, with a Runner wired to them
// through the real clients.
type Rig struct {
	Buildkite *bksim.Server
	Okta      *oktasim.Server
	Runner    *reconcile.Runner
	Mapping   *config.Mapping
}

const (
	bkToken   = "bench-buildkite-token"
	oktaToken = "bench-okta-token"
)

// Start serves w and builds the Runner. Rate limits are lifted so that a
// benchmark's repeated runs measure teamsync, not waiting.
func Start(tb testing.TB, w World) *Rig {
	tb.Helper()
	bk, ok, m := serveWorld(tb, w, bksim.Options{})
	log := slog.New(slog.DiscardHandler)
	connect := func(ctx context.Context, m *config.Mapping) (*reconcile.Clients, error) {
		c, err := buildkite.New(buildkite.Config{URL: m.Buildkite.GraphQLURL, Organization: "acme", Token: bkToken, Logger: log})
		if err != nil {
			return nil, err
		}
		src, err := okta.New(ctx, okta.Config{OrgURL: m.Okta.OrgURL, Token: oktaToken, Logger: log})
		if err != nil {
			return nil, err
		}
		return &reconcile.Clients{Buildkite: c, Providers: map[string]providers.Provider{providers.SourceOkta: src}}, nil
	}
	return &Rig{Buildkite: bk, Okta: ok, Mapping: m, Runner: &reconcile.Runner{Connect: connect, Logger: log}}
}

// serveWorld starts w's simulators on loopback, Buildkite with opts (its
// token set, its rate limit lifted unless opts sets one) and Okta with no
// rate limit, and returns them with w's mapping pointed at them.
func serveWorld(tb testing.TB, w World, opts bksim.Options) (*bksim.Server, *oktasim.Server, *config.Mapping) {
	tb.Helper()
	opts.Token = bkToken
	if opts.RateLimit == 0 {
		opts.RateLimit = 1 << 30
	}
	bk, err := bksim.New(w.Buildkite, opts)
	if err != nil {
		tb.Fatal(err)
	}
	ok := oktasim.New(w.Okta, oktasim.Options{Token: oktaToken, RateLimit: 1 << 30})
	bkSrv, okSrv := httptest.NewServer(bk), httptest.NewServer(ok)
	tb.Cleanup(bkSrv.Close)
	tb.Cleanup(okSrv.Close)
	m := *w.Mapping
	m.Buildkite.GraphQLURL = bkSrv.URL + "/v1"
	m.Okta = &config.Okta{OrgURL: okSrv.URL, UserEmail: config.UserEmailEmail}
	return bk, ok, &m
}
