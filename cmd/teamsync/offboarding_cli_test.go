package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

type offboardPlan struct {
	Changes []map[string]any `json:"changes"`
	Held    []map[string]any `json:"held"`
	Errors  []map[string]any `json:"errors"`
}

func decodePlan(t *testing.T, out []byte) offboardPlan {
	t.Helper()
	var p offboardPlan
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return p
}

func (p offboardPlan) lines() []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c["action"].(string)+" "+c["email"].(string))
	}
	slices.Sort(out)
	return out
}

// TestOffboardSourceNamedByNoTeamIsConnected: the offboarding source is
// connected even when no team names a group of it (Okta the source of
// truth for people, the teams granted by users: lists or Google groups);
// otherwise every judged person would be held unknown_person ("no source
// that can look people up is configured") at every run.
func TestOffboardSourceNamedByNoTeamIsConnected(t *testing.T) {
	_, h := startOffboard(t, "users:\n  - {email: alice@acme.com}\n  - {email: dave@acme.com, status: DEPROVISIONED}\n",
		`buildkite:
  organization: acme
  graphql_url: "{{buildkite_url}}"
okta:
  org_url: "{{okta_url}}"
teams:
  - slug: web
    groups:
      - users: [alice@acme.com]
`+oktaOffboarding, rootAlice("dave@acme.com"))
	out, code := h.run("plan", "--format", "json")
	p := decodePlan(t, out)
	if want := []string{"remove_org_member dave@acme.com"}; !slices.Equal(p.lines(), want) || code != 0 {
		t.Errorf("plan: exit %d, changes %v, want %v\nheld: %v\nerrors: %v", code, p.lines(), want, p.Held, p.Errors)
	}
}

// offboardFixture: root (admin, the token's user) and dave have left Okta;
// bot is a Buildkite bot unknown to Okta; olga is outside domains; gina
// was invited and has left.
func offboardFixture(t *testing.T, extra string) (*bksim.Server, *harness) {
	st := rootAlice("dave@acme.com")
	st.Members = append(st.Members, bksim.Member{Email: "bot@acme.com", Bot: true}, bksim.Member{Email: "olga@other.com"})
	st.Teams[0].Members = append(st.Teams[0].Members, bksim.TeamMember{Email: "dave@acme.com"})
	st.Invitations = []bksim.Invitation{{Email: "gina@acme.com"}}
	return startOffboard(t, oktaWeb(
		"{email: root@acme.com, status: DEPROVISIONED}",
		"{email: dave@acme.com, status: DEPROVISIONED}",
		"{email: gina@acme.com, status: SUSPENDED}",
	), webOktaMapping(oktaOffboarding+"  revoke_invitations: true\n"+extra), st)
}

// TestSavedPlanOffboardsWhatThePlanShowed: plan --out then apply FILE, the reviewed-plan
// workflow, offboards exactly what the plan showed (organization changes
// are not team changes of a team "" that does not exist).
func TestSavedPlanOffboardsWhatThePlanShowed(t *testing.T) {
	sim, h := offboardFixture(t, "  include_admins: true\n")
	file := filepath.Join(t.TempDir(), "plan.json")
	out, code := h.run("plan", "--format", "json", "--out", file)
	p := decodePlan(t, out)
	want := []string{"remove_member dave@acme.com", "remove_org_member dave@acme.com", "revoke_invitation gina@acme.com"}
	if code != 0 || !slices.Equal(p.lines(), want) {
		t.Fatalf("plan: exit %d, changes %v, want %v\nheld %v\nerrors %v\nstderr %s", code, p.lines(), want, p.Held, p.Errors, h.stderr.String())
	}
	out, code = h.run("apply", file, "--format", "json")
	a := decodePlan(t, out)
	for _, c := range a.Changes {
		if c["status"] != "applied" {
			t.Errorf("apply FILE: %s %s is %v: %v", c["action"], c["email"], c["status"], c["error"])
		}
	}
	for _, m := range sim.State().Members {
		if m.Email == "dave@acme.com" {
			t.Errorf("apply FILE (exit %d) left dave@acme.com in the organization", code)
		}
	}
}

// The documented end to end (issue 12, "Done means"), through the CLI:
// include_admins: true, and the token's own user (root, an admin who has
// left Okta: a token minted by a departed admin) must still be spared;
// bots and other domains are never touched.
func TestOffboardEndToEndSparesTokenUserBotsAndOtherDomains(t *testing.T) {
	sim, h := offboardFixture(t, "  include_admins: true\n")
	out, code := h.run("apply", "--format", "json")
	p := decodePlan(t, out)
	want := []string{"remove_member dave@acme.com", "remove_org_member dave@acme.com", "revoke_invitation gina@acme.com"}
	if code != 0 || !slices.Equal(p.lines(), want) {
		t.Errorf("apply: exit %d, changes %v, want %v\nheld %v\nerrors %v\nstderr %s", code, p.lines(), want, p.Held, p.Errors, h.stderr.String())
	}
	var left []string
	for _, m := range sim.State().Members {
		left = append(left, m.Email)
	}
	slices.Sort(left)
	if w := []string{"alice@acme.com", "bot@acme.com", "olga@other.com", "root@acme.com"}; !slices.Equal(left, w) {
		t.Errorf("members after apply %v, want %v", left, w)
	}
	if strings.Contains(h.stderr.String(), "test-token") {
		t.Errorf("stderr leaks the token")
	}
}

