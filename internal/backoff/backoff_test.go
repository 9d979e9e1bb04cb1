package backoff_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/backoff"
)

func least(int64) int64  { return 0 }
func most(n int64) int64 { return n - 1 }

func TestExponential(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name          string
		attempt       int
		base, ceiling time.Duration
		jitter        backoff.Jitter
		want          time.Duration
	}{
		{"first retry waits base", 0, 500 * time.Millisecond, 30 * s, nil, 500 * time.Millisecond},
		{"doubles", 3, 500 * time.Millisecond, 30 * s, nil, 4 * s},
		{"capped", 6, 500 * time.Millisecond, 30 * s, nil, 30 * s},
		{"huge attempt does not overflow", 1 << 20, 500 * time.Millisecond, 30 * s, nil, 30 * s},
		{"ceiling near the largest duration", 70, s, time.Duration(1<<63 - 1), nil, time.Duration(1<<63 - 1)},
		{"negative attempt is the first", -3, s, 32 * s, nil, s},
		{"base above ceiling", 0, time.Minute, 30 * s, nil, 30 * s},
		{"zero base", 3, 0, 30 * s, nil, 0},
		{"zero ceiling", 3, s, 0, nil, 0},
		{"upper half, least", 3, 500 * time.Millisecond, 30 * s, backoff.UpperHalf(least), 2 * s},
		{"upper half, most", 3, 500 * time.Millisecond, 30 * s, backoff.UpperHalf(most), 4 * s},
		{"upper half of the cap", 10, 500 * time.Millisecond, 30 * s, backoff.UpperHalf(least), 15 * s},
		{"upper half of an odd wait reaches it", 0, 3, 30 * s, backoff.UpperHalf(most), 3},
		{"plus, least", 2, s, 32 * s, backoff.Plus(s, least), 4 * s},
		{"plus, most", 2, s, 32 * s, backoff.Plus(s, most), 5*s - 1},
		{"plus is capped too", 5, s, 32 * s, backoff.Plus(s, most), 32 * s},
		{"plus below the cap", 4, s, 32 * s, backoff.Plus(s, most), 17*s - 1},
		{"plus of nothing", 1, s, 32 * s, backoff.Plus(0, most), 2 * s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := backoff.Exponential(tt.attempt, tt.base, tt.ceiling, tt.jitter); got != tt.want {
				t.Errorf("Exponential(%d, %v, %v) = %v, want %v", tt.attempt, tt.base, tt.ceiling, got, tt.want)
			}
		})
	}
}

func TestJitterAsksForTheRightRange(t *testing.T) {
	tests := []struct {
		name   string
		jitter func(randN func(int64) int64) backoff.Jitter
		d      time.Duration
		wantN  int64
	}{
		// [d/2, d] inclusive: randN(d - d/2 + 1).
		{"upper half, even", backoff.UpperHalf, 4 * time.Second, int64(2*time.Second) + 1},
		{"upper half, odd", backoff.UpperHalf, 5, 4},
		{"plus", func(r func(int64) int64) backoff.Jitter { return backoff.Plus(time.Second, r) }, 8 * time.Second, int64(time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotN int64
			tt.jitter(func(n int64) int64 { gotN = n; return 0 })(tt.d)
			if gotN != tt.wantN {
				t.Errorf("randN(%d), want randN(%d)", gotN, tt.wantN)
			}
		})
	}
}

func TestSleep(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"ended context ends a long wait", canceled, time.Hour, context.Canceled},
		{"no wait", context.Background(), 0, nil},
		{"negative wait", context.Background(), -time.Second, nil},
		{"no wait still reports an ended context", canceled, 0, context.Canceled},
		{"short wait completes", context.Background(), time.Nanosecond, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := backoff.Sleep(tt.ctx, tt.d); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Sleep = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSleepEndsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- backoff.Sleep(ctx, time.Hour) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep = %v, want context.Canceled", err)
	}
}

func TestRetries(t *testing.T) {
	for _, tt := range []struct{ n, def, want int }{
		{0, 5, 5}, {-1, 5, 0}, {-7, 5, 0}, {3, 5, 3}, {9, 5, 9},
	} {
		if got := backoff.Retries(tt.n, tt.def); got != tt.want {
			t.Errorf("Retries(%d, %d) = %d, want %d", tt.n, tt.def, got, tt.want)
		}
	}
}
