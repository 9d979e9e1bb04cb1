package buildkite

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

const (
	// DefaultHeadroom is the share of the organization's GraphQL budget
	// left for its other API clients when Config.Headroom is 0.
	DefaultHeadroom = 0.1

	// rateLimitWindow is the length of Buildkite's complexity windows. A
	// reset further away than this is a bad header, so a pacing wait never
	// exceeds it; and two resets less than sameWindow apart belong to the
	// same window (they differ only by the rounding to whole seconds and
	// by how long the answers took to arrive).
	rateLimitWindow = 5 * time.Minute
	sameWindow      = time.Minute
)

// pacer remembers the organization's rate-limit window as Buildkite last
// reported it (RateLimit-Remaining, -Limit, -Reset) and says how long to
// hold a request back so that a share of the window's points stays for
// the organization's other API clients: CI tools, terraform, other
// integrations share one budget with teamsync. It is safe for concurrent
// use; its clock is passed in, so it can be tested without one.
type pacer struct {
	headroom float64 // fraction of the limit to leave, > 0

	mu  sync.Mutex
	win window
}

// window is the organization's budget as last reported.
type window struct {
	limit, remaining int
	resetAt          time.Time // zero: nothing seen yet
}

// observe records the org-window headers of a response seen at now. Answers
// of concurrent requests arrive in any order, so within one window the
// lowest remaining wins (a window's remainder only falls), and an answer
// from a window older than the one recorded is ignored.
func (p *pacer) observe(h http.Header, now time.Time) {
	limit, err1 := strconv.Atoi(h.Get("RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("RateLimit-Remaining"))
	reset, ok := seconds(h.Get("RateLimit-Reset"))
	if err1 != nil || err2 != nil || !ok || limit <= 0 {
		return
	}
	w := window{limit: limit, remaining: remaining, resetAt: now.Add(min(reset, rateLimitWindow))}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.win
	switch {
	case old.resetAt.IsZero() || !now.Before(old.resetAt), w.resetAt.Sub(old.resetAt) >= sameWindow:
		p.win = w // the first, or a new window
	case old.resetAt.Sub(w.resetAt) >= sameWindow:
		// a late answer from the window before the recorded one
	default:
		p.win.limit = w.limit
		p.win.remaining = min(old.remaining, w.remaining)
		p.win.resetAt = maxTime(old.resetAt, w.resetAt)
	}
}

// delay is how long a request sent at now should wait: until the window
// resets when less than the headroom is left of it, else 0. It also
// returns the window it judged by.
func (p *pacer) delay(now time.Time) (time.Duration, window) {
	p.mu.Lock()
	w := p.win
	p.mu.Unlock()
	if w.resetAt.IsZero() || float64(w.remaining) >= p.headroom*float64(w.limit) {
		return 0, w
	}
	return max(w.resetAt.Sub(now), 0), w
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
