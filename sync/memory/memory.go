// Package memory is what `teamsync serve` keeps of Buildkite between runs,
// above the API clients that every run builds afresh: the managed teams'
// memberships and the pending invitations as the last full read left
// them, brought up to date with the outcome of teamsync's own writes, and
// how far into the organization's audit log it has read.
//
// With it a run re-reads only the teams that may have changed: those the
// audit log names since the last run, where the organization has one and
// the token may read it, else those whose fingerprint (model.Fingerprint)
// differs from what is remembered. A full read happens at the first run,
// once sync.full_read_every has passed since the last, after a run whose
// Buildkite read failed, and when asked for (POST /sync?full=true). The
// IdPs are read in full at every run: their reads cost little against
// their limits, and teamsync keeps nothing of them.
//
// A Memory implements reconcile.Memory; the daemon holds one for its
// lifetime. It is safe for concurrent use, though runs never overlap.
package memory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// Memory is serve's memory of Buildkite. The zero value is not usable;
// make one with New.
type Memory struct {
	now func() time.Time

	mu sync.Mutex
	st *state // nil: nothing remembered, the next read is full
	// forgotten says why st was dropped, for the next full read's report.
	forgotten string
	// refused is set while the audit log is refused, so the refusal is
	// logged once; full reads try the audit log again.
	refused bool
}

var _ reconcile.Memory = (*Memory)(nil)

// New returns an empty Memory whose clock (for sync.full_read_every) is
// now; nil means time.Now.
func New(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now}
}

// state is what is remembered.
type state struct {
	// source is the organization and endpoint it was read from.
	source      string
	slug, orgID string
	// teams are the managed teams that exist, with their memberships;
	// missing are managed teams read and found not to exist.
	teams   map[string]model.Team
	missing map[string]bool
	// invitations are the pending invitations by email.
	invitations map[string]model.Invitation
	fullAt      time.Time // when the last full read started

	// audit is set while the audit log is read from mark on: seen are the
	// IDs of the events at mark already taken in. auditRetry is set when
	// where it stands could not be read at the full read, for a passing
	// reason: the next run reads it, and watches from there on.
	audit      bool
	auditRetry bool
	mark       time.Time
	seen       map[string]bool

	// dirty are teams to read again at the next run whatever detection
	// says: a write of teamsync's whose outcome is not known, a team a
	// partial run learned may have changed. invitationsDirty is the same
	// for the pending invitations.
	dirty            map[string]bool
	invitationsDirty bool
	// own are the subject IDs (TeamMember IDs) of teamsync's writes
	// since the last read whose outcome is remembered: their audit events
	// change nothing.
	own map[string]bool
}

// known reports whether slug was read: it exists or is known missing.
func (st *state) known(slug string) bool {
	_, ok := st.teams[slug]
	return ok || st.missing[slug]
}

// fingerprint is what the team's fingerprint must read as if it has not
// changed: derived from its remembered memberships, none for a missing
// team.
func (st *state) fingerprint(slug string) model.Fingerprint {
	if t, ok := st.teams[slug]; ok {
		return t.Fingerprint()
	}
	return model.Fingerprint{}
}

// Forget drops what is remembered, so that the next read is a full one;
// reason says why in that read's report.
func (m *Memory) Forget(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.st, m.forgotten = nil, reason
}

// Read returns the snapshot of req.Teams a run plans against (see
// reconcile.Memory): read in full, or assembled from what is remembered
// with the teams that may have changed read again. A failure forgets
// everything, so that the next run reads in full.
func (m *Memory) Read(ctx context.Context, bk reconcile.BuildkiteReader, req reconcile.ReadRequest) (*model.Org, reconcile.ReadReport, error) {
	log := req.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	scope := slices.Clone(req.Teams)
	slices.Sort(scope)
	scope = slices.Compact(scope)

	m.mu.Lock()
	why := m.fullReadWhy(req)
	remembered := m.st != nil
	m.mu.Unlock()

	var org *model.Org
	var rep reconcile.ReadReport
	var err error
	switch {
	case why != "" && req.Partial:
		// Only some teams: read them, but remember nothing of a read
		// that is not of the whole organization.
		rep = reconcile.ReadReport{Mode: reconcile.ReadFull, Why: why, TeamsRead: len(scope)}
		org, err = bk.ReadOrg(ctx, scope)
	case why != "":
		org, rep, err = m.readFull(ctx, log, bk, req, scope, why)
	case remembered:
		org, rep, err = m.readChanges(ctx, log, bk, scope, req.Partial)
	}
	if err != nil {
		m.Forget("the last run's Buildkite read failed")
		return nil, rep, err
	}
	if len(org.TeamErrors) > 0 {
		m.Forget("the last run could not read every managed team")
	}
	return org, rep, nil
}

