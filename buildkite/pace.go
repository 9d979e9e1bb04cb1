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

// Buildkite charges every request's actual complexity to two windows, and
// a request must pass both: the organization's (RateLimit-*, shared by
// every token of the organization) and the token user's (RateLimit-User-*).
const (
	windowOrg  = "org"
	windowUser = "user"
)

// pacer remembers both rate-limit windows as Buildkite last reported them
// and holds a request back until the window resets when the request's
// estimated cost does not fit what is left: in the user window, all of
// it; in the organization's, all but the headroom, a share kept for the
// organization's other API clients (CI tools, terraform and other
// integrations share that budget with teamsync). Requests in flight have
// their estimates reserved, so that concurrent requests do not all count
// on the same points. It is safe for concurrent use; its clock is passed
// in, so it can be tested without one.
type pacer struct {
	headroom float64 // fraction of the org limit to leave, > 0

	mu       sync.Mutex
	org      window
	user     window
	inflight int // estimated cost of the requests sent and not yet answered
}

// window is one budget as last reported.
type window struct {
	limit, remaining int
	resetAt          time.Time // zero: nothing seen yet
}

// hold is why a request waits: the window that has no room for it, as the
// pacer saw it, and for how long.
type hold struct {
	wait     time.Duration
	window   string // windowOrg or windowUser
	seen     window
	kept     int // points of the window kept for others (the headroom)
	inflight int
}

// observe records the rate-limit headers of a response seen at now.
func (p *pacer) observe(h http.Header, now time.Time) {
	org, okOrg := readWindow(h, "RateLimit-", now)
	user, okUser := readWindow(h, "RateLimit-User-", now)
	p.mu.Lock()
	defer p.mu.Unlock()
	if okOrg {
		p.org.merge(org, now)
	}
	if okUser {
		p.user.merge(user, now)
	}
}

// readWindow reads one window's Limit, Remaining and Reset headers.
func readWindow(h http.Header, prefix string, now time.Time) (window, bool) {
	limit, err1 := strconv.Atoi(h.Get(prefix + "Limit"))
	remaining, err2 := strconv.Atoi(h.Get(prefix + "Remaining"))
	reset, ok := seconds(h.Get(prefix + "Reset"))
	if err1 != nil || err2 != nil || !ok || limit <= 0 {
		return window{}, false
	}
	return window{limit: limit, remaining: remaining, resetAt: now.Add(min(reset, rateLimitWindow))}, true
}

// merge takes in a window reported at now. Answers of concurrent requests
// arrive in any order, so within one window the lowest remaining wins (a
// window's remainder only falls), and an answer from a window older than
// the one recorded is ignored.
func (w *window) merge(n window, now time.Time) {
	old := *w
	switch {
	case old.resetAt.IsZero() || !now.Before(old.resetAt), n.resetAt.Sub(old.resetAt) >= sameWindow:
		*w = n // the first, or a new window
	case old.resetAt.Sub(n.resetAt) >= sameWindow:
		// a late answer from the window before the recorded one
	default:
		w.limit = n.limit
		w.remaining = min(old.remaining, n.remaining)
		w.resetAt = maxTime(old.resetAt, n.resetAt)
	}
}

// check says whether a request estimated to cost cost points, sent at now,
// must wait, and for which window; the longer wait wins when both are
// short. A window that has reset since it was seen has room. A request
// that costs more than a whole window can spend needs a fresh one.
// Caller holds p.mu.
func (p *pacer) check(cost int, now time.Time) hold {
	var h hold
	for _, w := range []struct {
		name string
		win  window
		kept int
	}{
		{windowOrg, p.org, int(p.headroom * float64(p.org.limit))},
		{windowUser, p.user, 0},
	} {
		win := w.win
		if win.resetAt.IsZero() || !now.Before(win.resetAt) {
			continue
		}
		usable := win.limit - w.kept
		room := win.remaining - p.inflight - w.kept
		if min(cost, usable) <= room {
			continue
		}
		if d := win.resetAt.Sub(now); d > h.wait {
			h = hold{wait: d, window: w.name, seen: win, kept: w.kept, inflight: p.inflight}
		}
	}
	return h
}

// admit returns the hold of a request estimated to cost cost sent at now;
// when there is none, the cost is reserved until release.
func (p *pacer) admit(cost int, now time.Time) hold {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.check(cost, now)
	if h.wait <= 0 {
		p.inflight += cost
	}
	return h
}

// peek is admit without the reservation: whether a request of cost would
// wait now.
func (p *pacer) peek(cost int, now time.Time) hold {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.check(cost, now)
}

// force reserves cost for a request sent whatever the windows say.
func (p *pacer) force(cost int) {
	p.mu.Lock()
	p.inflight += cost
	p.mu.Unlock()
}

// release ends the reservation of an answered request.
func (p *pacer) release(cost int) {
	p.mu.Lock()
	p.inflight -= cost
	p.mu.Unlock()
}

// waited records that the caller waited for the reset of the window h
// named. Unless an answer has reported a newer window meanwhile, the
// window is forgotten until the next answer tells where the new one
// stands, so that nobody waits twice for one reset, whatever the clock
// says.
func (p *pacer) waited(h hold) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := &p.org
	if h.window == windowUser {
		w = &p.user
	}
	if w.resetAt.Equal(h.seen.resetAt) {
		*w = window{limit: w.limit}
	}
}

// target is the most one request should cost so that the windows, as
// last seen, are spent in a few steps rather than overdrawn by one: half
// of each known window's usable points, at most limit. limit is returned
// when no window has been seen.
func (p *pacer) target(limit int) int {
	if p == nil {
		return limit
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := limit
	if p.org.limit > 0 {
		t = min(t, int((1-p.headroom)*float64(p.org.limit))/2)
	}
	if p.user.limit > 0 {
		t = min(t, p.user.limit/2)
	}
	return max(t, 1)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
