package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// TestOffboardPlusAndUppercaseEmails: an active Okta user whose
// email has a '+' (or whose Okta profile is upper-case) is found and kept;
// a '+' that reached Okta as a space would read "not found" and remove an
// active person.
func TestOffboardPlusAndUppercaseEmails(t *testing.T) {
	_, h := startOffboard(t, oktaWeb(
		"{email: bob+ci@acme.com}",
		"{email: Carol.Upper@ACME.com}",
		`{email: "o'neil@acme.com"}`,
		"{email: gone+x@acme.com, status: DEPROVISIONED}",
	), webOktaMapping(oktaOffboarding),
		rootAlice("bob+ci@acme.com", "carol.upper@acme.com", "o'neil@acme.com", "gone+x@acme.com"))
	out, code := h.run("plan", "--format", "json")
	p := decodePlan(t, out)
	// Only gone+x has left: root is the token's user, and alice, a member
	// of the Okta group Web, is an Okta user too.
	if want := []string{"remove_org_member gone+x@acme.com"}; !slices.Equal(p.lines(), want) {
		t.Errorf("plan: exit %d, changes %v, want %v\nheld %v\nerrors %v\nstderr %s", code, p.lines(), want, p.Held, p.Errors, h.stderr.String())
	}
	out, code = h.run("explain", "Bob+CI@ACME.com")
	if code != 0 || !strings.Contains(string(out), "okta") || strings.Contains(string(out), "not found") {
		t.Errorf("explain Bob+CI@ACME.com: exit %d\n%s\n%s", code, out, h.stderr.String())
	}
}

// TestExplainSaysWhyADepartedPersonStays: explain of a person
// the source says has left, but whom offboarding never judges (protected,
// an admin without include_admins, a bot, outside domains), shows "gone:
// the source says they have left" and "What apply would change: nothing"
// with no word of why: the question explain exists to answer ("why does
// this person still have access?") goes unanswered.
func TestExplainSaysWhyADepartedPersonStays(t *testing.T) {
	st := rootAlice("prot@acme.com")
	st.Members = append(st.Members, bksim.Member{Email: "boss@acme.com", Role: "admin"}, bksim.Member{Email: "robot@acme.com", Bot: true})
	_, h := startOffboard(t, oktaWeb(
		"{email: prot@acme.com, status: DEPROVISIONED}",
		"{email: boss@acme.com, status: DEPROVISIONED}",
		"{email: robot@acme.com, status: DEPROVISIONED}",
	), webOktaMapping("sync:\n  protected_users: [prot@acme.com]\n"+oktaOffboarding), st)
	for _, c := range []struct{ email, why string }{
		{"prot@acme.com", "protected"},
		{"boss@acme.com", "include_admins"},
		{"robot@acme.com", "bot"},
	} {
		out, code := h.run("explain", c.email)
		if code != 0 {
			t.Fatalf("explain %s: exit %d: %s", c.email, code, h.stderr.String())
		}
		if !strings.Contains(string(out), c.why) {
			t.Errorf("explain %s: the source says they have left and apply changes nothing, but explain never says why (%s):\n%s", c.email, c.why, out)
		}
	}
}

// TestGoogleOffboardOddLocalParts: users.get puts the email in
// the URL path; a '+', '/', '?', '#' or '%' in a local part (all valid in
// an address) must reach Google as that address, or an active user reads
// "not found" and is removed.
func TestGoogleOffboardOddLocalParts(t *testing.T) {
	dir := fixtureDir(t, map[string]string{
		"mapping.yaml": `buildkite:
  organization: acme
  graphql_url: "{{buildkite_url}}"
google:
  credentials_file: "{{google_credentials}}"
  subject: admin@acme.com
  endpoint: "{{google_endpoint}}"
offboarding:
  source: google
  domains: [acme.com]
teams:
  - slug: web
    groups:
      - google: web@acme.com
`,
		"google.yaml": `groups:
  - email: web@acme.com
    members:
      - {email: alice@acme.com}
users:
  - {email: root@acme.com}
  - {email: alice@acme.com}
  - {email: bob+ci@acme.com}
  - {email: o'neil@acme.com}
  - {email: "x/y@acme.com"}
  - {email: "q?r@acme.com"}
  - {email: "h#sh@acme.com"}
  - {email: "pct%41@acme.com"}
`,
	})
	_, srv := bksimtest.Start(t, rootAlice("bob+ci@acme.com", "o'neil@acme.com", "x/y@acme.com", "q?r@acme.com", "h#sh@acme.com", "pct%41@acme.com"))
	h := newHarness(t, dir, srv.URL, nil)
	out, code := h.run("plan", "--format", "json")
	p := decodePlan(t, out)
	if len(p.Changes) != 0 || len(p.Held) != 0 {
		t.Errorf("plan: exit %d, changes %v, held %v, errors %v\n%s", code, p.lines(), p.Held, p.Errors, h.stderr.String())
	}
}
