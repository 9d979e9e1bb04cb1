package google

import (
	"context"
	"sync"
)

// Status words a Member may carry. A row may say ACTIVE, SUSPENDED,
// ARCHIVED or UNKNOWN, or nothing; users.get settles the last two.
const (
	statusActive    = "ACTIVE"
	statusSuspended = "SUSPENDED"
	statusArchived  = "ARCHIVED"
	statusUnknown   = "UNKNOWN"
	// statusNotInDirectory: users.get does not know the address (an
	// outside member Google could not verify), so nothing confirms it.
	statusNotInDirectory = "NOT_IN_DIRECTORY"
)

// knownStatus reports a member row status teamsync knows how to read.
func knownStatus(st string) bool {
	switch st {
	case "", statusActive, statusSuspended, statusArchived, statusUnknown:
		return true
	}
	return false
}

// needsLookup reports a row status that does not say whether the person
// is still here, so users.get must.
func needsLookup(st string) bool { return st == "" || st == statusUnknown }

// userStatus confirms a member's status through users.get, once per user
// for the provider's lifetime. email is normalised (see resolve).
func (s *source) userStatus(ctx context.Context, email string) (string, error) {
	return s.users.get(ctx, email, func(ctx context.Context) (string, error) {
		u, err := s.svc.Users.Get(email).Projection("basic").Context(ctx).Do()
		if err == nil {
			err = checkAnswer(u, kindUser)
		}
		switch {
		case isNotFound(err):
			return statusNotInDirectory, nil
		case err != nil:
			return "", describe(err)
		case u.Suspended:
			return statusSuspended, nil
		case u.Archived:
			return statusArchived, nil
		}
		return statusActive, nil
	})
}

// userCache remembers users.get outcomes by lower-case email. Concurrent
// lookups of one user share a single call; failures are not remembered.
type userCache struct {
	mu sync.Mutex
	m  map[string]*userEntry
}

type userEntry struct {
	done   chan struct{}
	status string
	err    error
}

func (c *userCache) get(ctx context.Context, key string, fetch func(context.Context) (string, error)) (string, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	if !ok {
		e = &userEntry{done: make(chan struct{})}
		c.m[key] = e
		c.mu.Unlock()
		e.status, e.err = fetch(ctx)
		if e.err != nil {
			c.mu.Lock()
			delete(c.m, key)
			c.mu.Unlock()
		}
		close(e.done)
		return e.status, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.status, e.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
