package okta

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	oktasdk "github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/model"
)

var _ providers.PersonLookup = (*source)(nil)

// LookupPeople finds the Okta accounts whose user_email attribute
// (profile.email or profile.login) is each of emails, with one user search
// per batch of up to batchNames emails instead of one request per person:
//
//	GET /api/v1/users?search=profile.email eq "a@x" or profile.email eq "b@x" …
//
// Batches are cut as Prepare's group-name batches are (searchBatches):
// 20 ordinary emails make about 1.1 KB of URL-encoded query, and no batch
// of several exceeds about 2 KB, well under the 8 KB request lines common
// front ends accept and short of what Okta calls "an overly complex or
// long search query", which it may refuse. Each batch is paged through
// its Link headers like any listing, through the source's transport.
//
// What Okta documents of this search, in its management API (List all
// users, GET /api/v1/users, the search parameter): returned users include
// those with the DEPROVISIONED status (it is the bare listing and q that
// omit them), so a search sees every account; property names are case
// sensitive but operators and string values are not, so profile.email eq
// "a@x.com" finds "A@X.com" too, and answers are matched back here by the
// attribute lower-cased (model.NormalizeEmail); search results come from
// an eventually consistent store, so an account changed seconds ago may
// still read as it was.
//
// A person is Found when some account has the attribute. profile.email is
// not unique, so one person may have several accounts: they are Gone only
// when every account is (SUSPENDED or DEPROVISIONED), and Status is that
// of their most present account (ACTIVE first, then the other statuses
// that still count, then STAGED and PROVISIONED, which are found but not
// gone, then SUSPENDED, then DEPROVISIONED). An account whose status is
// missing or not one Okta documents (knownStatus) makes that person Err:
// nothing says whether it means they are still here. A batch whose search
// fails, or whose answer is malformed, makes each of its people Err, and
// only them: malformed includes an account without the user_email
// attribute as a non-empty string, or with one the batch did not ask for
// (askedEmail), never read as "not found". Errors are redacted with the source's Secrets.
func (s *source) LookupPeople(ctx context.Context, emails []string) map[string]providers.Person {
	out := make(map[string]providers.Person, len(emails))
	var distinct []string
	for _, e := range emails {
		if _, ok := out[e]; ok {
			continue
		}
		out[e] = providers.Person{}
		if e == "" {
			out[e] = providers.Person{Err: errors.New("okta: look up person: the email is empty")}
			continue
		}
		distinct = append(distinct, e)
	}
	slices.Sort(distinct)
	batches := searchBatches(distinct, s.emailClause)
	failed := 0
	for _, batch := range batches {
		found, err := s.lookupBatch(ctx, batch)
		if err != nil {
			failed++
			// One error for the whole batch, naming it by its first
			// email: its people failed together, and the plan reports
			// them together.
			who := batch[0]
			if len(batch) > 1 {
				who = fmt.Sprintf("%d people (%s, …)", len(batch), batch[0])
			}
			err = fmt.Errorf("okta: look up %s: %w", who, err)
		}
		for _, e := range batch {
			p := found[e]
			if err != nil {
				p = providers.Person{Err: err}
			}
			p.Err = s.secrets.Error(p.Err)
			out[e] = p
		}
	}
	s.log.DebugContext(ctx, "okta: looked people up in batches",
		"people", len(distinct), "batches", len(batches), "failed_batches", failed)
	return out
}

// lookupBatch searches for the accounts of one batch of emails and says
// what they show of each.
func (s *source) lookupBatch(ctx context.Context, batch []string) (map[string]providers.Person, error) {
	accounts := make(map[string][]string, len(batch)) // email → statuses
	for _, e := range batch {
		accounts[e] = nil
	}
	seen := map[string]bool{}
	bad := map[string]error{}
	n := 0
	qp := query.NewQueryParams(query.WithSearch(orSearch(batch, s.emailClause)), query.WithLimit(pageSize))
	users, resp, err := s.client.User.ListUsers(ctx, qp)
	_, err = eachPage(ctx, users, resp, err, func(page []*oktasdk.User) error {
		for _, u := range page {
			n++
			switch {
			case u == nil:
				return fmt.Errorf("user %d of the search is null", n)
			case u.Id == "":
				return fmt.Errorf("user %d of the search has no id (status %q)", n, u.Status)
			case seen[u.Id]:
				continue // on two pages: the search's results moved mid-read
			}
			seen[u.Id] = true
			e, err := s.askedEmail(u, accounts)
			if err != nil {
				return fmt.Errorf("user %d of the search: %w", n, err)
			}
			if !knownStatus(u.Status) {
				bad[e] = fmt.Errorf("account %s has status %q, which is not one Okta documents", u.Id, u.Status)
			}
			accounts[e] = append(accounts[e], u.Status)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("batched user search: %w", err)
	}
	out := make(map[string]providers.Person, len(batch))
	for e, statuses := range accounts {
		switch {
		case bad[e] != nil:
			out[e] = providers.Person{Err: fmt.Errorf("okta: look up %q: %w", e, bad[e])}
		case len(statuses) > 0:
			st := slices.MinFunc(statuses, func(a, b string) int { return statusRank(a) - statusRank(b) })
			out[e] = providers.Person{Found: true, Status: st, Gone: goneStatus(st)}
		}
	}
	return out, nil
}

// askedEmail returns which email of the batch (a key of accounts) account
// u answers. The search asked for accounts whose user_email attribute is
// one of them, so every account it returns must carry that attribute as a
// string, equal to one of them when case is ignored (Okta compares string
// values case-insensitively). An account that does not (no profile, a
// null profile, the attribute missing, null, empty or not a string, or
// someone nobody asked for, as when the search parameter was dropped on
// the way and Okta listed its first users) is a malformed answer, and
// fails the whole batch: read as "not found", it would say the people
// asked for have left.
func (s *source) askedEmail(u *oktasdk.User, accounts map[string][]string) (string, error) {
	if u.Profile == nil {
		return "", fmt.Errorf("account %s has no profile", u.Id)
	}
	raw, ok := (*u.Profile)[s.userEmail]
	if !ok || raw == nil {
		return "", fmt.Errorf("account %s has no profile.%s", u.Id, s.userEmail)
	}
	v, ok := raw.(string)
	if !ok {
		return "", fmt.Errorf("account %s has a profile.%s that is not a string (%T)", u.Id, s.userEmail, raw)
	}
	e := model.NormalizeEmail(v)
	if e == "" {
		return "", fmt.Errorf("account %s has an empty profile.%s", u.Id, s.userEmail)
	}
	if _, asked := accounts[e]; asked {
		return e, nil
	}
	for a := range accounts {
		if strings.EqualFold(a, e) {
			return a, nil // a case Okta folds and strings.ToLower does not
		}
	}
	return "", fmt.Errorf("account %s has profile.%s %q, which the search did not ask for: the answer is not the search's", u.Id, s.userEmail, v)
}

// emailClause is the search comparison for accounts whose user_email
// attribute is email (in any case, as Okta compares string values).
func (s *source) emailClause(email string) string {
	return "profile." + s.userEmail + ` eq "` + quoteSearch(email) + `"`
}

// goneStatus reports an Okta status that means the person has left.
func goneStatus(status string) bool { return status == "SUSPENDED" || status == "DEPROVISIONED" }

// statusRank orders an account's statuses from most to least present, to
// pick the one that speaks for a person with several accounts.
func statusRank(status string) int {
	for i, s := range []string{"ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY",
		"STAGED", "PROVISIONED", "SUSPENDED", "DEPROVISIONED"} {
		if s == status {
			return i
		}
	}
	return 99
}
