package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// failed counts a failed read, unless shutdown cut it short.
func (b observedBuildkite) failed(ctx context.Context, err error) {
	if err != nil && ctx.Err() == nil {
		b.met.SourceError(metrics.SourceBuildkite)
	}
}

// ReadTeams counts a failed read, and each team whose read failed part-way.
func (b observedBuildkite) ReadTeams(ctx context.Context, teams []string) (map[string]model.Team, map[string]error, error) {
	read, errs, err := b.Buildkite.ReadTeams(ctx, teams)
	b.failed(ctx, err)
	for range errs {
		b.met.SourceError(metrics.SourceBuildkite)
	}
	return read, errs, err
}

// ReadInvitations counts a failed read.
func (b observedBuildkite) ReadInvitations(ctx context.Context) (string, map[string]model.Invitation, error) {
	id, inv, err := b.Buildkite.ReadInvitations(ctx)
	b.failed(ctx, err)
	return id, inv, err
}

// Fingerprints counts a failed read. A team whose fingerprint failed is
// read in full next, which counts if it fails too.
func (b observedBuildkite) Fingerprints(ctx context.Context, teams []string) (map[string]model.Fingerprint, map[string]error, error) {
	fps, errs, err := b.Buildkite.Fingerprints(ctx, teams)
	b.failed(ctx, err)
	return fps, errs, err
}

// AuditEvents counts a failed read; a refusal is the organization's plan
// or the token's permissions, not a failure.
func (b observedBuildkite) AuditEvents(ctx context.Context, since time.Time) ([]model.AuditEvent, error) {
	events, err := b.Buildkite.AuditEvents(ctx, since)
	if !errors.Is(err, model.ErrRefused) {
		b.failed(ctx, err)
	}
	return events, err
}

// NewestAuditEvent counts a failed read, a refusal aside.
func (b observedBuildkite) NewestAuditEvent(ctx context.Context) (*model.AuditEvent, error) {
	ev, err := b.Buildkite.NewestAuditEvent(ctx)
	if !errors.Is(err, model.ErrRefused) {
		b.failed(ctx, err)
	}
	return ev, err
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

var (
	_ providers.Preparer     = observedProvider{}
	_ providers.PersonLookup = observedProvider{}
)

// LookupPeople passes offboarding's lookups on to the source, counting a
// run in which any failed as one source error. A source that cannot look
// people up answers each person with that error.
func (o observedProvider) LookupPeople(ctx context.Context, emails []string) map[string]providers.Person {
	l, ok := o.p.(providers.PersonLookup)
	if !ok {
		err := fmt.Errorf("the %s source cannot look people up", o.source)
		out := make(map[string]providers.Person, len(emails))
		for _, e := range emails {
			out[e] = providers.Person{Err: err}
		}
		return out
	}
	out := l.LookupPeople(ctx, emails)
	for _, p := range out {
		if p.Err != nil && ctx.Err() == nil {
			o.met.SourceError(o.source)
			break
		}
	}
	return out
}

// ReadPeople counts a failed read.
func (b observedBuildkite) ReadPeople(ctx context.Context) (*model.People, error) {
	people, err := b.Buildkite.ReadPeople(ctx)
	b.failed(ctx, err)
	return people, err
}
