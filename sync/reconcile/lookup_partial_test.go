package reconcile

import (
	"context"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// partialAnswer answers for the old spelling alone (DEPROVISIONED) and
// leaves the Buildkite spelling out of its answer.
type partialAnswer struct{}

func (partialAnswer) Members(context.Context, providers.GroupRef) ([]providers.Member, error) {
	return nil, nil
}

func (partialAnswer) LookupPeople(_ context.Context, emails []string) map[string]providers.Person {
	return map[string]providers.Person{"bob@corp.acme.com": {Found: true, Status: "DEPROVISIONED", Gone: true}}
}

// TestLookUpOneReadsAPartialAnswerAsThePlannerDoes: commit 182665f says
// explain takes an answer that leaves the person out "as the planner
// reads it". With two spellings (sync.email_domains) the planner's judge
// lets a failed/missing answer for any spelling win over "gone" (the
// person is held unknown_person), but lookUpOne ranks "gone" above a
// failure: explain shows okta "gone: the source says they have left" for
// a person the plan holds because "their lookup in okta failed".
func TestLookUpOneReadsAPartialAnswerAsThePlannerDoes(t *testing.T) {
	domains := map[string]string{"corp.acme.com": "acme.com"}
	got := lookUpOne(context.Background(), partialAnswer{}, "bob@acme.com", domains, nil)

	// What the planner makes of the same answers.
	m := &config.Mapping{Sync: config.Sync{EmailDomains: domains},
		Offboarding: &config.Offboarding{Source: "okta", Domains: []string{"acme.com"}}}
	people := &model.People{ViewerUserID: "u-root", Members: map[string]model.Member{
		"root@acme.com": {UserID: "u-root", Email: "root@acme.com", Role: model.OrgRoleAdmin},
		"bob@acme.com":  {UserID: "u-bob", Email: "bob@acme.com", Role: model.OrgRoleMember},
	}}
	answers := partialAnswer{}.LookupPeople(context.Background(), nil)
	answers["root@acme.com"] = providers.Person{Found: true, Status: "ACTIVE"}
	answers["root@corp.acme.com"] = providers.Person{Found: true, Status: "ACTIVE"}
	p := plan.Build(m, nil, &model.Org{Members: people.Members}, plan.Options{People: &plan.PeopleRead{People: people, Lookups: answers}})
	held := ""
	for _, c := range p.Held {
		if c.Email == "bob@acme.com" {
			held = c.Guard
		}
	}
	if held != plan.GuardUnknownPerson {
		t.Fatalf("setup: the planner holds bob as %q, want %q (held %+v, changes %+v)", held, plan.GuardUnknownPerson, p.Held, p.Changes)
	}
	if got.Err == nil {
		t.Errorf("lookUpOne = %+v (gone), but the plan holds bob@acme.com unknown_person: the lookup failed for bob@acme.com; explain and plan disagree", got)
	}
}
