package buildkite_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"maps"
	"net/http/httptest"
	"slices"

	"github.com/teamsync/teamsync/buildkite"
	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/sync/model"
)

// Reading an organization, looking up a person outside its managed teams
// and adding them to a team, against the simulator (point URL at
// https://graphql.buildkite.com/v1 for real).
func Example() {
	sim, err := bksim.New(bksim.State{
		Organization: "acme",
		Members:      []bksim.Member{{Email: "Alice@Acme.com"}, {Email: "bob@acme.com"}},
		Teams:        []bksim.Team{{Slug: "platform", Members: []bksim.TeamMember{{Email: "alice@acme.com", Role: "maintainer"}}}},
	}, bksim.Options{Token: "example-token"})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()

	c, err := buildkite.New(buildkite.Config{URL: srv.URL, Organization: "acme", Token: "example-token", UserAgent: "teamsync/example"})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	org, err := c.ReadOrg(ctx, []string{"platform", "no-such-team"})
	if err != nil {
		log.Fatal(err)
	}
	platform := org.Teams["platform"]
	fmt.Println("people in managed teams:", slices.Sorted(maps.Keys(org.Members)))
	fmt.Println("platform:", platform.Members["alice@acme.com"].Role, len(platform.Members))
	_, exists := org.Teams["no-such-team"]
	fmt.Println("no-such-team exists:", exists)

	// Emails are asked for normalised (model.NormalizeEmail).
	found, err := c.LookupMembers(ctx, []string{model.NormalizeEmail("Bob@Acme.com"), "zoe@acme.com"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("found:", slices.Sorted(maps.Keys(found)))
	bob := found["bob@acme.com"]
	if _, err := c.AddTeamMember(ctx, platform.ID, bob.UserID, model.RoleMember); err != nil {
		log.Fatal(err)
	}
	_, err = c.AddTeamMember(ctx, platform.ID, bob.UserID, model.RoleMember)
	fmt.Println("again:", errors.Is(err, model.ErrAlreadyExists), err)
	// Output:
	// people in managed teams: [alice@acme.com]
	// platform: maintainer 1
	// no-such-team exists: false
	// found: [bob@acme.com]
	// again: true buildkite: teamMemberCreate: graphql: User has already been added to this team
}
