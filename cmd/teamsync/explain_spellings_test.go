package main

import (
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
)

// TestExplainNonAdminTokenJudgesNobody: with a token whose user is not an administrator plan offboards nobody, and
// explain neither says the person is judged nor that apply removes them.
func TestExplainNonAdminTokenJudgesNobody(t *testing.T) {
	_, h := startOffboard(t, oktaWeb("{email: root@acme.com}", "{email: gone@acme.com, status: DEPROVISIONED}"),
		webOktaMapping(oktaOffboarding),
		acmeWeb([]bksim.Member{{Email: "root@acme.com"}, {Email: "alice@acme.com"}, {Email: "gone@acme.com"}}...))
	planOut, planCode := h.run("plan")
	planErr := h.stderr.String()
	if planCode != exitError || strings.Contains(string(planOut), "from the organization") {
		t.Fatalf("plan with a non-admin token: exit %d, want 1 and nobody removed:\n%s%s", planCode, planOut, planErr)
	}
	out, code := h.run("explain", "gone@acme.com")
	if code != 0 {
		t.Fatalf("explain: exit %d: %s", code, h.stderr.String())
	}
	if strings.Contains(string(out), "remove from the organization") || strings.Contains(string(out), "judged by okta") {
		t.Errorf("plan (exit %d) offboards nobody with a non-admin token:\n%s%s\nbut explain gone@acme.com says:\n%s", planCode, planOut, planErr, out)
	}
}

// TestExplainProtectedInviteeIsNeverJudged: a protected user with a pending
// invitation, deprovisioned in Okta, revoke_invitations on. plan never
// judges them (judged(): invitees exclude isProtected), but explain's
// offboardingOf checks only RevokeInvitations and Covers for an invitee and
// says "judged by okta (their pending invitation)".
func TestExplainProtectedInviteeIsNeverJudged(t *testing.T) {
	st := rootAlice()
	st.Invitations = []bksim.Invitation{{Email: "prot@acme.com"}}
	_, h := startOffboard(t, oktaWeb("{email: root@acme.com}", "{email: prot@acme.com, status: DEPROVISIONED}"),
		webOktaMapping("sync:\n  protected_users: [prot@acme.com]\n"+oktaOffboarding+"  revoke_invitations: true\n"), st)
	planOut, _ := h.run("plan", "--format", "json")
	if strings.Contains(string(planOut), "revoke_invitation") {
		t.Fatalf("plan revokes a protected invitee: %s", planOut)
	}
	out, code := h.run("explain", "prot@acme.com")
	if code != 0 {
		t.Fatalf("explain: exit %d: %s", code, h.stderr.String())
	}
	if strings.Contains(string(out), "judged by okta") {
		t.Errorf("plan never judges the protected invitee, but explain says:\n%s", out)
	}
}

// TestExplainMemberUnderOldSpelling: a member who joined under the spelling sync.email_domains rewrites away is
// found, judged and explained under that spelling, as plan removes them.
func TestExplainMemberUnderOldSpelling(t *testing.T) {
	_, h := startOffboard(t, oktaWeb("{email: root@acme.com}", "{email: bob@old.acme.com, status: DEPROVISIONED}"),
		webOktaMapping(`sync:
  email_domains:
    old.acme.com: acme.com
offboarding:
  source: okta
  domains: [acme.com, old.acme.com]
`), rootAlice("bob@old.acme.com"))
	planOut, _ := h.run("plan")
	if !strings.Contains(string(planOut), "remove bob@old.acme.com from the organization") {
		t.Fatalf("plan does not remove bob@old.acme.com:\n%s%s", planOut, h.stderr.String())
	}
	out, code := h.run("explain", "bob@old.acme.com")
	if code != 0 {
		t.Fatalf("explain: exit %d: %s", code, h.stderr.String())
	}
	if !strings.Contains(string(out), "remove from the organization") {
		t.Errorf("plan:\n%s\nexplain bob@old.acme.com:\n%s", planOut, out)
	}
}

// TestExplainKeepsTheCountsNoneGuard: a source that counts none of the people asked about (a wrong okta.user_email) holds
// the removal in explain as in plan: explain asks about a sample of members too.
func TestExplainKeepsTheCountsNoneGuard(t *testing.T) {
	_, h := startOffboard(t, `groups:
  - name: Web
    users: [{email: alice@acme.com, login: alice@acme-okta.example}]
users:
  - {email: root@acme.com, login: root@acme-okta.example}
  - {email: dave@acme.com, login: dave@acme-okta.example}
`, loginMapping, rootAlice("dave@acme.com"))
	planOut, _ := h.run("plan")
	if !strings.Contains(string(planOut), "counts none") {
		t.Fatalf("plan does not hold on the counts-none guard:\n%s", planOut)
	}
	out, _ := h.run("explain", "dave@acme.com")
	would, _, _ := strings.Cut(string(out), "Held back by guards")
	if strings.Contains(would, "remove_org_member   remove from the organization") || !strings.Contains(string(out), "unknown_person: okta counts none") {
		t.Errorf("plan holds every organization removal:\n%s\nbut explain dave@acme.com says apply removes him:\n%s", planOut, out)
	}
}
