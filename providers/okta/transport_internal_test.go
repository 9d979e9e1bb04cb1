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

func TestBackoffBounds(t *testing.T) {
	tests := []struct {
		attempt  int
		max      time.Duration
		low, top time.Duration // jitter at its least and most
	}{
		{0, 30 * time.Second, 250 * time.Millisecond, 500 * time.Millisecond},
		{1, 30 * time.Second, 500 * time.Millisecond, time.Second},
		{3, 30 * time.Second, 2 * time.Second, 4 * time.Second},
		{10, 30 * time.Second, 15 * time.Second, 30 * time.Second},
		{62, 30 * time.Second, 15 * time.Second, 30 * time.Second}, // no shift overflow
		{2, time.Second, 500 * time.Millisecond, time.Second},
	}
	for _, tt := range tests {
		for name, jitter := range map[string]func(int64) int64{
			"least": func(int64) int64 { return 0 },
			"most":  func(n int64) int64 { return n - 1 },
		} {
			tr := &transport{maxBackoff: tt.max, jitter: jitter}
			got := tr.backoff(tt.attempt)
			want := tt.low
			if name == "most" {
				want = tt.top
			}
			if got != want {
				t.Errorf("attempt %d, max %v, jitter %s: backoff %v, want %v", tt.attempt, tt.max, name, got, want)
			}
		}
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
		{"no reset: backoff", http.Header{"Date": {date}}, 500 * time.Millisecond},
		{"garbage reset: backoff", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {"soon"}}, 500 * time.Millisecond},
		{"reset in the past: backoff", http.Header{"Date": {date}, "X-Rate-Limit-Reset": {reset(-10 * time.Second)}}, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &transport{maxBackoff: 30 * time.Second, now: func() time.Time { return now },
				jitter: func(n int64) int64 { return n - 1 }}
			if got := tr.rateLimitWait(&http.Response{Header: tt.header}, 0); got != tt.want {
				t.Errorf("wait %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAttemptTimeoutDefault(t *testing.T) {
	tests := []struct {
		name string
		set  time.Duration
		want time.Duration
	}{
		{"unset is a minute", 0, time.Minute},
		{"set", 5 * time.Second, 5 * time.Second},
		{"negative is none", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := Config{OrgURL: "https://acme.okta.com", Token: "t", AttemptTimeout: tt.set}.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			if got := newTransport(http.DefaultTransport, c).attemptTimeout; got != tt.want {
				t.Errorf("attempt timeout %v, want %v", got, tt.want)
			}
		})
	}
}

func stringInt(n int64) string { return strconv.FormatInt(n, 10) }