// TestExplainOrgRemovalNamesTheOrgBudgets: explain judges offboarding for
// the one person asked, so the organization-wide budgets see a population
// of 1. When Okta knows nobody (12 judged members, none in Okta), plan
// holds every organization removal under max_removal_percent; explain
// must not then say plainly that apply removes the person: it says the
// budgets over the whole organization apply and that it does not evaluate
// them (run plan).
func TestExplainOrgRemovalNamesTheOrgBudgets(t *testing.T) {
	members := []bksim.Member{{Email: "root@acme.com", Role: "admin"}}
	for i := range 12 {
		members = append(members, bksim.Member{Email: "m" + string(rune('a'+i)) + "@acme.com"})
	}
	st := acmeWeb(members...)
	st.Teams[0].Members = []bksim.TeamMember{{Email: "root@acme.com"}}
	_, h := startOffboard(t, "groups:\n  - name: Web\n    users: [{email: root@acme.com}]\n", webOktaMapping(oktaOffboarding), st)
	out, code := h.run("plan", "--format", "json")
	p := decodePlan(t, out)
	if len(p.Changes) != 0 || len(p.Held) != 12 {
		t.Fatalf("plan: exit %d, %d changes, %d held; want all 12 held by max_removal_percent\n%s", code, len(p.Changes), len(p.Held), out)
	}
	out, code = h.run("explain", "ma@acme.com")
	if code != 0 {
		t.Fatalf("explain exit %d: %s", code, h.stderr.String())
	}
	text := string(out)
	i := strings.Index(text, "What apply would change")
	if i < 0 {
		t.Fatalf("no 'What apply would change' in\n%s", text)
	}
	if tail := text[i:]; strings.Contains(tail, "remove_org_member") && !strings.Contains(tail, "max_removal_percent") {
		t.Errorf("explain says apply would remove ma@acme.com, but apply holds it under max_removal_percent:\n%s", tail)
	}
	if !strings.Contains(text, "remove from the organization: not found in okta") || !strings.Contains(text, "which explain does not evaluate: run plan") {
		t.Errorf("explain does not say the removal in words, or that it does not evaluate the organization's budgets:\n%s", text)
	}
}

// plan --base and still_granted: when a change turns
// offboarding on, plan --base judges the organization against the
// mapping narrowed to the affected teams (none here), so a departed person
// whom another team still grants is not "granted": plan --base shows
// remove_org_member as this change, while plan (and apply) hold it as
// still_granted. The reviewer approves a removal that will not happen,
// and — the other way round — a change that drops the last grant of a
// departed person (without touching offboarding:) shows no org removal
// though the next apply makes one.
func TestPlanBaseJudgesStillGrantedOverEveryTeam(t *testing.T) {
	const grant = "  - slug: ops\n    groups:\n      - users: [dave@acme.com]\n"
	st := rootAlice("dave@acme.com")
	st.Teams = append(st.Teams, bksim.Team{Slug: "ops", Members: []bksim.TeamMember{{Email: "dave@acme.com"}}})
	_, h := startOffboard(t, oktaWeb("{email: dave@acme.com, status: DEPROVISIONED}"), webOktaMapping(grant+oktaOffboarding), st)
	out, _ := h.run("plan", "--format", "json")
	full := decodePlan(t, out)
	if len(full.Changes) != 0 || len(full.Held) != 1 || full.Held[0]["guard"] != "still_granted" {
		t.Fatalf("plan: changes %v held %v, want dave held still_granted", full.lines(), full.Held)
	}
	rendered, base := h.mappingAndBase()
	// 1. The change turns offboarding on.
	writeText(t, base, strings.Replace(rendered, oktaOffboarding, "", 1))
	out, _ = h.run("plan", "--base", base, "--format", "json")
	if p := decodePlan(t, out); len(p.Changes) != 0 {
		t.Errorf("plan --base (offboarding turned on) shows %v; plan holds dave as still_granted", p.lines())
	}
	// 2. Offboarding was on; the change drops dave's last grant.
	writeText(t, base, rendered)
	writeText(t, h.config, strings.Replace(rendered, grant, "", 1))
	out, _ = h.run("plan", "--format", "json")
	after := decodePlan(t, out)
	out, _ = h.run("plan", "--base", base, "--format", "json")
	p := decodePlan(t, out)
	if !slices.Contains(after.lines(), "remove_org_member dave@acme.com") {
		t.Fatalf("without the grant, plan shows %v; want dave removed from the organization", after.lines())
	}
	if !slices.Contains(p.lines(), "remove_org_member dave@acme.com") {
		t.Errorf("dropping dave's last grant makes apply remove him from the organization (%v), but plan --base shows only %v", after.lines(), p.lines())
	}
}

// TestValidateOnlineNamesOffboardingProblems: validate --online runs the
// offboarding lookups too, and reports a failed one as an organization-wide
// problem, not as one of a team named "".
func TestValidateOnlineNamesOffboardingProblems(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "scenarios", "offboarding-lookup-fails")
	var spec scenarioSpec
	readYAML(t, filepath.Join(dir, "scenario.yaml"), &spec)
	seed, err := bksim.LoadState(filepath.Join(dir, "buildkite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, srv := bksimtest.Start(t, seed)
	h := newHarness(t, dir, srv.URL, spec.Faults)
	_, code := h.run("validate", "--online")
	stderr := h.stderr.String()
	if code != exitError || !strings.Contains(stderr, "mapping.yaml: offboarding: okta lookup failed for ") || strings.Contains(stderr, `team ""`) {
		t.Fatalf("validate --online: exit %d, stderr:\n%s", code, stderr)
	}
}
