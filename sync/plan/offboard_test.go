package plan

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// offboardScenario is an organization of six people judged by Okta, and
// the people offboarding must never touch.
func offboardScenario() (scenario, *model.People) {
	m := mapping(team("platform", oktaGroup("Platform", mem), usersGroup(mem, "granted@acme.com")))
	m.Offboarding = &config.Offboarding{Source: "okta", Domains: []string{"acme.com"}, RevokeInvitations: true}
	m.Sync.ProtectedUsers = []string{"keep@acme.com"}
	m.Sync.EmailDomains = map[string]string{"corp.acme.com": "acme.com"}
	people := &model.People{ViewerUserID: "u-token@acme.com", Members: map[string]model.Member{}}
	add := func(email string, edit func(*model.Member)) {
		p := model.Member{ID: "om-" + email, UserID: "u-" + email, Email: email, Role: model.OrgRoleMember}
		if edit != nil {
			edit(&p)
		}
		people.Members[email] = p
	}
	for _, e := range []string{"active@acme.com", "gone@acme.com", "suspended@acme.com", "unknown@acme.com",
		"granted@acme.com", "renamed@acme.com", "nobody@acme.com", "keep@acme.com", "token@acme.com", "outsider@other.com"} {
		add(e, nil)
	}
	add("bot@acme.com", func(p *model.Member) { p.Bot = true })
	add("admin@acme.com", func(p *model.Member) { p.Role = model.OrgRoleAdmin })
	people.Members["token@acme.com"] = model.Member{ID: "om-token@acme.com", UserID: "u-token@acme.com", Email: "token@acme.com", Role: model.OrgRoleAdmin}
	org := orgOf(nil, map[string]map[string]model.Role{"platform": {"active@acme.com": mem, "granted@acme.com": mem}})
	org.Invitations["invited-gone@acme.com"] = model.Invitation{ID: "inv-1", Email: "invited-gone@acme.com"}
	org.Invitations["invited-ok@acme.com"] = model.Invitation{ID: "inv-2", Email: "invited-ok@acme.com"}
	org.Invitations["invited@other.com"] = model.Invitation{ID: "inv-3", Email: "invited@other.com"}
	lookups := map[string]providers.Person{
		"active@acme.com":            {Found: true, Status: "ACTIVE"},
		"active@corp.acme.com":       {},
		"gone@acme.com":              {Found: true, Status: "DEPROVISIONED", Gone: true},
		"gone@corp.acme.com":         {},
		"suspended@acme.com":         {Found: true, Status: "SUSPENDED", Gone: true},
		"suspended@corp.acme.com":    {},
		"unknown@acme.com":           {Err: errors.New("okta: HTTP 500")},
		"unknown@corp.acme.com":      {},
		"granted@acme.com":           {Found: true, Status: "DEPROVISIONED", Gone: true},
		"granted@corp.acme.com":      {},
		"renamed@acme.com":           {},
		"renamed@corp.acme.com":      {Found: true, Status: "ACTIVE"}, // known to Okta by its other spelling
		"nobody@acme.com":            {},
		"nobody@corp.acme.com":       {},
		"invited-gone@acme.com":      {Found: true, Status: "SUSPENDED", Gone: true},
		"invited-gone@corp.acme.com": {},
		"invited-ok@acme.com":        {Found: true, Status: "STAGED"},
		"invited-ok@corp.acme.com":   {},
	}
	s := scenario{m: m, org: org,
		reads: map[string]GroupRead{"okta:Platform": {Members: active("active@acme.com")}, "users:granted@acme.com": {Members: active("granted@acme.com")}},
		opts:  Options{People: &PeopleRead{People: people, Lookups: lookups}},
	}
	return s, people
}

// TestLookupEmails asks the source about every spelling of everyone it may
// judge, and about nobody else.
func TestLookupEmails(t *testing.T) {
	s, _ := offboardScenario()
	got := LookupEmails(s.m, s.opts.People, s.org.Invitations)
	var want []string
	for e := range s.opts.People.Lookups {
		want = append(want, e)
	}
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("LookupEmails:\n got %v\nwant %v", got, want)
	}
	s.m.Offboarding = nil
	if got := LookupEmails(s.m, s.opts.People, s.org.Invitations); got != nil {
		t.Fatalf("without offboarding LookupEmails = %v, want none", got)
	}
}

// TestOffboard removes and revokes exactly the departed, holds the unknown
// and the still granted, and leaves everyone else alone.
func TestOffboard(t *testing.T) {
	s, _ := offboardScenario()
	p := s.build()
	var got []string
	for _, c := range p.Changes {
		got = append(got, string(c.Action)+" "+c.Email+": "+c.Reason)
	}
	want := []string{
		"remove_org_member gone@acme.com: deprovisioned in okta",
		"remove_org_member nobody@acme.com: not found in okta",
		"remove_org_member suspended@acme.com: suspended in okta",
		"revoke_invitation invited-gone@acme.com: suspended in okta",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes:\n got %q\nwant %q", got, want)
	}
	var held []string
	for _, c := range p.Held {
		held = append(held, c.Guard+" "+string(c.Action)+" "+c.Email+": "+c.GuardReason)
	}
	wantHeld := []string{
		"still_granted remove_org_member granted@acme.com: granted@acme.com is deprovisioned in okta, but mapping.yaml still grants them 1 team (platform); remove or expire that grant to offboard them",
		"unknown_person remove_org_member unknown@acme.com: their lookup in okta failed, so nothing is taken from them until a lookup answers; fix the lookup (see errors), no setting overrides this",
	}
	if !reflect.DeepEqual(held, wantHeld) {
		t.Fatalf("held:\n got %q\nwant %q", held, wantHeld)
	}
	wantErr := []Error{{Source: SourceOffboarding, Message: "okta lookup failed for 1 person: okta: HTTP 500"}}
	if !reflect.DeepEqual(p.Errors, wantErr) {
		t.Fatalf("errors = %+v, want %+v", p.Errors, wantErr)
	}
	if p.Summary.RemoveOrgMember != 3 || p.Summary.RevokeInvitation != 1 {
		t.Fatalf("summary = %+v", p.Summary)
	}
}

