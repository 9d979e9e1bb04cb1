package daemon

import (
	"context"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/metrics"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// observed wraps a Connector so that every failed read of a source is
// counted in teamsync_source_errors_total. Reads cut short by shutdown are
// not source errors and are not counted.
func (d *daemon) observed(connect reconcile.Connector) reconcile.Connector {
	return func(ctx context.Context, m *config.Mapping) (*reconcile.Clients, error) {
		c, err := connect(ctx, m)
		if err != nil {
			return nil, err
		}
		out := &reconcile.Clients{
			Buildkite: observedBuildkite{Buildkite: c.Buildkite, met: d.met},
			Providers: make(map[string]providers.Provider, len(c.Providers)),
		}
		for source, p := range c.Providers {
			out.Providers[source] = observedProvider{source: source, p: p, met: d.met}
		}
		return out, nil
	}
}

// observedBuildkite counts a failed organization read, and each managed
// team whose read failed part-way, as Buildkite source errors.
type observedBuildkite struct {
	reconcile.Buildkite
	met *metrics.Metrics
}

func (b observedBuildkite) ReadOrg(ctx context.Context, teams []string) (*model.Org, error) {
	org, err := b.Buildkite.ReadOrg(ctx, teams)
	switch {
	case err != nil && ctx.Err() == nil:
		b.met.SourceError(metrics.SourceBuildkite)
	case err == nil && org != nil:
		for range org.TeamErrors {
			b.met.SourceError(metrics.SourceBuildkite)
		}
	}
	return org, err
}

// observedProvider counts failed group reads under the source's name.
type observedProvider struct {
	source string
	p      providers.Provider
	met    *metrics.Metrics
}

func (o observedProvider) Members(ctx context.Context, ref providers.GroupRef) ([]providers.Member, error) {
	ms, err := o.p.Members(ctx, ref)
	if err != nil && ctx.Err() == nil {
		o.met.SourceError(o.source)
	}
	return ms, err
}

// LookupMembers counts a failed organization-member lookup as a Buildkite
// source error.
func (b observedBuildkite) LookupMembers(ctx context.Context, emails []string) (map[string]model.Member, error) {
	found, err := b.Buildkite.LookupMembers(ctx, emails)
	if err != nil && ctx.Err() == nil {
		b.met.SourceError(metrics.SourceBuildkite)
	}
	return found, err
}

// Prepare passes through to providers that batch their reads (Okta
// resolves group names twenty at a time), so wrapping one for metrics
// does not make the daemon's runs dearer than the CLI's.
func (o observedProvider) Prepare(ctx context.Context, refs []providers.GroupRef) error {
	if p, ok := o.p.(providers.Preparer); ok {
		return p.Prepare(ctx, refs)
	}
	return nil
}

var _ providers.Preparer = observedProvider{}
