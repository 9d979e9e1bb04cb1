package review

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// explainFor explains one person of the fixture, with what the sources
// say of them.
func explainFor(f fixture, email string, lookups map[string]providers.Person) *Explanation {
	in := ExplainInput{
		Email: email, Mapping: f.mapping, Reads: f.reads, Org: f.org,
		Lookups: lookups, Plan: f.plan(), Now: now,
	}
	if m, ok := f.people.Members[email]; ok {
		in.Member = &m
	}
	if inv, ok := f.org.Invitations[email]; ok {
		in.Invitation = &inv
	}
	return Explain(in)
}

var (
	activeIn = providers.Person{Found: true, Status: "ACTIVE"}
	notFound = providers.Person{}
)

// explainCases are the people the explain goldens show.
var explainCases = []struct {
	name, email string
	lookups     map[string]providers.Person
}{
	// Rewritten from corp.acme.com in Okta, and in google:eng@acme.com
	// through two nested groups; a role to raise.
	{"explain-alice", "alice@acme.com", map[string]providers.Person{"okta": activeIn, "google": activeIn}},
	// Wanted by ios and web, not in the organization, invitation pending.
	{"explain-newbie", "newbie@acme.com", map[string]providers.Person{"okta": activeIn, "google": notFound}},
	// Suspended in Okta: listed, grants nothing, removed.
	{"explain-dan", "dan@acme.com", map[string]providers.Person{
		"okta":   {Found: true, Status: "SUSPENDED", Gone: true},
		"google": {Err: errors.New("google: look up dan@acme.com: HTTP 503")},
	}},
	// Listed only by an expired users entry: removed.
	{"explain-contractor", "contractor@acme.com", map[string]providers.Person{"okta": notFound}},
	// In a team whose only other source failed: unknown, not "no".
	{"explain-ken", "ken@acme.com", map[string]providers.Person{"okta": activeIn}},
	// Nobody teamsync knows: not in any group, not in the organization.
	{"explain-outsider", "outsider@acme.com", map[string]providers.Person{"okta": notFound}},
}

func TestExplainGolden(t *testing.T) {
	f := newFixture()
	for _, tc := range explainCases {
		for _, format := range []struct{ name, ext string }{{FormatText, "txt"}, {FormatJSON, "json"}} {
			t.Run(tc.name+"."+format.ext, func(t *testing.T) {
				var buf bytes.Buffer
				if err := WriteExplanation(&buf, explainFor(f, tc.email, tc.lookups), format.name); err != nil {
					t.Fatal(err)
				}
				golden(t, tc.name+"."+format.ext, buf.Bytes())
			})
		}
	}
}

// TestExplainFacts checks the facts the goldens show that matter most.
func TestExplainFacts(t *testing.T) {
	f := newFixture()
	alice := explainFor(f, "alice@acme.com", nil)
	var path, listedAs string
	for _, g := range alice.Groups {
		if g.Group == "google:eng@acme.com" {
			path = g.Path
		}
		if g.Group == "okta:Platform Engineers" {
			listedAs = g.ListedAs
		}
	}
	if want := "google:eng@acme.com ← platform@acme.com ← sre@acme.com"; path != want {
		t.Errorf("nesting path %q, want %q", path, want)
	}
	if listedAs != "alice@corp.acme.com" {
		t.Errorf("okta lists alice as %q, want the spelling before email_domains", listedAs)
	}
	if len(alice.Changes) != 1 || alice.Changes[0].Action != "update_role" || alice.Changes[0].Team != "platform" {
		t.Errorf("alice's changes: %+v", alice.Changes)
	}

	outsider := explainFor(f, "outsider@acme.com", nil)
	if want := "Unknown: no mapped group that was read lists outsider@acme.com, and they are not in the Buildkite organization, but okta:Data could not be read."; outsider.Summary != want {
		t.Errorf("outsider: %q, want %q", outsider.Summary, want)
	}
	// Once every group reads, not being listed is a "no".
	f.reads["okta:Data"] = plan.GroupRead{Members: []providers.Member{{Email: "ken@acme.com", Status: "ACTIVE", Active: true}}}
	outsider = explainFor(f, "outsider@acme.com", nil)
	if want := "No access: no mapped group lists outsider@acme.com, and they are not in the Buildkite organization."; outsider.Summary != want {
		t.Errorf("outsider, all groups read: %q, want %q", outsider.Summary, want)
	}
	if ken := explainFor(f, "ken@acme.com", nil); ken.Summary != "Should be in 1 team: data as member. The next apply makes 1 change for them." {
		t.Errorf("ken, all groups read: %q", ken.Summary)
	}
	f = newFixture()
	ken := explainFor(f, "ken@acme.com", nil)
	if !strings.HasPrefix(ken.Summary, "Unknown:") || len(ken.UnknownGroups) != 1 || ken.UnknownGroups[0].Group != "okta:Data" {
		t.Errorf("ken: %q, unknown groups %+v", ken.Summary, ken.UnknownGroups)
	}
	dan := explainFor(f, "dan@acme.com", nil)
	// dan is an organization member: the mapping grants nothing, which is
	// not "no access".
	if !strings.HasPrefix(dan.Summary, "No access through the mapping: the mapped groups that list dan@acme.com grant nothing (SUSPENDED in okta:Platform Engineers)") {
		t.Errorf("dan: %q", dan.Summary)
	}
}

