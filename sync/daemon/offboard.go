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

// offboarded records when offboarding last judged everyone. A run that
// could not is tried again at the next run, then with growing waits.
func (d *daemon) offboarded(log *slog.Logger, m *config.Mapping, res *reconcile.Result, at time.Time) {
	if m.Offboarding == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if judgedAll(res) {
		d.lastOffboard, d.offboardFailures = at, 0
		return
	}
	// Judged in vain: the next run tries again, then, if that fails too,
	// after 15 minutes, 30, an hour… up to offboarding.every, so that a
	// failure that lasts (a removal Buildkite keeps refusing, a source
	// that counts nobody) does not make every run read the whole
	// organization.
	d.offboardFailures++
	wait := time.Duration(0)
	if d.offboardFailures > 1 {
		wait = min(m.Offboarding.Every, retryStep<<min(d.offboardFailures-2, 16))
	}
	d.lastOffboard = at.Add(wait - m.Offboarding.Every)
	when := "at the next run"
	if wait > 0 {
		when = "in " + wait.String() + " (each failure in a row doubles the wait, up to offboarding.every)"
	}
	log.Warn("offboarding could not judge everyone (a read, lookup or organization change failed, or someone is held as unknown): it judges the organization again "+when,
		"failures_in_a_row", d.offboardFailures)
}

// retryStep is the first wait before judging again after two failed
// judging runs in a row; each further failure doubles it.
const retryStep = 15 * time.Minute

// judgedAll reports whether a run judged everyone to the end: its member
// read and lookups went through, it held nobody for an unknown (a failed
// lookup or group read), and none of its organization changes failed or
// was cut short.
func judgedAll(res *reconcile.Result) bool {
	if res == nil || res.Plan == nil || res.People == nil || res.People.Err != nil {
		return false
	}
	for _, p := range res.People.Lookups {
		if p.Err != nil {
			return false
		}
	}
	for _, c := range res.Plan.Held {
		if c.Guard == plan.GuardUnknownPerson || c.Guard == plan.GuardUnknownSource {
			return false
		}
	}
	for _, c := range res.Plan.Changes {
		if c.OrgLevel() &&
			(c.Status == plan.StatusFailed || c.Status == plan.StatusSkipped) {
			return false
		}
	}
	return true
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
			if c.OrgLevel() {
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
