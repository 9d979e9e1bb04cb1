package daemon

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
	"github.com/teamsync/teamsync/sync/metrics"
)

// TestObservedProviderKeepsBatching: the metrics wrapper must not hide the
// Okta source's batched name resolution, or the daemon would spend a search
// per group where the CLI spends one per twenty.
func TestObservedProviderKeepsBatching(t *testing.T) {
	sim := oktasim.New(oktasim.State{Groups: []oktasim.Group{
		{Name: "A", Users: []oktasim.User{{Email: "a@acme.com"}}},
		{Name: "B", Users: []oktasim.User{{Email: "b@acme.com"}}},
		{Name: "C", Users: []oktasim.User{{Email: "c@acme.com"}}},
	}}, oktasim.Options{Token: "t"})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	ctx := context.Background()
	src, err := okta.New(ctx, okta.Config{OrgURL: srv.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	var p providers.Provider = observedProvider{source: "okta", p: src, met: metrics.New()}
	refs := []providers.GroupRef{{Source: "okta", Name: "A"}, {Source: "okta", Name: "B"}, {Source: "okta", Name: "C"}}
	prep, ok := p.(providers.Preparer)
	if !ok {
		t.Fatal("observedProvider does not pass Prepare through")
	}
	if err := prep.Prepare(ctx, refs); err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		if _, err := p.Members(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	if got := sim.Requests("/api/v1/groups"); got != 1 {
		t.Fatalf("%d group searches for 3 prepared names, want 1", got)
	}
}
