package reconcile

import (
	"context"
	"fmt"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// withPeople adds every organization member offboarding read to
// org.Members, so that the plan needs no lookup for them and the applier
// finds the IDs its writes take. Their entries replace the ones the team
// reads gave, which lack the organization role.
func withPeople(org *model.Org, people *model.People) {
	if org.Members == nil {
		org.Members = make(map[string]model.Member, len(people.Members))
	}
	for email, p := range people.Members {
		org.Members[email] = p
	}
}

// lookUp asks the offboarding source about everyone offboarding may judge
// (plan.LookupEmails). Every failure, a missing source included, is an
// answer with Err: the planner then holds the person, never removes them.
func (r *Runner) lookUp(ctx context.Context, m *config.Mapping, c *Clients, read *plan.PeopleRead, invitations map[string]model.Invitation) map[string]providers.Person {
	emails := plan.LookupEmails(m, read, invitations)
	if len(emails) == 0 {
		return nil
	}
	source := m.Offboarding.Source
	out, err := lookupPeople(ctx, c.Providers[source], emails)
	if err != nil {
		err = fmt.Errorf("%s source: %w", source, err)
		out = make(map[string]providers.Person, len(emails))
		for _, e := range emails {
			out[e] = providers.Person{Err: err}
		}
	}
	r.logger().Debug("offboarding lookups done", "source", source, "people", len(emails))
	return out
}

// probe tries the offboarding source's search once, with an address in
// its first domain that nobody has: whether the search itself works
// (credentials, scopes, the attribute searched), for validate --online.
func probe(ctx context.Context, m *config.Mapping, c *Clients) error {
	source := m.Offboarding.Source
	email := "teamsync-validate-probe@" + m.Offboarding.Domains[0]
	answers, err := lookupPeople(ctx, c.Providers[source], []string{email})
	if err == nil {
		err = answers[email].Err
	}
	return err
}

// lookupPeople runs p's LookupPeople, turning a source that cannot look
// people up, or that panics, into an error.
func lookupPeople(ctx context.Context, p providers.Provider, emails []string) (_ map[string]providers.Person, err error) {
	l, ok := p.(providers.PersonLookup)
	if !ok {
		return nil, fmt.Errorf("no source that can look people up is configured")
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panicked looking people up: %v", v)
		}
	}()
	return l.LookupPeople(ctx, emails), nil
}
