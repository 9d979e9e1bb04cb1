package buildkite

import (
	"net/http"
	"strconv"
	"time"
)

// authTransport adds the bearer token to every request. It is the only
// place the token is used.
type authTransport struct {
	token string
	base  http.RoundTripper
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.base.RoundTrip(r)
}

// userAgentTransport sets the User-Agent header.
type userAgentTransport struct {
	agent string
	base  http.RoundTripper
}

func (t *userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("User-Agent", t.agent)
	return t.base.RoundTrip(r)
}

// RateLimit is what one response said about Buildkite's rate-limit
// windows (see the GraphQL resource limits docs). Reset values are the
// time left in the window, not a point in time. Fields whose header was
// absent are zero; Remaining can be negative.
type RateLimit struct {
	Limit, Remaining         int
	Reset                    time.Duration
	UserLimit, UserRemaining int
	UserReset                time.Duration
	// ComplexityRequested and ComplexityActual are the cost of this query.
	ComplexityRequested, ComplexityActual int
}

// parseRateLimit reads the RateLimit-* headers; ok is false when none of
// them was present.
func parseRateLimit(h http.Header) (rl RateLimit, ok bool) {
	num := func(name string) int {
		v := h.Get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0
		}
		ok = true
		return n
	}
	rl = RateLimit{
		Limit:               num("RateLimit-Limit"),
		Remaining:           num("RateLimit-Remaining"),
		Reset:               time.Duration(num("RateLimit-Reset")) * time.Second,
		UserLimit:           num("RateLimit-User-Limit"),
		UserRemaining:       num("RateLimit-User-Remaining"),
		UserReset:           time.Duration(num("RateLimit-User-Reset")) * time.Second,
		ComplexityRequested: num("RateLimit-Complexity-Requested"),
		ComplexityActual:    num("RateLimit-Complexity-Actual"),
	}
	return rl, ok
}

// observeTransport reports the rate-limit headers of every response that
// carries them, for metrics.
type observeTransport struct {
	observe func(RateLimit)
	base    http.RoundTripper
}

func (t *observeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		if rl, ok := parseRateLimit(resp.Header); ok {
			t.observe(rl)
		}
	}
	return resp, err
}
