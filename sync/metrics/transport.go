package metrics

import (
	"net/http"
	"strconv"
	"strings"
)

// Names of the headers that carry the remaining rate-limit budget: Buildkite
// sends RateLimit-Remaining (complexity points, can go negative), Okta
// X-Rate-Limit-Remaining (requests left in the endpoint's window).
const (
	headerBuildkiteRemaining = "RateLimit-Remaining"
	headerOktaRemaining      = "X-Rate-Limit-Remaining"
)

// Transport wraps base (nil: http.DefaultTransport) so that every request
// through it is counted under api ("buildkite", "okta", "google") by status
// class, and the rate-limit headroom a response reports is recorded. It
// reads only status codes and those headers: no URL, body or credential
// reaches a label. Put it under each client's retry layer so that retries
// count as the separate requests they are.
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
	if n, ok := remaining(resp.Header); ok {
		t.m.rateRemaining.WithLabelValues(t.api).Set(n)
	}
	return resp, nil
}

func codeClass(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code/100) + "xx"
}

func remaining(h http.Header) (float64, bool) {
	for _, name := range []string{headerBuildkiteRemaining, headerOktaRemaining} {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			continue
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			continue
		}
		return n, true
	}
	return 0, false
}
