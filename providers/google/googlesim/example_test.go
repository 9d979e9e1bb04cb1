package googlesim_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/google"
	"github.com/teamsync/teamsync/providers/google/googlesim"
)

// The demo's wiring: a simulator on loopback, a service-account key file
// it wrote, and the real provider reading through the real JWT flow with
// nothing but that file.
func Example() {
	sim, err := googlesim.New(googlesim.State{
		Groups: []googlesim.Group{
			{Email: "platform-leads@acme.com", Members: []googlesim.Member{
				{Email: "alice@acme.com", Role: "OWNER"},
				{Email: "sre@acme.com", Type: "GROUP"},
			}},
			{Email: "sre@acme.com", Members: []googlesim.Member{
				{Email: "bob@acme.com"},
				{Email: "carol@partner.com", Status: "-"},
			}},
		},
		Users: []googlesim.User{{Email: "bob@acme.com", Suspended: true}},
	}, googlesim.Options{Admins: []string{"admin@acme.com"}})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	dir, err := os.MkdirTemp("", "googlesim")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	keyPath, err := sim.WriteServiceAccountKey(dir, srv.URL+"/token")
	if err != nil {
		panic(err)
	}

	key, err := os.ReadFile(keyPath)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	p, err := google.New(ctx, google.Config{CredentialsJSON: key, Subject: "admin@acme.com", Endpoint: srv.URL, Nested: true})
	if err != nil {
		panic(err)
	}
	members, err := p.Members(ctx, providers.GroupRef{Source: providers.SourceGoogle, Name: "platform-leads@acme.com"})
	if err != nil {
		panic(err)
	}
	for _, m := range members {
		fmt.Println(m.Email, m.Status, m.Active)
	}
	fmt.Println("requests:", sim.TotalRequests())
	// Output:
	// alice@acme.com ACTIVE true
	// bob@acme.com SUSPENDED false
	// carol@partner.com NOT_IN_DIRECTORY false
	// requests: 5
}
