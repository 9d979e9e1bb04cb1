package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/google/googlesim"
	"github.com/teamsync/teamsync/sync/config"
)

// TestConnectLeavesADCToTheLibrary: without credentials_file the connector
// must not read GOOGLE_APPLICATION_CREDENTIALS itself and pass it off as a
// key file, which refused impersonation (tested here) and ADC files that
// are not service-account keys.
func TestConnectLeavesADCToTheLibrary(t *testing.T) {
	sim, err := googlesim.New(googlesim.State{}, googlesim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	key, err := sim.WriteServiceAccountKey(t.TempDir(), srv.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	// The Google library reads this from the process environment itself.
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", key)
	m := &config.Mapping{
		Buildkite: config.Buildkite{Organization: "acme", GraphQLURL: srv.URL, Token: config.Secret{Env: "BUILDKITE_API_TOKEN"}},
		Google:    &config.Google{Endpoint: srv.URL + "/", ImpersonateServiceAccount: "sync@proj.iam.gserviceaccount.com", Nested: true},
		Teams:     []config.Team{{Slug: "web", Groups: []config.Group{{Google: "web@acme.com"}}}},
	}
	c := &connector{getenv: func(k string) string {
		return map[string]string{"BUILDKITE_API_TOKEN": "t"}[k]
	}, logger: slog.New(slog.DiscardHandler)}
	clients, err := c.connect(context.Background(), m)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if clients.Providers[providers.SourceGoogle] == nil {
		t.Fatal("no google provider")
	}
}

func TestHeadroom(t *testing.T) {
	for percent, want := range map[int]float64{0: -1, 20: 0.2, 90: 0.9} {
		if got := headroom(percent); got != want {
			t.Errorf("headroom(%d) = %v, want %v", percent, got, want)
		}
	}
}