// TestOffboardAdmins judges admins only with include_admins.
func TestOffboardAdmins(t *testing.T) {
	s, _ := offboardScenario()
	s.m.Offboarding.IncludeAdmins = true
	s.opts.People.Lookups["admin@acme.com"] = providers.Person{Found: true, Status: "DEPROVISIONED", Gone: true}
	s.opts.People.Lookups["admin@corp.acme.com"] = providers.Person{}
	p := s.build()
	if c := p.Changes[0]; c.Action != ActionRemoveOrgMember || c.Email != "admin@acme.com" {
		t.Fatalf("first change = %+v, want the admin removed", c)
	}
}

// TestOffboardBudgets: organization removals are counted on their own
// against max_removals and, of the judged members, max_removal_percent.
func TestOffboardBudgets(t *testing.T) {
	s, _ := offboardScenario()
	s.m.Sync.MaxRemovals = 3
	p := s.build()
	if len(p.Changes) != 0 {
		t.Fatalf("changes = %+v, want all held", p.Changes)
	}
	n := 0
	for _, c := range p.Held {
		if c.Guard == GuardMaxRemovals {
			n++
			if !strings.Contains(c.GuardReason, "offboarding: 4 organization removals exceed max_removals 3 (counted apart from team removals)") {
				t.Fatalf("reason = %q", c.GuardReason)
			}
		}
	}
	if n != 4 || !p.HeldByGuard() {
		t.Fatalf("held by max_removals = %d, want 4", n)
	}

	// Twelve judged members of whom 3 leave: 25% is under 30, over 20.
	s, people := offboardScenario()
	for _, e := range []string{"a", "b", "c", "d", "e"} {
		email := e + "@acme.com"
		people.Members[email] = model.Member{ID: "om-" + email, UserID: "u-" + email, Email: email, Role: model.OrgRoleMember}
		s.opts.People.Lookups[email] = providers.Person{Found: true, Status: "ACTIVE"}
		s.opts.People.Lookups[e+"@corp.acme.com"] = providers.Person{}
	}
	if p := s.build(); len(p.Changes) != 4 {
		t.Fatalf("at 30%%: changes = %+v, want 4", p.Changes)
	}
	s.m.Sync.MaxRemovalPercent = 20
	p = s.build()
	if len(p.Changes) != 0 {
		t.Fatalf("at 20%%: changes = %+v, want all held", p.Changes)
	}
	want := "offboarding: removing 3 of the 12 organization members it judged (25%) is over max_removal_percent 20; to let them through, set sync.max_removal_percent to 25"
	n = 0
	for _, c := range p.Held {
		if c.Guard == GuardMaxRemovalPercent {
			n++
			if c.GuardReason != want {
				t.Fatalf("reason = %q, want %q", c.GuardReason, want)
			}
		}
	}
	if n != 4 {
		t.Fatalf("held by max_removal_percent = %d, want 4", n)
	}
}

// TestOffboardReadFailure offboards nobody and says why.
func TestOffboardReadFailure(t *testing.T) {
	s, _ := offboardScenario()
	s.opts.People = &PeopleRead{Err: errors.New("buildkite: HTTP 502")}
	p := s.build()
	for _, c := range append(p.Changes, p.Held...) {
		if c.OrgLevel() {
			t.Fatalf("offboarding change %+v after a failed read", c)
		}
	}
	want := []Error{{Source: SourceOffboarding, Message: "could not read the organization's members, so nobody is offboarded: buildkite: HTTP 502"}}
	if !reflect.DeepEqual(p.Errors, want) {
		t.Fatalf("errors = %+v, want %+v", p.Errors, want)
	}
}

// TestOffboardOnly judges one person (explain) and asks about no one else.
func TestOffboardOnly(t *testing.T) {
	s, _ := offboardScenario()
	s.opts.People.Only = []string{"gone@acme.com"}
	if got, want := LookupEmails(s.m, s.opts.People, s.org.Invitations), []string{"gone@acme.com", "gone@corp.acme.com"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("LookupEmails = %v, want %v", got, want)
	}
	s.opts.People.Lookups = map[string]providers.Person{"gone@acme.com": s.opts.People.Lookups["gone@acme.com"], "gone@corp.acme.com": {}}
	p := s.build()
	if len(p.Changes) != 1 || p.Changes[0].Email != "gone@acme.com" || len(p.Held) != 0 || len(p.Errors) != 0 {
		t.Fatalf("plan = %+v, want only gone@acme.com removed", p)
	}
}
