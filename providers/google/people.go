package google

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/teamsync/teamsync/providers"
)

// lookupConcurrency is how many users.get calls LookupPeople has in flight
// at once: enough that a few hundred people take seconds, few enough to
// stay far from Google's per-account concurrency limit (429
// rateLimitExceeded, which cannot be raised) while group reads share it.
const lookupConcurrency = 8

var _ providers.PersonLookup = (*source)(nil)

// LookupPeople asks users.get for each of emails, lookupConcurrency at a
// time, through the same once-per-user cache as Members' status checks.
//
// The Directory API's users.get takes as userKey "the user's primary email
// address, alias email address, or unique user ID" (admin directory_v1
// discovery document and SDK, userKey), so an alias resolves to its
// user, whose flags answer for it; an address it does not know is Google's
// 404 notFound, which is Found=false (not Gone: whether that means gone
// depends on whether Workspace owns the domain, which the caller decides).
// A user who is suspended or archived is Found and Gone, with Status
// SUSPENDED or ARCHIVED (SUSPENDED when both); anyone else is ACTIVE. A
// call that fails after the edge's retries, or an answer that is not a
// user, is an Err for that person alone. Errors are redacted with the
// run's Secrets.
func (s *source) LookupPeople(ctx context.Context, emails []string) map[string]providers.Person {
	out := make(map[string]providers.Person, len(emails))
	var distinct []string
	for _, e := range emails {
		if _, ok := out[e]; !ok {
			out[e] = providers.Person{}
			distinct = append(distinct, e)
		}
	}
	found := make([]providers.Person, len(distinct))
	var g errgroup.Group
	g.SetLimit(lookupConcurrency)
	for i, e := range distinct {
		g.Go(func() error {
			found[i] = s.lookupPerson(ctx, e)
			return nil
		})
	}
	_ = g.Wait() // each lookup keeps its own error
	for i, e := range distinct {
		out[e] = found[i]
	}
	return out
}

// lookupPerson is what users.get says of one email.
func (s *source) lookupPerson(ctx context.Context, email string) providers.Person {
	if email == "" {
		return providers.Person{Err: errors.New("google: look up person: the email is empty")}
	}
	st, err := s.userStatus(ctx, email)
	switch {
	case err != nil:
		return providers.Person{Err: s.secrets.Error(fmt.Errorf("google: look up %q: %w", email, err))}
	case st == statusNotInDirectory:
		return providers.Person{}
	}
	return providers.Person{Found: true, Status: st, Gone: st == statusSuspended || st == statusArchived}
}
