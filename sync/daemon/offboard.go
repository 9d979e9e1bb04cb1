package daemon

import (
	"log/slog"
	"time"

	"github.com/teamsync/teamsync/sync/config"
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
	d.mu.Lock()
	d.lastOffboard = at
	d.mu.Unlock()
}
