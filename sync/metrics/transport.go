package metrics

import (
	"net/http"
	"strconv"
	"strings"
)

// Rate-limit windows, the values of the window label on
// teamsync_api_ratelimit_remaining.
const (
	// WindowOrg is the budget the whole organization shares: Buildkite's
	// 20,000 points per 5 minutes, or Okta's per-endpoint window.
	WindowOrg = "org"
	// WindowUser is Buildkite's per-user budget (5,000 points per 5
	// minutes for the token's user), charged besides the org window.
	WindowUser = "user"
)

// remainingHeaders maps the headers that carry a remaining rate-limit
// budget to their window. Buildkite sends RateLimit-Remaining and
// RateLimit-User-Remaining (complexity points; both can go negative), Okta
// X-Rate-Limit-Remaining (requests left in the endpoint's window).
var remainingHeaders = [...]struct{ name, window string }{
	{"RateLimit-Remaining", WindowOrg},
	{"RateLimit-User-Remaining", WindowUser},
	{"X-Rate-Limit-Remaining", WindowOrg},
}

// limitHeaders maps the headers that carry the size of a rate-limit
// window to their window, so that headroom can be read as a share.
var limitHeaders = [...]struct{ name, window string }{
	{"RateLimit-Limit", WindowOrg},
	{"RateLimit-User-Limit", WindowUser},
	{"X-Rate-Limit-Limit", WindowOrg},
}

// pointsHeader is what Buildkite charged a GraphQL request, in complexity
// points.
const pointsHeader = "RateLimit-Complexity-Actual"

// Transport wraps base (nil: http.DefaultTransport) so that every request
// through it is counted under api ("buildkite", "okta", "google") by status
// class, the rate-limit headroom and window size a response reports are
// recorded per window, and the complexity points Buildkite charged are
// added up. It reads only status codes and those headers: no URL, body or
// credential reaches a label. Put it under each client's retry layer so
// that retries count as the separate requests they are.
func (m *Metrics) Transport(api string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{m: m, api: api, base: base}
}

type transport struct {
	m    *Metrics
	api  string
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		t.m.apiRequests.WithLabelValues(t.api, "error").Inc()
		return resp, err
	}
	t.m.apiRequests.WithLabelValues(t.api, codeClass(resp.StatusCode)).Inc()
	for _, h := range remainingHeaders {
		if n, ok := remaining(resp.Header, h.name); ok {
			t.m.rateRemaining.WithLabelValues(t.api, h.window).Set(n)
		}
	}
	for _, h := range limitHeaders {
		if n, ok := remaining(resp.Header, h.name); ok && n > 0 {
			t.m.rateLimit.WithLabelValues(t.api, h.window).Set(n)
		}
	}
	if n, ok := remaining(resp.Header, pointsHeader); ok && n > 0 {
		t.m.points.WithLabelValues(t.api).Add(n)
	}
	return resp, nil
}

func codeClass(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code/100) + "xx"
}

// remaining reads one headroom header; a missing or unparsable value is
// not recorded rather than recorded as zero.
func remaining(h http.Header, name string) (float64, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
