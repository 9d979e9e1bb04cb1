package daemon

import (
	"log/slog"
	"slices"
	"time"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// offboarding decides whether a run judges the organization: offboarding
// reads every member and looks everyone judged up in the source, so serve
// does it once every offboarding.every, and on a full run asked for
// (POST /sync?full=true), not at every scheduled run. A run that does not
// gets m without its offboarding section. A run of some teams never does
// (config.Mapping.Select has left it out already).
func (d *daemon) offboarding(log *slog.Logger, m *config.Mapping, full bool, now time.Time) *config.Mapping {
	if m.Offboarding == nil {
		return m
	}
	d.mu.Lock()
	last := d.lastOffboard
	d.mu.Unlock()
	if full || last.IsZero() || now.Sub(last) >= m.Offboarding.Every {
		return m
	}
	log.Debug("offboarding is not due in this run", "last", last, "every", m.Offboarding.Every)
	c := *m
	c.Offboarding = nil
	return &c
}

// offboarded records when offboarding last judged everyone: a run whose
// member read and lookups went through. One that failed is tried again at
// the next run.
func (d *daemon) offboarded(m *config.Mapping, res *reconcile.Result, at time.Time) {
	if m.Offboarding == nil || res == nil || res.Plan == nil || res.People == nil || res.People.Err != nil {
		return
	}
	for _, p := range res.People.Lookups {
		if p.Err != nil {
			return
		}
	}
	// Judged means judged to the end: a run that could not judge someone
	// (a failed read or lookup holds them) or whose organization change
	// failed or was cut short leaves it to the next run, not to the next
	// offboarding.every.
	for _, c := range res.Plan.Held {
		if c.Guard == plan.GuardUnknownPerson || c.Guard == plan.GuardUnknownSource {
			return
		}
	}
	for _, c := range res.Plan.Changes {
		if c.Team == "" && (c.Action == plan.ActionRemoveOrgMember || c.Action == plan.ActionRevokeInvitation) &&
			(c.Status == plan.StatusFailed || c.Status == plan.StatusSkipped) {
			return
		}
	}
	d.mu.Lock()
	d.lastOffboard = at
	d.mu.Unlock()
}

// withOrgHolds is the plan whose outcome the metrics count: a run that
// did not judge the organization carries the organization changes held by
// the last run that did, since they still wait for a person (a
// still_granted hold stays until someone settles it), and the gauges must
// not drop to 0 between judging runs. configured is whether the mapping
// has offboarding at all; judged whether this run judged.
func (d *daemon) withOrgHolds(p *plan.Plan, configured, judged bool) *plan.Plan {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case !configured:
		d.orgHeld = nil
		return p
	case judged:
		d.orgHeld = nil
		for _, c := range p.Held {
			if c.Team == "" && (c.Action == plan.ActionRemoveOrgMember || c.Action == plan.ActionRevokeInvitation) {
				d.orgHeld = append(d.orgHeld, c)
			}
		}
		return p
	case len(d.orgHeld) == 0:
		return p
	}
	q := *p
	q.Held = append(slices.Clone(p.Held), d.orgHeld...)
	return &q
}
