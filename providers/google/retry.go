package google

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"github.com/teamsync/teamsync/internal/backoff"
)

// Back-off bounds, after Google's advice for the Directory API: 1 s, 2 s,
// 4 s … plus up to a second of jitter, never more than 32 s per wait.
const (
	backoffBase   = time.Second
	backoffMax    = 32 * time.Second
	backoffJitter = time.Second
)

// rateLimitReasons are the 403 reasons that mean "slow down", not "denied".
func isRateLimitReason(r string) bool {
	switch r {
	case "userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded":
		return true
	}
	return false
}

// retryable reports whether a failed call may succeed if repeated, and a
// short word for the log.
func retryable(err error) (bool, string) {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		switch {
		case gerr.Code == http.StatusTooManyRequests || gerr.Code >= 500:
			return true, strconv.Itoa(gerr.Code) + " " + reason(gerr)
		case gerr.Code == http.StatusForbidden:
			for _, item := range gerr.Errors {
				if isRateLimitReason(item.Reason) {
					return true, "403 " + item.Reason
				}
			}
		}
		return false, ""
	}
	// A token endpoint that is overloaded is as transient as the API.
	var rerr *oauth2.RetrieveError
	if errors.As(err, &rerr) {
		if rerr.Response != nil {
			if c := rerr.Response.StatusCode; c == http.StatusTooManyRequests || c >= 500 {
				return true, "token " + strconv.Itoa(c)
			}
		}
		return false, ""
	}
	// Every call is a read, so a connection that timed out or dropped
	// mid-answer is safe to repeat. Other transport errors (a bad URL, a
	// refused TLS handshake) would fail the same way again.
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return true, "timeout"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		return true, "connection dropped"
	}
	return false, ""
}

// call runs fn, retrying it with exponential back-off and jitter while it
// fails retryably, at most s.maxRetries more times. what names the call in
// logs. The error returned is described (one line, no body).
func (s *source) call(ctx context.Context, what string, fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ok, why := retryable(err)
		if !ok {
			return describe(err)
		}
		if attempt >= s.maxRetries {
			return fmt.Errorf("gave up after %d attempts: %w", attempt+1, describe(err))
		}
		wait := retryWait(attempt, err)
		s.log.WarnContext(ctx, "google: retrying call", "call", what, "cause", why, "attempt", attempt+1, "wait", wait)
		if err := s.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// retryWait is the wait before retry attempt+1: exponential with up to a
// second of jitter, or the server's Retry-After if that is longer, capped.
func retryWait(attempt int, err error) time.Duration {
	d := backoff.Exponential(attempt, backoffBase, backoffMax, backoff.Plus(backoffJitter, rand.Int64N))
	var gerr *googleapi.Error
	if errors.As(err, &gerr) && gerr.Header != nil {
		if secs, perr := strconv.Atoi(gerr.Header.Get("Retry-After")); perr == nil && secs > 0 {
			d = max(d, time.Duration(secs)*time.Second)
		}
	}
	return min(d, backoffMax)
}
