package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// BenchmarkOktaDelivery measures the hook's answer to a 100-event delivery
// against a 200-team mapping: the time Okta waits (it allows 3 s).
func BenchmarkOktaDelivery(b *testing.B) {
	m := &config.Mapping{Path: "m.yaml", Sync: config.Sync{Schedule: "@every 1h"}}
	for i := range 200 {
		m.Teams = append(m.Teams, config.Team{
			Slug:   fmt.Sprintf("team-%d", i),
			Groups: []config.Group{{Okta: fmt.Sprintf("Group %d", i)}},
		})
	}
	clk := newFakeClock()
	d, err := newDaemon(Config{
		Load: func(string) (*config.Mapping, error) { return m, nil },
		Connect: func(context.Context, *config.Mapping) (*reconcile.Clients, error) {
			return nil, errors.New("not used")
		},
		Getenv: func(string) string { return hookSecret },
		Now:    clk.Now, After: clk.After,
	})
	if err != nil {
		b.Fatal(err)
	}
	h := d.handler(b.Context())
	b.ReportAllocs()
	for n := 0; b.Loop(); n++ {
		events := make([]string, 100)
		for i := range events {
			events[i] = event(fmt.Sprintf("u%d-%d", n, i), "group.user_membership.add", "00g", fmt.Sprintf("Group %d", i))
		}
		req := httptest.NewRequest(http.MethodPost, "/hooks/okta", strings.NewReader(string(delivery(events...))))
		req.Header.Set("Authorization", hookSecret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
