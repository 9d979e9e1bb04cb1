package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/config"
)

// schedule is a parsed sync.schedule.
type schedule struct {
	spec string
	cron cron.Schedule
}

// parseSchedule accepts what robfig/cron's standard parser does: five-field
// specs, descriptors such as @hourly and @every 15m, and CRON_TZ= prefixes.
// Empty means config.DefaultSchedule.
func parseSchedule(spec string) (schedule, error) {
	if spec == "" {
		spec = config.DefaultSchedule
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return schedule{}, fmt.Errorf("sync.schedule %q: %w", spec, err)
	}
	return schedule{spec: spec, cron: s}, nil
}

// period is the gap between the next two activations after now: the
// interval /readyz measures staleness in. It is 0 for a schedule that never
// fires (robfig/cron's Next returns the zero time for "0 0 30 2 *");
// config.Load rejects those, but the daemon must not spin on one that gets
// through.
func (s schedule) period(now time.Time) time.Duration {
	first := s.cron.Next(now)
	if first.IsZero() {
		return 0
	}
	second := s.cron.Next(first)
	if second.IsZero() {
		return 0
	}
	return second.Sub(first)
}

// scheduleLoop starts a cron run at every activation until ctx ends. A run
// due while another is going is skipped and counted. A changed schedule
// (from a re-read mapping) takes effect at once. A schedule with no next
// activation is logged once and then waited out: only a new schedule or
// the end of ctx wakes the loop.
func (d *daemon) scheduleLoop(ctx context.Context) {
	var last time.Time // the activation last fired, so it never fires twice
	for {
		d.mu.Lock()
		s := d.sched
		d.mu.Unlock()
		from := d.now()
		if from.Before(last) {
			from = last
		}
		next := s.cron.Next(from)
		d.met.NextRun(next)
		var due <-chan time.Time // nil, so never ready, when nothing is due
		if next.IsZero() {
			d.log.Error("sync.schedule never fires: no scheduled reconcile until the schedule changes", "schedule", s.spec)
		} else {
			due = d.after(next.Sub(d.now()))
		}
		select {
		case <-ctx.Done():
			return
		case <-d.resched:
			continue
		case <-due:
		}
		last = next
		switch _, st := d.start(ctx, runRequest{trigger: audit.TriggerCron}); st {
		case startBusy:
			d.met.Skipped()
			d.log.Warn("scheduled reconcile skipped: the previous run is still going", "due", next)
		case startStopping:
			return
		}
	}
}

// setScheduleLocked installs a schedule from a re-read mapping, waking the
// scheduler when it changed. Callers hold d.mu.
func (d *daemon) setScheduleLocked(s schedule) {
	if s.spec == d.sched.spec {
		return
	}
	d.log.Info("schedule changed", "from", d.sched.spec, "to", s.spec)
	d.sched = s
	select {
	case d.resched <- struct{}{}:
	default:
	}
}
