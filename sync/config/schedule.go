package config

import (
	"time"

	"github.com/robfig/cron/v3"
)

// scheduleProbe is where neverFires starts looking. A five-field spec has
// no year, so whether it ever fires does not depend on the year; a fixed
// instant keeps validation a pure function of the file.
var scheduleProbe = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// neverFires reports whether a parsed schedule has no activation at all,
// such as "0 0 30 2 *" (30 February). robfig/cron accepts such specs and
// its Next then returns the zero time; it searches five years ahead, which
// always includes a 29 February, so a spec that fires only on leap days
// is not mistaken for one that never fires.
func neverFires(s cron.Schedule) bool {
	return s.Next(scheduleProbe).IsZero()
}
