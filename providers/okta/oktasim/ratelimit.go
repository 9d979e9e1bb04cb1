package oktasim

import (
	"strings"
	"time"
)

// budget is one rate-limit bucket's window. Like Okta's, a window starts
// with the first request after the previous one ended, not on the minute.
type budget struct {
	start time.Time
	used  int
}

// bucketOf groups paths the way Okta's published limits do: a single group
// has its own bucket; listing groups and listing a group's users share one;
// the token endpoint has its own.
func bucketOf(path string) string {
	switch {
	case path == "/oauth2/v1/token":
		return path
	case strings.HasPrefix(path, "/api/v1/groups/"):
		rest := strings.TrimPrefix(path, "/api/v1/groups/")
		if !strings.Contains(rest, "/") {
			return "/api/v1/groups/{id}"
		}
		return "/api/v1/groups"
	}
	return path
}

// take spends one request of bucket's budget at now. It reports whether
// the request is over the limit, the requests left and the window's reset
// time in Unix seconds.
func (s *Server) take(bucket string, now time.Time) (limited bool, remaining int, reset int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.windows[bucket]
	if b == nil || !now.Before(b.start.Add(window)) {
		b = &budget{start: now}
		s.windows[bucket] = b
	}
	b.used++
	remaining = s.opts.RateLimit - b.used
	if remaining < 0 {
		remaining = 0
	}
	return b.used > s.opts.RateLimit, remaining, resetOf(b.start)
}

// peek is take without spending, for injected faults.
func (s *Server) peek(bucket string, now time.Time) (remaining int, reset int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.windows[bucket]
	if b == nil || !now.Before(b.start.Add(window)) {
		return s.opts.RateLimit, resetOf(now)
	}
	return max(0, s.opts.RateLimit-b.used), resetOf(b.start)
}

// resetOf is the end of a window starting at start, rounded up to a whole
// second so a client waiting until it is never early.
func resetOf(start time.Time) int64 {
	end := start.Add(window)
	if end.Truncate(time.Second).Equal(end) {
		return end.Unix()
	}
	return end.Unix() + 1
}