// TestExplainOrgLevel checks that an organization-level change (no team)
// for the person is shown.
func TestExplainOrgLevel(t *testing.T) {
	f := newFixture()
	p := f.plan()
	p.Changes = append(p.Changes, orgChange("remove_org_member", "dan@acme.com"), orgChange("remove_org_member", "bob@acme.com"))
	m := f.people.Members["dan@acme.com"]
	x := Explain(ExplainInput{Email: "dan@acme.com", Mapping: f.mapping, Reads: f.reads, Org: f.org, Member: &m, Plan: p, Now: now})
	var actions []string
	for _, c := range x.Changes {
		actions = append(actions, string(c.Action)+" "+c.Team)
	}
	if got, want := strings.Join(actions, ", "), "remove_member platform, remove_org_member "; got != want {
		t.Errorf("dan's changes: %q, want %q", got, want)
	}
	// In words, and with the note that explain does not evaluate the
	// organization's removal budgets.
	x.Changes[1].Reason = "deprovisioned in okta"
	x.Held = append(x.Held, plan.Change{Action: plan.ActionRevokeInvitation, Email: "dan@acme.com", Reason: "deprovisioned in okta", Guard: "max_removals", GuardReason: "over budget"})
	var b bytes.Buffer
	if err := x.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, want := range []string{
		"  remove_org_member   remove from the organization: deprovisioned in okta\n",
		"  revoke_invitation   revoke invitation: deprovisioned in okta   max_removals: over budget\n",
		"\n" + orgBudgetNote + "\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation lacks %q:\n%s", want, text)
		}
	}
	// Without an organization-level change, no note.
	x.Changes, x.Held = x.Changes[:1], nil
	b.Reset()
	if err := x.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), orgBudgetNote) {
		t.Errorf("the budget note without an organization change:\n%s", b.String())
	}
}

func TestExplainErrors(t *testing.T) {
	x := Explain(ExplainInput{Email: "a@acme.com"})
	if err := WriteExplanation(&bytes.Buffer{}, x, "markdown"); err == nil || !strings.Contains(err.Error(), `unknown explain format "markdown"`) {
		t.Errorf("unknown format: %v", err)
	}
	var nilX *Explanation
	if err := nilX.WriteText(&bytes.Buffer{}); !errors.Is(err, errNilExplanation) {
		t.Errorf("nil: %v", err)
	}
	if err := x.WriteJSON(failWriter{}); !errors.Is(err, errDiskFull) {
		t.Errorf("failing writer: %v", err)
	}
}

// orgChange is an organization-level change as offboarding plans them.
func orgChange(action, email string) plan.Change {
	return plan.Change{Action: plan.Action(action), Email: email, Role: model.Role("")}
}

// TestInvitationWords checks how explain words an invitation: the plan's
// invite change and a pending invitation list the same "team as role".
func TestInvitationWords(t *testing.T) {
	teams := []model.TeamRole{{Team: "ios", Role: model.RoleMember}, {Team: "web", Role: model.RoleMaintainer}}
	c := plan.Change{Action: plan.ActionInvite, Email: "new@acme.com", Teams: teams, Groups: []string{"okta:Mobile"}}
	if got, want := changeWords(c), "invite to ios as member, web as maintainer (via okta:Mobile)"; got != want {
		t.Errorf("changeWords = %q, want %q", got, want)
	}
	for _, tc := range []struct {
		teams []model.TeamRole
		want  string
	}{{teams, "ios as member, web as maintainer"}, {nil, "to no team"}} {
		x := &Explanation{Email: "new@acme.com", Buildkite: BuildkiteView{Invitation: &InvitationReport{Email: "new@acme.com", Teams: tc.teams}}}
		var b bytes.Buffer
		if err := x.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "  invitation     pending   "+tc.want+"\n") {
			t.Errorf("invitation of %v not %q in:\n%s", tc.teams, tc.want, b.String())
		}
	}
}
