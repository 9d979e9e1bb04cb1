package bksim

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// budget is one actual-complexity allowance (the organization's, or the
// token user's) for a fixed window that starts at the first request after
// the previous one ended. Like Buildkite's, the remainder can go negative: a
// query is admitted while anything is left and charged in full afterwards.
type budget struct {
	limit  int
	window time.Duration
	start  time.Time // zero: no window open
	used   int
}

// roll opens a new window when none is open or the current one has ended.
func (b *budget) roll(now time.Time) {
	if b.start.IsZero() || !now.Before(b.start.Add(b.window)) {
		b.start = now
		b.used = 0
	}
}

func (b *budget) remaining() int { return b.limit - b.used }

// resetSeconds is the whole seconds left in the window (rounded up), as
// Buildkite's RateLimit-Reset header carries them.
func (b *budget) resetSeconds(now time.Time) int {
	if b.start.IsZero() {
		return int((b.window + time.Second - 1) / time.Second)
	}
	left := b.start.Add(b.window).Sub(now)
	if left <= 0 {
		return 0
	}
	return int((left + time.Second - 1) / time.Second)
}

// limits are the two windows every request must pass: the organization's,
// shared by every token of the organization, and the per-user one of the
// token's user (nil when not enforced).
type limits struct {
	org  budget
	user *budget
}

func (l *limits) roll(now time.Time) {
	l.org.roll(now)
	if l.user != nil {
		l.user.roll(now)
	}
}

// refusal is Buildkite's 429 text for the first spent window, or "" when
// both have points left.
func (l *limits) refusal(now time.Time) string {
	if l.org.remaining() <= 0 {
		return fmt.Sprintf("Your organization has exceeded the limit of %d complexity points. Please try again in %d seconds.", l.org.limit, l.org.resetSeconds(now))
	}
	if l.user != nil && l.user.remaining() <= 0 {
		return fmt.Sprintf("You have exceeded your per-user limit of %d complexity points. Please try again in %d seconds.", l.user.limit, l.user.resetSeconds(now))
	}
	return ""
}

// charge takes a request's actual complexity from both windows.
func (l *limits) charge(points int) {
	l.org.used += points
	if l.user != nil {
		l.user.used += points
	}
}

// setHeaders writes the rate-limit headers every response carries: the
// organization's window, the per-user one when it is enforced, and the
// request's complexity.
func (l *limits) setHeaders(h http.Header, now time.Time, requested, actual int) {
	h.Set("RateLimit-Remaining", strconv.Itoa(l.org.remaining()))
	h.Set("RateLimit-Limit", strconv.Itoa(l.org.limit))
	h.Set("RateLimit-Reset", strconv.Itoa(l.org.resetSeconds(now)))
	if l.user != nil {
		h.Set("RateLimit-User-Remaining", strconv.Itoa(l.user.remaining()))
		h.Set("RateLimit-User-Limit", strconv.Itoa(l.user.limit))
		h.Set("RateLimit-User-Reset", strconv.Itoa(l.user.resetSeconds(now)))
	}
	h.Set("RateLimit-Complexity-Requested", strconv.Itoa(requested))
	h.Set("RateLimit-Complexity-Actual", strconv.Itoa(actual))
}
