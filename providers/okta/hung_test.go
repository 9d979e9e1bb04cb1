package okta_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

func TestHungOktaFailsWithinOneDeadline(t *testing.T) {
	// Okta accepts connections and never answers. Prepare's batched
	// search spends one request deadline (retries within it), and every
	// read after it fails at once: the names it covered with the batch's
	// failure, the group named by ID because the edge's breaker refuses to
	// send to an Okta that stopped answering. Nothing is retried per
	// group.
	const byID = "00gTEAM0000000000001"
	st, refs := teams(4, 3)
	st.Groups = append(st.Groups, oktasim.Group{ID: byID, Name: "By ID", Users: people(3, "id.acme.com")})
	refs = append(refs, ref(byID))
	e := newEnv(t, st, oktasim.Options{})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the server closes
	e.sim.Inject(oktasim.Fault{Stall: release})

	const deadline = 300 * time.Millisecond
	cfg := e.freshConns()
	cfg.Deadline = deadline
	cfg.AttemptTimeout = 100 * time.Millisecond
	cfg.MaxBackoff = 20 * time.Millisecond
	cfg.Sleep, cfg.Now = nil, nil // real time: the deadline is measured on it
	src := e.source(t, cfg)

	start := time.Now()
	perr := src.(providers.Preparer).Prepare(context.Background(), refs)
	prepared := time.Since(start)
	errs := make([]error, len(refs))
	var wg sync.WaitGroup
	for i, r := range refs {
		wg.Go(func() { _, errs[i] = src.Members(context.Background(), r) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	searches := e.sim.Requests(groupsPath)
	t.Logf("Prepare failed after %v, the reads after %v in all; %d requests reached Okta, %d of them the batched search",
		prepared.Round(time.Millisecond), elapsed.Round(time.Millisecond), e.sim.TotalRequests(), searches)

	var he *httpx.Error
	if !errors.As(perr, &he) || he.Reason != httpx.ReasonTimeout {
		t.Fatalf("Prepare error %v, want a timeout", perr)
	}
	if searches < 2 || searches > he.Attempts {
		t.Errorf("%d searches reached Okta, want the batch's %d attempts (at least 2: it retries within the deadline)", searches, he.Attempts)
	}
	if n := e.sim.TotalRequests(); n != searches {
		t.Errorf("%d requests in all, want only the %d of the batched search", n, searches)
	}
	if elapsed > 2*deadline {
		t.Errorf("the run took %v, want about one deadline (%v)", elapsed, deadline)
	}
	for i, err := range errs {
		name := refs[i].Name
		switch {
		case err == nil:
			t.Errorf("%s: read succeeded against a hung Okta", name)
		case !strings.Contains(err.Error(), `"`+name+`"`):
			t.Errorf("%s: error %v does not name the group", name, err)
		case name == byID:
			if !errors.As(err, &he) || he.Reason != httpx.ReasonUnresponsive || he.Attempts != 0 {
				t.Errorf("%s: error %v, want it refused unsent (%s)", name, err, httpx.ReasonUnresponsive)
			}
		default:
			if want := `okta: find group "` + name + `": batched search: GET /api/v1/groups: timed out`; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%s: error %v, want %q…", name, err, want)
			}
		}
	}
}
