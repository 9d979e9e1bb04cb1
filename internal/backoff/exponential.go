package backoff

import "time"

// Jitter turns the un-jittered wait d into the wait actually used.
type Jitter func(d time.Duration) time.Duration

// Exponential is the wait before retry number attempt (0 for the first
// retry): base·2^attempt, capped at ceiling, then passed through jitter (nil
// means none) and capped at ceiling again. It does not overflow for any
// attempt. A base or ceiling of zero or less gives 0.
func Exponential(attempt int, base, ceiling time.Duration, jitter Jitter) time.Duration {
	if base <= 0 || ceiling <= 0 {
		return 0
	}
	d := min(base, ceiling)
	for i := 0; i < attempt && d < ceiling; i++ {
		if d > ceiling/2 {
			d = ceiling
		} else {
			d *= 2
		}
	}
	if jitter != nil {
		d = jitter(d)
	}
	return max(0, min(d, ceiling))
}

// UpperHalf is a Jitter that picks uniformly from [d/2, d]. randN returns
// a uniform value in [0, n) for n > 0, as math/rand/v2's Int64N does; tests
// pass a fixed one.
func UpperHalf(randN func(n int64) int64) Jitter {
	return func(d time.Duration) time.Duration {
		half := d / 2
		return half + time.Duration(randN(int64(d-half)+1))
	}
}

// Plus is a Jitter that adds a uniform amount in [0, spread) to d. randN is
// as for UpperHalf. A spread of zero or less adds nothing.
func Plus(spread time.Duration, randN func(n int64) int64) Jitter {
	return func(d time.Duration) time.Duration {
		if spread <= 0 {
			return d
		}
		return d + time.Duration(randN(int64(spread)))
	}
}
