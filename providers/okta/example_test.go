package okta_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// ExampleNew reads a group from a simulated org. cmd/ builds the Config
// from mapping.yaml's okta section; Members is then called once per group
// entry.
func ExampleNew() {
	sim := oktasim.New(oktasim.State{Groups: []oktasim.Group{{
		Name: "Platform Engineers",
		Users: []oktasim.User{
			{Email: "Alice@Acme.com"},
			{Email: "bob@acme.com", Status: "SUSPENDED"},
			{Email: "carol@acme.com", Status: "LOCKED_OUT"},
		},
	}}}, oktasim.Options{Token: "example-token"})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	ctx := context.Background()
	src, err := okta.New(ctx, okta.Config{OrgURL: srv.URL, Token: "example-token"})
	if err != nil {
		fmt.Println(err)
		return
	}
	members, err := src.Members(ctx, providers.GroupRef{Source: providers.SourceOkta, Name: "Platform Engineers"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range members {
		fmt.Println(m.Email, m.Status, m.Active)
	}
	_, err = src.Members(ctx, providers.GroupRef{Source: providers.SourceOkta, Name: "Platform"})
	fmt.Println(err)
	// Output:
	// alice@acme.com ACTIVE true
	// bob@acme.com SUSPENDED false
	// carol@acme.com LOCKED_OUT true
	// okta group "Platform": no group has this exact name
}
