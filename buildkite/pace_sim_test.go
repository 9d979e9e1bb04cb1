package buildkite

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
	"github.com/teamsync/teamsync/sync/model"
)

// fakeClock is the time of both the simulator and the client: only the
// test and the client's waits move it, so window resets are exact.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sleep is the client's wait: it records d and moves the clock on by it.
func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return nil
}

func (c *fakeClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// pacedSim starts a simulator with a budget of limit points a window and a
// client whose clock and waits are clock's.
func pacedSim(t *testing.T, limit int, clock *fakeClock, mod func(*Config)) (*bksim.Server, *testClient) {
	t.Helper()
	srv, ts := bksimtest.StartWith(t, readSeed(), bksim.Options{RateLimit: limit, Now: clock.Now})
	tc := simClient(t, ts.URL, 0, func(c *Config) {
		c.Now, c.Sleep = clock.Now, clock.sleep
		if mod != nil {
			mod(c)
		}
	})
	return srv, tc
}

// lookupCost is the actual complexity one LookupMembers of one email is
// charged in the simulator.
const lookupCost = 5

// TestPacingAgainstSim runs lookups one after another, 7 fake seconds
// apart, against a budget of 60 points (12 lookups). With a quarter kept
// for others, the 10th finds 15 points left, all of them kept, and waits
// exactly until the window resets rather than spend them; with pacing off
// it goes ahead, and the 13th is refused and retried after the reset, as
// before.
func TestPacingAgainstSim(t *testing.T) {
	const s = time.Second
	// The window opens with lookup 1 at 7s and resets at 307s. Lookup 9
	// is answered at 63s with 15 points left; lookup 10 would go at 70s.
	tests := []struct {
		name          string
		headroom      float64
		maxWait       time.Duration
		lookups       int
		wantErr       string // of the last lookup; the others succeed
		wantSleeps    []time.Duration
		wantLimited   int
		wantRequests  int
		wantLogPacing bool
	}{
		{name: "a quarter kept: the 10th waits for the reset", headroom: 0.25, lookups: 13,
			wantSleeps: []time.Duration{237 * s}, wantRequests: 13, wantLogPacing: true},
		{name: "pacing off: the 13th is refused and retried", headroom: -1, lookups: 13,
			wantSleeps: []time.Duration{216 * s}, wantLimited: 1, wantRequests: 14},
		{name: "the wait is beyond MaxWait: the 10th and 11th spend the headroom", headroom: 0.25, maxWait: 3 * time.Minute, lookups: 11,
			wantRequests: 11, wantLogPacing: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			srv, tc := pacedSim(t, 12*lookupCost, clock, func(c *Config) {
				c.Headroom = tt.headroom
				if tt.maxWait > 0 {
					c.MaxWait = tt.maxWait
				}
			})
			var err error
			for i := range tt.lookups {
				clock.advance(7 * s)
				var m map[string]model.Member
				m, err = tc.LookupMembers(context.Background(), []string{"alice@acme.com"})
				if err == nil && (len(m) != 1 || m["alice@acme.com"].Email != "alice@acme.com") {
					t.Fatalf("lookup %d found %v", i+1, m)
				}
				if i < tt.lookups-1 && err != nil {
					t.Fatalf("lookup %d: %v", i+1, err)
				}
			}
			if got := errText(err); got != tt.wantErr {
				t.Errorf("last lookup: error = %q\nwant %q", got, tt.wantErr)
			}
			if got := clock.sleeps(); !reflect.DeepEqual(got, tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", got, tt.wantSleeps)
			}
			st := srv.Stats()
			if st.RateLimited != tt.wantLimited || st.Requests != tt.wantRequests {
				t.Errorf("simulator saw %d requests, %d rate-limited; want %d, %d", st.Requests, st.RateLimited, tt.wantRequests, tt.wantLimited)
			}
			logs := tc.logs.String()
			if got := strings.Contains(logs, "waiting for the rate-limit window to reset"); got != tt.wantLogPacing {
				t.Errorf("pacing logged = %v, want %v; log:\n%s", got, tt.wantLogPacing, logs)
			}
			if tt.wantLogPacing && !strings.Contains(logs, "window=org cost=5 remaining=15 limit=60 kept_for_others=15 wait=3m57s") {
				t.Errorf("pacing line does not say what it saw; log:\n%s", logs)
			}
			for _, leak := range []string{bksimtest.Token, "RateLimit-", "Authorization"} {
				if strings.Contains(logs, leak) {
					t.Errorf("log mentions %q:\n%s", leak, logs)
				}
			}
		})
	}
}

// TestPacingConcurrent runs lookups from several goroutines at once (run it
// with -race). The headroom is wide enough that the requests already in
// flight when the budget crosses it cannot spend the rest, so nothing is
// ever refused and every lookup succeeds; some goroutine waited, and no
// wait was longer than a window. (The shared fake clock cannot tell which
// goroutine waited for which reset; TestPacingAfterA429 pins "never twice
// for one reset" for a single call.)
func TestPacingConcurrent(t *testing.T) {
	const workers, each = 8, 20
	clock := newFakeClock()
	srv, tc := pacedSim(t, 200*lookupCost, clock, func(c *Config) { c.Headroom = 0.5 })
	emails := []string{"alice@acme.com", "bob@acme.com", "carol@acme.com", "dave@acme.com"}
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e := emails[(w+i)%len(emails)]
				m, err := tc.LookupMembers(context.Background(), []string{e})
				if err == nil && len(m) != 1 {
					err = errors.New("lookup of " + e + " found the wrong people")
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := srv.Stats()
	if st.RateLimited != 0 {
		t.Errorf("%d requests were refused with 429", st.RateLimited)
	}
	if st.Requests != workers*each || st.ActualComplexity != workers*each*lookupCost {
		t.Errorf("simulator saw %d requests costing %d, want %d costing %d", st.Requests, st.ActualComplexity, workers*each, workers*each*lookupCost)
	}
	sleeps := clock.sleeps()
	if len(sleeps) == 0 {
		t.Fatal("800 points against a budget of 1000 with half kept: nobody waited")
	}
	for _, d := range sleeps {
		if d <= 0 || d > bksim.RateLimitWindow {
			t.Errorf("a pacing wait of %s, want within (0, %s]", d, bksim.RateLimitWindow)
		}
	}
}
