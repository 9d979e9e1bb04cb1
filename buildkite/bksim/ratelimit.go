package bksim

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// budget is the organization's actual-complexity allowance for a fixed
// window that starts at the first request after the previous one ended.
// Like Buildkite's, the remainder can go negative: a query is admitted while
// anything is left and charged in full afterwards.
type budget struct {
	limit int
	start time.Time // zero: no window open
	used  int
}

// roll opens a new window when none is open or the current one has ended.
func (b *budget) roll(now time.Time) {
	if b.start.IsZero() || !now.Before(b.start.Add(RateLimitWindow)) {
		b.start = now
		b.used = 0
	}
}

func (b *budget) remaining() int { return b.limit - b.used }

// resetSeconds is the whole seconds left in the window (rounded up), as
// Buildkite's RateLimit-Reset header carries them.
func (b *budget) resetSeconds(now time.Time) int {
	if b.start.IsZero() {
		return int(RateLimitWindow / time.Second)
	}
	left := b.start.Add(RateLimitWindow).Sub(now)
	if left <= 0 {
		return 0
	}
	return int((left + time.Second - 1) / time.Second)
}

// exhaustedMessage is Buildkite's 429 text for the organization budget.
func (b *budget) exhaustedMessage(now time.Time) string {
	return fmt.Sprintf("Your organization has exceeded the limit of %d complexity points. Please try again in %d seconds.", b.limit, b.resetSeconds(now))
}

// setHeaders writes the rate-limit headers every response carries.
func (b *budget) setHeaders(h http.Header, now time.Time, requested, actual int) {
	h.Set("RateLimit-Remaining", strconv.Itoa(b.remaining()))
	h.Set("RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("RateLimit-Reset", strconv.Itoa(b.resetSeconds(now)))
	h.Set("RateLimit-Complexity-Requested", strconv.Itoa(requested))
	h.Set("RateLimit-Complexity-Actual", strconv.Itoa(actual))
}
