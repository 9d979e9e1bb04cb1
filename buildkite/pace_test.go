package buildkite

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// seen is one response's org-window headers, seen at offset after t0.
type seen struct {
	at                      time.Duration
	limit, remaining, reset string
}

// TestPacerDelay: what a request that costs nothing waits for, going by
// the organization's window alone (the headroom).
func TestPacerDelay(t *testing.T) {
	const s = time.Second
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		seen []seen
		at   time.Duration // when the next request would go
		want time.Duration
	}{
		{"nothing seen", nil, 0, 0},
		{"plenty left", []seen{{0, "20000", "15000", "200"}}, 0, 0},
		{"exactly the headroom left", []seen{{0, "20000", "2000", "200"}}, 0, 0},
		{"under the headroom: wait for the reset", []seen{{0, "20000", "1999", "200"}}, 0, 200 * s},
		{"the reset counts from when it was seen", []seen{{0, "20000", "1999", "200"}}, 50 * s, 150 * s},
		{"window already reset", []seen{{0, "20000", "1999", "200"}}, 200 * s, 0},
		{"overdrawn", []seen{{0, "20000", "-14", "36"}}, 0, 36 * s},
		{"reset 0", []seen{{0, "20000", "0", "0"}}, 0, 0},
		{"a reset beyond one window is capped at the window", []seen{{0, "20000", "0", "7200"}}, 0, 5 * time.Minute},
		{"no limit header", []seen{{0, "", "0", "200"}}, 0, 0},
		{"limit 0", []seen{{0, "0", "0", "200"}}, 0, 0},
		{"garbage reset", []seen{{0, "20000", "0", "soon"}}, 0, 0},
		{"a late answer of the same window does not raise the remainder",
			[]seen{{0, "20000", "1500", "200"}, {s, "20000", "2500", "200"}}, 2 * s, 199 * s},
		{"a lower remainder of the same window counts",
			[]seen{{0, "20000", "2500", "200"}, {s, "20000", "1500", "199"}}, 2 * s, 198 * s},
		{"a new window replaces the old",
			[]seen{{0, "20000", "100", "200"}, {10 * s, "20000", "19000", "295"}}, 10 * s, 0},
		{"a late answer from the old window is ignored",
			[]seen{{0, "20000", "19000", "295"}, {s, "20000", "100", "3"}}, s, 0},
		{"after the reset the next answer is a new window even if close",
			[]seen{{0, "20000", "100", "5"}, {6 * s, "20000", "100", "2"}}, 6 * s, 2 * s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &pacer{headroom: DefaultHeadroom}
			for _, o := range tt.seen {
				h := http.Header{}
				for k, v := range map[string]string{"RateLimit-Limit": o.limit, "RateLimit-Remaining": o.remaining, "RateLimit-Reset": o.reset} {
					if v != "" {
						h.Set(k, v)
					}
				}
				p.observe(h, t0.Add(o.at))
			}
			if got := p.peek(0, t0.Add(tt.at)).wait; got != tt.want {
				t.Errorf("wait = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestPacerHold: a request waits for the reset of the window its cost
// does not fit: all of the user window, the organization's less the
// headroom, less what requests in flight may cost.
func TestPacerHold(t *testing.T) {
	const s = time.Second
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	both := func(org, user, orgReset, userReset int) http.Header {
		h := http.Header{}
		for k, v := range map[string]int{
			"RateLimit-Limit": 20000, "RateLimit-Remaining": org, "RateLimit-Reset": orgReset,
			"RateLimit-User-Limit": 5000, "RateLimit-User-Remaining": user, "RateLimit-User-Reset": userReset,
		} {
			h.Set(k, strconv.Itoa(v))
		}
		return h
	}
	tests := []struct {
		name       string
		seen       http.Header
		inflight   int
		cost       int
		wantWait   time.Duration
		wantWindow string
	}{
		{"fits both", both(15000, 4000, 200, 100), 0, 3000, 0, ""},
		{"the user window is short", both(15000, 2000, 200, 100), 0, 2500, 100 * s, windowUser},
		{"exactly what the user window has", both(15000, 2500, 200, 100), 0, 2500, 0, ""},
		{"the org window less its headroom is short", both(4000, 5000, 200, 100), 0, 2500, 200 * s, windowOrg},
		{"both short: the later reset", both(2100, 100, 200, 100), 0, 500, 200 * s, windowOrg},
		{"requests in flight count", both(15000, 4000, 200, 100), 1600, 2500, 100 * s, windowUser},
		{"more than a whole window needs a fresh one", both(20000, 4999, 200, 100), 0, 9000, 100 * s, windowUser},
		{"a fresh window takes a request larger than itself", both(20000, 5000, 200, 100), 0, 9000, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &pacer{headroom: DefaultHeadroom}
			p.observe(tt.seen, t0)
			p.force(tt.inflight)
			h := p.peek(tt.cost, t0)
			if h.wait != tt.wantWait || h.window != tt.wantWindow {
				t.Errorf("hold = %s for %q, want %s for %q", h.wait, h.window, tt.wantWait, tt.wantWindow)
			}
		})
	}
}

// TestPacerAdmitReserves: an admitted request's cost is reserved until it
// is answered, so that a concurrent one does not count on the same
// points; after waiting for a reset the window is taken as fresh.
func TestPacerAdmitReserves(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := &pacer{headroom: DefaultHeadroom}
	h := http.Header{}
	for k, v := range map[string]string{"RateLimit-User-Limit": "5000", "RateLimit-User-Remaining": "3000", "RateLimit-User-Reset": "60"} {
		h.Set(k, v)
	}
	p.observe(h, t0)
	if got := p.admit(2000, t0); got.wait != 0 {
		t.Fatalf("the first request waits %s", got.wait)
	}
	second := p.admit(2000, t0)
	if second.wait != time.Minute {
		t.Fatalf("the second request waits %s, want the minute to the reset", second.wait)
	}
	p.release(2000)
	if got := p.admit(2000, t0); got.wait != 0 {
		t.Fatalf("after the first is answered the second waits %s", got.wait)
	}
	p.release(2000)
	p.waited(second)
	if got := p.peek(5000, t0.Add(time.Minute)); got.wait != 0 {
		t.Errorf("after the reset a whole window waits %s", got.wait)
	}
	if got := p.target(complexityBudget); got != 2500 {
		t.Errorf("target = %d, want half the user window", got)
	}
}

// rateHeaders are a reply's org-window headers.
func rateHeaders(limit, remaining, reset int) map[string]string {
	return map[string]string{
		"RateLimit-Limit":     strconv.Itoa(limit),
		"RateLimit-Remaining": strconv.Itoa(remaining),
		"RateLimit-Reset":     strconv.Itoa(reset),
	}
}

// TestPacingScripted: what the second of two calls does after the first
// one's answer reported the window, against a scripted server whose
// clock never moves (the test client's Now is fixed, its sleeps return at
// once).
func TestPacingScripted(t *testing.T) {
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name         string
		headroom     float64
		maxWait      time.Duration
		first        map[string]string
		wantErr      string
		wantRequests int
		wantSleeps   []time.Duration
	}{
		{"plenty left: no wait", 0, 0, rateHeaders(20000, 5000, 120), "", 2, nil},
		{"under the default tenth: waits for the reset", 0, 0, rateHeaders(20000, 1999, 120), "", 2, []time.Duration{120 * time.Second}},
		{"a larger headroom", 0.3, 0, rateHeaders(20000, 5000, 120), "", 2, []time.Duration{120 * time.Second}},
		{"headroom off", -1, 0, rateHeaders(20000, 3, 120), "", 2, nil},
		{"a wait beyond MaxWait is not made: the call spends the headroom", 0, time.Minute, rateHeaders(20000, 1999, 120), "", 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := startScripted(t, reply{body: okBody, header: tt.first}, reply{body: okBody})
			tc := newTestClient(t, ts.URL, func(c *Config) {
				c.Headroom = tt.headroom
				c.Now = func() time.Time { return fixed }
				if tt.maxWait > 0 {
					c.MaxWait = tt.maxWait
				}
			})
			if err := query(context.Background(), tc.Client); err != nil {
				t.Fatal(err)
			}
			err := query(context.Background(), tc.Client)
			if got := errText(err); got != tt.wantErr {
				t.Errorf("error = %q\nwant    %q", got, tt.wantErr)
			}
			if got := srv.requests(); got != tt.wantRequests {
				t.Errorf("requests = %d, want %d", got, tt.wantRequests)
			}
			if got := tc.sleeps.got(); !reflect.DeepEqual(got, tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", got, tt.wantSleeps)
			}
		})
	}
}

// TestPacingNeverFailsACall: a write runs under the applier's deadline;
// when the wait for the reset does not fit it, the write is sent at once
// instead of failing with budget left.
func TestPacingNeverFailsACall(t *testing.T) {
	srv, ts := startScripted(t, reply{body: okBody, header: rateHeaders(20000, 150, 240)}, reply{body: deleteOK})
	fixed := time.Now()
	tc := newTestClient(t, ts.URL, func(c *Config) { c.Now = func() time.Time { return fixed } })
	if err := query(context.Background(), tc.Client); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := mutation(ctx, tc.Client); err != nil {
		t.Fatalf("the write failed: %v", err)
	}
	if got := tc.sleeps.got(); len(got) != 0 || srv.requests() != 2 {
		t.Fatalf("sleeps %v, requests %d; want no wait and the write sent", got, srv.requests())
	}
	if !strings.Contains(tc.logs.String(), "does not fit the call, so it goes ahead") {
		t.Errorf("no log line says the headroom was spent:\n%s", tc.logs.String())
	}
}

// TestPacingAfterA429: a 429 that reports the window is waited out once,
// by the retry; pacing does not wait for the same reset again.
func TestPacingAfterA429(t *testing.T) {
	srv, ts := startScripted(t,
		reply{status: 429, body: limitBody, header: rateHeaders(20000, -14, 36)},
		reply{body: deleteOK})
	fixed := time.Now()
	tc := newTestClient(t, ts.URL, func(c *Config) { c.Now = func() time.Time { return fixed } })
	if err := mutation(context.Background(), tc.Client); err != nil {
		t.Fatal(err)
	}
	if got, want := tc.sleeps.got(), []time.Duration{36 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("sleeps = %v, want %v", got, want)
	}
	if srv.requests() != 2 {
		t.Errorf("requests = %d, want 2", srv.requests())
	}
}

// TestPacingHonoursContext: a call cancelled while it is held back ends
// without sending.
func TestPacingHonoursContext(t *testing.T) {
	srv, ts := startScripted(t, reply{body: okBody, header: rateHeaders(20000, 10, 60)})
	tc := newTestClient(t, ts.URL, func(c *Config) { c.Sleep = nil })
	if err := query(context.Background(), tc.Client); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := query(ctx, tc.Client); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if srv.requests() != 1 {
		t.Fatalf("requests = %d, want 1", srv.requests())
	}
}

func TestNewRejectsHeadroom(t *testing.T) {
	for _, h := range []float64{1, 1.5, 10} {
		_, err := New(Config{Organization: "acme", Token: testToken, Headroom: h})
		want := "buildkite: rate-limit headroom " + strconv.FormatFloat(h, 'g', -1, 64) + " is not below 1 (it is a fraction of the budget)"
		if errText(err) != want {
			t.Errorf("New(Headroom: %v) = %v, want %q", h, err, want)
		}
	}
}
