package okta

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/httpx"
)

func TestBucketOf(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/api/v1/groups", "/api/v1/groups"},
		{"/api/v1/groups/00g1emaKYZTWRYYRRTSK", "/api/v1/groups/{id}"},
		{"/api/v1/groups/00g1emaKYZTWRYYRRTSK/users", "/api/v1/groups/{id}/users"},
		{"/oauth2/v1/token", "/oauth2/v1/token"},
		{"/api/v1/groups/rules", "/api/v1/groups/rules"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := bucketOf(tt.path); got != tt.want {
				t.Errorf("bucketOf(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestRateLimitWait(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 30, 0, time.UTC)
	date := now.Add(-5 * time.Second).Format(http.TimeFormat) // Okta's clock runs 5 s behind ours
	reset := func(d time.Duration) string { return stringInt(now.Add(-5*time.Second + d).Unix()) }
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"reset measured against Date", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {reset(20 * time.Second)}}, 21 * time.Second},
		{"capped", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {reset(50 * time.Second)}}, 30 * time.Second},
		{"no Date: absolute reset", http.Header{"X-Rate-Limit-Reset": {stringInt(now.Add(10 * time.Second).Unix())}}, 11 * time.Second},
		// 0 leaves the wait to the edge's backoff.
		{"no reset: backoff", http.Header{"Date": {date}}, 0},
		{"garbage reset: backoff", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {"soon"}}, 0},
		{"reset in the past: backoff", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {reset(-10 * time.Second)}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &transport{maxBackoff: 30 * time.Second, now: func() time.Time { return now }}
			if got := tr.rateLimitWait(&http.Response{Header: tt.header}); got != tt.want {
				t.Errorf("wait %v, want %v", got, tt.want)
			}
		})
	}
}

func stringInt(n int64) string { return strconv.FormatInt(n, 10) }

// countingBase counts the attempts that reach it and answers each with an
// empty JSON page.
type countingBase struct{ n int }

func (b *countingBase) RoundTrip(r *http.Request) (*http.Response, error) {
	b.n++
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader("[]")), Request: r}, nil
}

func TestRequestsGoToTheOrgHostOnly(t *testing.T) {
	// Whatever URL the SDK is led to build, only the org's host gets a
	// request, and with it the credential.
	c, _, err := Config{OrgURL: "https://acme.okta.com", Token: "t", MaxRetries: -1, Headroom: -1}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	base := &countingBase{}
	tr := newTransport(base, c)
	for _, u := range []string{
		"https://acme.okta.com.evil.example/api/v1/groups",
		"https://evil.example/api/v1/groups",
		"https://acme.okta.com:8443/api/v1/groups",
	} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "SSWS t")
		_, err := tr.RoundTrip(req)
		var he *httpx.Error
		if !errors.As(err, &he) || he.Reason != httpx.ReasonURL {
			t.Errorf("%s: error %v, want the edge's refusal (reason %q)", u, err, httpx.ReasonURL)
		}
	}
	if base.n != 0 {
		t.Errorf("%d requests sent to other hosts, want none", base.n)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://ACME.okta.com/api/v1/groups", nil)
	if _, err := tr.RoundTrip(req); err != nil || base.n != 1 {
		t.Errorf("to the org: error %v, %d requests; want it sent", err, base.n)
	}
}