// fullReadWhy says why the next read must be full, or "" when it need not.
// Caller holds m.mu.
func (m *Memory) fullReadWhy(req reconcile.ReadRequest) string {
	switch {
	case m.st == nil && m.forgotten != "":
		return m.forgotten
	case m.st == nil:
		return "nothing is remembered yet"
	case m.st.source != source(req):
		return "buildkite.organization or graphql_url changed"
	case req.Full:
		return "a full read was asked for"
	case req.FullEvery > 0 && m.now().Sub(m.st.fullAt) >= req.FullEvery:
		return fmt.Sprintf("sync.full_read_every (%s) has passed since the last full read", req.FullEvery)
	}
	return ""
}

// readFull reads every team of scope and the invitations, and remembers
// them as the new starting point. The audit log's newest event is read
// first: whatever happens from it on is seen by the next run. A refused
// audit log leaves fingerprints to find changes until the next full read,
// which tries it again; one that fails for a passing reason is tried
// again by the next run.
func (m *Memory) readFull(ctx context.Context, log *slog.Logger, bk reconcile.BuildkiteReader, req reconcile.ReadRequest, scope []string, why string) (*model.Org, reconcile.ReadReport, error) {
	rep := reconcile.ReadReport{Mode: reconcile.ReadFull, Why: why, TeamsRead: len(scope)}
	start := m.now()
	audit, retry, mark, seen, err := m.auditStart(ctx, log, bk)
	if err != nil {
		return nil, rep, err
	}
	org, err := bk.ReadOrg(ctx, scope)
	if err != nil {
		return nil, rep, err
	}
	st := &state{
		source: source(req),
		slug:   org.Slug, orgID: org.ID,
		teams: make(map[string]model.Team, len(org.Teams)), missing: make(map[string]bool),
		invitations: cloneInvitations(org.Invitations),
		fullAt:      start,
		audit:       audit, auditRetry: retry, mark: mark, seen: seen,
		dirty: make(map[string]bool), own: make(map[string]bool),
	}
	for _, s := range scope {
		if t, ok := org.Teams[s]; ok {
			st.teams[s] = cloneTeam(t)
		} else {
			st.missing[s] = true
		}
	}
	m.mu.Lock()
	m.st, m.forgotten = st, ""
	m.mu.Unlock()
	log.Info("buildkite: read every managed team", "why", why, "teams", len(scope))
	return org, rep, nil
}

// source names where a request reads from.
func source(req reconcile.ReadRequest) string { return req.Organization + " at " + req.URL }

// auditStart reads where the audit log stands, to watch it from there on.
// A refusal gives it up until the next full read; a failure that may pass
// (anything but a refusal or the run's own end) is to be tried again
// (retry) at the next run.
func (m *Memory) auditStart(ctx context.Context, log *slog.Logger, bk reconcile.BuildkiteReader) (audit, retry bool, mark time.Time, seen map[string]bool, err error) {
	ev, err := bk.NewestAuditEvent(ctx)
	switch {
	case errors.Is(err, model.ErrRefused):
		m.auditRefused(log, err)
		return false, false, time.Time{}, nil, nil
	case err != nil && ctx.Err() != nil:
		return false, false, time.Time{}, nil, err
	case err != nil:
		log.Warn("buildkite: the audit log could not be read; the next run finds changes from team fingerprints and reads the audit log again", "error", err)
		return false, true, time.Time{}, nil, nil
	}
	m.mu.Lock()
	if m.refused {
		log.Info("buildkite: the audit log can be read again; changes between full reads are found from it")
		m.refused = false
	}
	m.mu.Unlock()
	seen = make(map[string]bool)
	if ev != nil {
		mark = ev.OccurredAt
		seen[ev.ID] = true
	}
	return true, false, mark, seen, nil
}

// auditRefused says, once, that the audit log is refused.
func (m *Memory) auditRefused(log *slog.Logger, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.refused {
		log.Warn("buildkite: the audit log is not available to this token (the organization's plan or the token's permissions); changes between full reads are found from team fingerprints instead", "error", err)
	}
	m.refused = true
	if m.st != nil {
		m.st.audit, m.st.auditRetry = false, false
	}
}

// orgOf assembles the snapshot of scope from what is remembered. Caller
// holds m.mu.
func (st *state) orgOf(scope []string) *model.Org {
	org := &model.Org{
		Slug: st.slug, ID: st.orgID,
		Teams:       make(map[string]model.Team, len(scope)),
		TeamErrors:  make(map[string]error),
		Invitations: cloneInvitations(st.invitations),
	}
	for _, s := range scope {
		if t, ok := st.teams[s]; ok {
			org.Teams[s] = cloneTeam(t)
		}
	}
	org.Members, _ = model.TeamPeople(org.Teams) // clashes were logged when read
	return org
}

// cloneTeam copies a team deeply enough that a run's planner and applier
// and the memory never share a map or slice.
func cloneTeam(t model.Team) model.Team {
	t.Members = maps.Clone(t.Members)
	if t.Members == nil {
		t.Members = make(map[string]model.TeamMember)
	}
	t.Unlisted = slices.Clone(t.Unlisted)
	return t
}

func cloneInvitations(in map[string]model.Invitation) map[string]model.Invitation {
	out := make(map[string]model.Invitation, len(in))
	for k, v := range in {
		v.Teams = slices.Clone(v.Teams)
		out[k] = v
	}
	return out
}
