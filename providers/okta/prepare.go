package okta

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/providers"
)

// Limits of one batched name search. Each name costs a clause of the
// search expression, so both bound the URL: 20 names of ordinary length
// make about 700 bytes of query, and no batch of several names exceeds
// about 2 KB once URL-encoded. A name whose clause alone is longer (only
// long non-ASCII names: 255 four-byte characters encode to about 3 KB)
// goes alone. All stay well under the 8 KB request lines that common
// proxies and servers accept.
const (
	batchNames      = 20
	batchQueryBytes = 2000
)

var _ providers.Preparer = (*source)(nil)

// Prepare resolves, in batches, the Okta group names among refs, so that
// Members then reads each such group's pages without a search of its own:
// one search of the /api/v1/groups rate-limit bucket per batch instead of
// one per name. Refs of other sources, ID-shaped names (read by ID) and
// names already prepared are skipped.
//
// A batch whose search Okta refused (an error answer, such as a query it
// would not run) leaves its names to Members, which searches for each
// alone: the error costs requests, never a wrong answer. A batch that got
// no answer at all (a timeout, a dropped connection, an Okta that stopped
// answering) fails its names: Members returns that failure for them
// rather than sending one more search per name at an Okta that is not
// answering. The cache lives as long as the source, which is built for
// one run.
func (s *source) Prepare(ctx context.Context, refs []providers.GroupRef) error {
	return s.secrets.Error(s.prepare(ctx, refs))
}

func (s *source) prepare(ctx context.Context, refs []providers.GroupRef) error {
	names := s.namesToPrepare(refs)
	if len(names) == 0 {
		return nil
	}
	batches := nameBatches(names)
	var (
		failed   int
		firstErr error
	)
	for _, batch := range batches {
		groups, err := s.searchGroups(ctx, batchSearch(batch))
		if err != nil {
			failed++
			firstErr = cmp.Or(firstErr, err)
			if unanswered(err) {
				s.names.put(batchFailure(batch, err))
			}
			continue
		}
		found := make(map[string]nameMatches, len(batch))
		for _, name := range batch {
			found[name] = matchName(name, groups)
		}
		s.names.put(found)
	}
	s.log.Debug("okta: resolved group names in batches",
		"names", len(names), "batches", len(batches), "failed_batches", failed)
	if failed > 0 {
		return fmt.Errorf("okta: find %d groups by name: %d of %d batched searches failed, first: %w",
			len(names), failed, len(batches), firstErr)
	}
	return nil
}

// unanswered reports whether err is a request that got no answer from
// Okta: it timed out, its connection failed, it was not sent because Okta
// had stopped answering, or the caller gave up.
func unanswered(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var he *httpx.Error
	if !errors.As(err, &he) {
		return false
	}
	switch he.Reason {
	case httpx.ReasonTimeout, httpx.ReasonConnection, httpx.ReasonUnresponsive:
		return true
	}
	return false
}

// batchFailure records err as the outcome of every name in batch.
func batchFailure(batch []string, err error) map[string]nameMatches {
	out := make(map[string]nameMatches, len(batch))
	for _, name := range batch {
		out[name] = nameMatches{err: fmt.Errorf("batched search: %w", err)}
	}
	return out
}

// namesToPrepare is the sorted, distinct Okta group names in refs that
// Members would search for and the cache does not yet hold.
func (s *source) namesToPrepare(refs []providers.GroupRef) []string {
	seen := map[string]bool{}
	var names []string
	for _, ref := range refs {
		name := ref.Name
		if ref.Source != providers.SourceOkta || strings.TrimSpace(name) == "" ||
			groupIDPattern.MatchString(name) || seen[name] {
			continue
		}
		seen[name] = true
		if _, ok := s.names.get(name); !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// nameBatches splits names into batches for batchSearch.
func nameBatches(names []string) [][]string { return searchBatches(names, nameClause) }

// searchBatches splits values into batches of at most batchNames values
// whose search expression, their clauses joined by " or ", stays within
// batchQueryBytes once URL-encoded. A value whose clause alone is longer
// goes alone.
func searchBatches(values []string, clause func(string) string) [][]string {
	var (
		out  [][]string
		cur  []string
		size int
	)
	sep := len(url.QueryEscape(" or "))
	for _, v := range values {
		n := len(url.QueryEscape(clause(v)))
		if len(cur) > 0 && (len(cur) == batchNames || size+sep+n > batchQueryBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		if len(cur) > 0 {
			size += sep
		}
		cur = append(cur, v)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// batchSearch is the search expression for groups with any of names.
func batchSearch(names []string) string { return orSearch(names, nameClause) }

// orSearch joins the clauses of values with " or ".
func orSearch(values []string, clause func(string) string) string {
	clauses := make([]string, len(values))
	for i, v := range values {
		clauses[i] = clause(v)
	}
	return strings.Join(clauses, " or ")
}

// nameCache holds what Prepare found, by name as written. It is safe for
// concurrent use: Members reads it from parallel goroutines.
type nameCache struct {
	mu     sync.RWMutex
	byName map[string]nameMatches
}

func (c *nameCache) get(name string) (nameMatches, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	m, ok := c.byName[name]
	return m, ok
}

func (c *nameCache) put(found map[string]nameMatches) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byName == nil {
		c.byName = make(map[string]nameMatches, len(found))
	}
	for name, m := range found {
		c.byName[name] = m
	}
}
