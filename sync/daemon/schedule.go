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
// interval /readyz measures staleness in.
func (s schedule) period(now time.Time) time.Duration {
	first := s.cron.Next(now)
	return s.cron.Next(first).Sub(first)
}

// scheduleLoop starts a cron run at every activation until ctx ends. A run
// due while another is going is skipped and counted. A changed schedule
// (from a re-read mapping) takes effect at once.
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
		select {
		case <-ctx.Done():
			return
		case <-d.resched:
			continue
		case <-d.after(next.Sub(d.now())):
		}
		last = next
		switch _, st := d.start(ctx, audit.TriggerCron, nil); st {
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
