package okta

import (
	"net/http"
	"strconv"
	"testing"
	"time"
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
