package memory

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// readChanges finds what may have changed since the last run, from the
// audit log or from fingerprints, reads those teams (and the invitations
// when they may have changed), and returns the snapshot of scope with
// them merged into what is remembered. A partial run (some teams of the
// mapping) reads only those of its teams that changed; the others it
// learns may have changed are read by the next run.
func (m *Memory) readChanges(ctx context.Context, log *slog.Logger, bk reconcile.BuildkiteReader, scope []string, partial bool) (*model.Org, reconcile.ReadReport, error) {
	m.mu.Lock()
	st := m.st
	inScope := make(map[string]bool, len(scope))
	changed := make(map[string]bool) // teams to read again
	for _, s := range scope {
		inScope[s] = true
		if !st.known(s) || st.dirty[s] {
			changed[s] = true
		}
	}
	if !partial {
		// Teams the mapping no longer names are no longer managed.
		for s := range st.teams {
			if !inScope[s] {
				delete(st.teams, s)
			}
		}
		for s := range st.missing {
			if !inScope[s] {
				delete(st.missing, s)
			}
		}
		for s := range st.dirty {
			if !inScope[s] {
				delete(st.dirty, s)
			}
		}
	}
	outside := make(map[string]bool) // remembered teams outside scope that may have changed
	// An invitation can expire, which writes no audit event and leaves no
	// fingerprint: while any is remembered pending, the invitations are
	// read again (one small request).
	invitations := st.invitationsDirty || len(st.invitations) > 0
	useAudit, retry := st.audit, st.auditRetry
	m.mu.Unlock()

	rep := reconcile.ReadReport{Mode: reconcile.ReadAudit}
	var found changes
	fingerprints := !useAudit
	// auditRead is set when the events since the mark were read; else the
	// mark stays, and so do teamsync's own writes since, for the next run.
	auditRead := false
	// A retry reads where the audit log stands before the fingerprints:
	// what changes from then on, the next run sees in it.
	var start struct {
		audit, retry bool
		mark         time.Time
		seen         map[string]bool
	}
	if retry {
		var err error
		if start.audit, start.retry, start.mark, start.seen, err = m.auditStart(ctx, log, bk); err != nil {
			return nil, rep, err
		}
		rep.Why = "the audit log could not be read at the last full read"
	}
	if useAudit {
		events, err := bk.AuditEvents(ctx, st.mark)
		switch {
		case errors.Is(err, model.ErrRefused):
			m.auditRefused(log, err)
			fingerprints = true
			rep.Why = "the audit log was refused"
		case err != nil && ctx.Err() != nil:
			return nil, rep, err
		case err != nil:
			// It may pass: this run uses fingerprints, the next reads
			// the audit log again from the same mark.
			log.Warn("buildkite: the audit log could not be read; this run finds changes from team fingerprints, the next reads the audit log again", "error", err)
			fingerprints = true
			rep.Why = "the audit log could not be read this run"
		default:
			auditRead = true
			m.mu.Lock()
			found = fromEvents(events, st, func(s string) bool { return inScope[s] })
			m.mu.Unlock()
			for s := range found.teams {
				if inScope[s] {
					changed[s] = true
				} else {
					outside[s] = true
				}
			}
			invitations = invitations || found.invitations
			if found.suspect != "" {
				fingerprints, rep.Why = true, found.suspect
			}
		}
	}
	checked := 0
	if fingerprints {
		rep.Mode = reconcile.ReadFingerprint
		// A partial run checks its own teams, and every remembered team
		// when the audit log, read past, could not say which changed.
		check := slices.Clone(scope)
		if partial && found.suspect != "" {
			m.mu.Lock()
			check = slices.Sorted(maps.Keys(st.teams))
			m.mu.Unlock()
		}
		check = slices.DeleteFunc(check, func(s string) bool { return changed[s] })
		fps, errs, err := bk.Fingerprints(ctx, check)
		if err != nil {
			return nil, rep, err
		}
		m.mu.Lock()
		for _, s := range check {
			if errs[s] == nil && fps[s] == st.fingerprint(s) {
				continue
			}
			if inScope[s] {
				changed[s] = true
			} else {
				outside[s] = true
			}
		}
		m.mu.Unlock()
		checked = len(check)
		// A new pending invitation has no fingerprint; there are at most
		// 20.
		invitations = true
	}

	read := slices.Sorted(maps.Keys(changed))
	var teams map[string]model.Team
	teamErrs := map[string]error{}
	if len(read) > 0 {
		var err error
		if teams, teamErrs, err = bk.ReadTeams(ctx, read); err != nil {
			return nil, rep, err
		}
	}
	var orgID string
	var pending map[string]model.Invitation
	if invitations {
		var err error
		if orgID, pending, err = bk.ReadInvitations(ctx); err != nil {
			return nil, rep, err
		}
	}
	rep.TeamsRead = len(read)

	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range read {
		delete(st.dirty, s)
		switch t, ok := teams[s]; {
		case teamErrs[s] != nil:
			// Not known whole; the run forgets everything (see Read).
		case ok:
			st.teams[s] = cloneTeam(t)
			delete(st.missing, s)
		default:
			delete(st.teams, s)
			st.missing[s] = true
		}
	}
	for s := range outside {
		st.dirty[s] = true
	}
	switch {
	case auditRead && st.audit:
		st.mark, st.seen = found.mark, found.seen
		clear(st.own)
	case retry && st.auditRetry:
		st.audit, st.auditRetry, st.mark, st.seen = start.audit, start.retry, start.mark, start.seen
		clear(st.own)
	case !st.audit:
		clear(st.own)
	}
	if invitations {
		st.orgID, st.invitations, st.invitationsDirty = orgID, cloneInvitations(pending), false
	}
	org := st.orgOf(scope)
	for s, err := range teamErrs {
		org.TeamErrors[s] = err
		if t, ok := teams[s]; ok {
			org.Teams[s] = t
		}
	}
	if len(teamErrs) > 0 {
		org.Members, _ = model.TeamPeople(org.Teams)
	}
	attrs := []any{"mode", rep.Mode, "teams_read", len(read), "invitations_read", invitations}
	if useAudit {
		attrs = append(attrs, "audit_events", found.events)
	}
	if fingerprints {
		attrs = append(attrs, "fingerprints", checked, "why", rep.Why)
	}
	if len(outside) > 0 {
		attrs = append(attrs, "other_teams_changed", len(outside))
	}
	log.Info("buildkite: read only the teams that may have changed", attrs...)
	return org, rep, nil
}
