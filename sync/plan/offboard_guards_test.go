package plan

import (
	"errors"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// plainMembers is an organization of the given members (role member).
func plainMembers(emails ...string) *model.People {
	people := &model.People{ViewerUserID: "u-token", Members: map[string]model.Member{}}
	for _, e := range emails {
		people.Members[e] = model.Member{ID: "om-" + e, UserID: "u-" + e, Email: e, Role: model.OrgRoleMember}
	}
	return people
}

func orgRemovals(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		if c.OrgLevel() {
			out = append(out, string(c.Action)+" "+c.Email+": "+c.Reason)
		}
	}
	return out
}

// unknown turned into gone: still_granted is computed only from
// the groups that did read. When the google group that grants a
// contractor (who has an acme.com address but no Okta account) fails to
// read, the contractor is "not found in okta" and no longer granted, so
// offboarding removes them from the whole organization in the very run
// that reported the google read as failed. Unknown is not empty: a team
// whose source failed must keep holding its people.
func TestOffboardFailedGrantingGroupRemovesGrantedPerson(t *testing.T) {
	m := mapping(team("web", googleGroup("contractors@acme.com", mem)))
	m.Offboarding = &config.Offboarding{Source: "okta", Domains: []string{"acme.com"}}
	org := orgOf(nil, map[string]map[string]model.Role{"web": {"contractor@acme.com": mem}})
	people := plainMembers("contractor@acme.com")
	s := scenario{m: m, org: org,
		reads: map[string]GroupRead{"google:contractors@acme.com": {Err: errors.New("google: HTTP 503")}},
		opts: Options{People: &PeopleRead{People: people, Lookups: map[string]providers.Person{
			"contractor@acme.com": {}, // no Okta account: granted only by the google group
		}}},
	}
	// Sanity: with the group read, they are held as still_granted.
	s.reads["google:contractors@acme.com"] = GroupRead{Members: active("contractor@acme.com")}
	if got := orgRemovals(s.build()); len(got) != 0 {
		t.Fatalf("with the group read: %q, want still_granted", got)
	}
	s.reads["google:contractors@acme.com"] = GroupRead{Err: errors.New("google: HTTP 503")}
	if got := orgRemovals(s.build()); len(got) != 0 {
		t.Errorf("a failed google read turned contractor@acme.com into gone: changes %q", got)
	}
}

// protected user, the other spelling: protected_users is
// matched under the rewrite of each listed address only. With
// email_domains {corp.acme.com: acme.com} and domains listing both,
// protected_users: [ci-bot@acme.com] (SPEC's own example) does not
// protect the Buildkite account ci-bot@corp.acme.com. A protected
// service account is typically absent from Okta, so it is "not found in
// okta" and removed from the organization. docs/semantics.md promises
// "in sync.protected_users (either spelling) — never looked up, never touched".
func TestOffboardProtectedUserOtherSpelling(t *testing.T) {
	m := mapping(team("web", oktaGroup("Web", mem)))
	m.Offboarding = &config.Offboarding{Source: "okta", Domains: []string{"acme.com", "corp.acme.com"}}
	m.Sync.EmailDomains = map[string]string{"corp.acme.com": "acme.com"}
	m.Sync.ProtectedUsers = []string{"ci-bot@acme.com"}
	people := plainMembers("ci-bot@corp.acme.com")
	s := scenario{m: m, org: orgOf(nil, map[string]map[string]model.Role{"web": {}}),
		reads: map[string]GroupRead{"okta:Web": {Members: active("someone@acme.com")}},
		opts:  Options{People: &PeopleRead{People: people, Lookups: map[string]providers.Person{"ci-bot@corp.acme.com": {}}}},
	}
	if got := LookupEmails(s.m, s.opts.People, nil); len(got) != 0 {
		t.Errorf("a protected user is looked up: %v", got)
	}
	if got := orgRemovals(s.build()); len(got) != 0 {
		t.Errorf("protected ci-bot (listed as ci-bot@acme.com) removed as ci-bot@corp.acme.com: %q", got)
	}
}

// a source that knows nobody, small organization: a wrong
// okta.user_email (login where logins are not emails), or an Okta that
// answers every search with [], makes every judged person "not found in
// okta". max_removal_percent only counts from 10 judged members and
// max_removals defaults to 25, so an organization of 5 judged members is
// emptied in one apply. Nothing distinguishes "everyone left" from "the
// source knows no one": a run in which not a single judged person was
// found should hold everything.
func TestOffboardSourceKnowsNobodyWipesSmallOrg(t *testing.T) {
	m := mapping(team("web", usersGroup(mem, "someone@other.com")))
	m.Offboarding = &config.Offboarding{Source: "okta", Domains: []string{"acme.com"}}
	emails := []string{"a@acme.com", "b@acme.com", "c@acme.com", "d@acme.com", "e@acme.com"}
	lookups := map[string]providers.Person{}
	for _, e := range emails {
		lookups[e] = providers.Person{} // not found
	}
	s := scenario{m: m, org: orgOf(nil, map[string]map[string]model.Role{"web": {}}),
		reads: map[string]GroupRead{"users:someone@other.com": {Members: active("someone@other.com")}},
		opts:  Options{People: &PeopleRead{People: plainMembers(emails...), Lookups: lookups}},
	}
	if got := orgRemovals(s.build()); len(got) != 0 {
		t.Errorf("a source that found none of the 5 judged members removes all of them: %q", got)
	}
	// Same at 9 judged members, with a team of 9 people that reads fine.
	for _, e := range []string{"f@acme.com", "g@acme.com", "h@acme.com", "i@acme.com"} {
		s.opts.People.People.Members[e] = model.Member{ID: "om-" + e, UserID: "u-" + e, Email: e, Role: model.OrgRoleMember}
		lookups[e] = providers.Person{}
	}
	if got := orgRemovals(s.build()); len(got) != 0 {
		t.Errorf("9 of 9 judged members removed (percent guard starts at 10): %d removals", len(got))
	}
}

// observe everywhere still writes: sync.policy: observe is how a
// newcomer runs teamsync "plan everything, write nothing" (SPEC: observe
// plans but never applies; docs: "observe plans everything and writes
// nothing"). Organization changes carry no team, so HoldObserve (which
// matches c.Team != "") never holds them: with every team observe, apply
// still removes people from the organization. Either hold org changes
// when no team is writable, or document that observe does not cover
// offboarding and say so in validate/plan.
func TestOffboardIgnoresGlobalObserve(t *testing.T) {
	m := mapping(team("web", oktaGroup("Web", mem)))
	m.Sync.Policy = model.PolicyObserve
	m.Offboarding = &config.Offboarding{Source: "okta", Domains: []string{"acme.com"}}
	s := scenario{m: m, org: orgOf(nil, map[string]map[string]model.Role{"web": {"a@acme.com": mem}}),
		reads: map[string]GroupRead{"okta:Web": {Members: active("a@acme.com")}},
		opts: Options{People: &PeopleRead{People: plainMembers("a@acme.com", "gone@acme.com"), Lookups: map[string]providers.Person{
			"a@acme.com":    {Found: true, Status: "ACTIVE"},
			"gone@acme.com": {Found: true, Status: "DEPROVISIONED", Gone: true},
		}}},
	}
	if got := orgRemovals(s.build()); len(got) != 0 {
		t.Errorf("with sync.policy observe (every team observe), apply would still write %q", got)
	}
}
