package bksim_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// Writers, readers and State/Stats callers at once: every write lands once
// and the race detector stays quiet.
func TestConcurrentUse(t *testing.T) {
	const n = 8
	srv, hs := bksimtest.Start(t, seed(n, map[string]int{"alpha": 0}))
	id := lookupIDs(t, hs.URL)
	var wg sync.WaitGroup
	errs := make(chan string, 3*n)
	for i := range n {
		wg.Add(3)
		go func() {
			defer wg.Done()
			r := gql(t, hs.URL, `mutation($t: ID!, $u: ID!) { teamMemberCreate(input: {teamID: $t, userID: $u, role: MEMBER}) { teamMemberEdge { node { id } } } }`,
				map[string]any{"t": id.Teams["alpha"], "u": id.Users[fmt.Sprintf("m%02d@acme.com", i)]})
			if len(r.Errors) > 0 {
				errs <- fmt.Sprint(r.messages())
			}
		}()
		go func() {
			defer wg.Done()
			if r := gql(t, hs.URL, `{ team(slug: "acme/alpha") { members(first: 100) { count } } }`, nil); len(r.Errors) > 0 {
				errs <- fmt.Sprint(r.messages())
			}
		}()
		go func() {
			defer wg.Done()
			_ = srv.State()
			_ = srv.Stats()
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	st := srv.State()
	if got := len(teamOf(&st, "alpha").Members); got != n {
		t.Errorf("alpha has %d members, want %d", got, n)
	}
	if got := srv.Stats().ByOperation["teamMemberCreate"]; got != n {
		t.Errorf("%d teamMemberCreate, want %d", got, n)
	}
}
