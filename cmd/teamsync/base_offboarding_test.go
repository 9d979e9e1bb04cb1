package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
)

// TestPlanBaseShowsOffboarding: a change that turns offboarding on touches
// no team, yet plan --base must show whom it would remove from the
// organization, as this change; the same offboarding in both mappings is
// already pending and is not planned.
func TestPlanBaseShowsOffboarding(t *testing.T) {
	st := acmeWeb([]bksim.Member{{Email: "alice@acme.com", Role: "admin"}, {Email: "bob@acme.com"}, {Email: "dave@acme.com"}}...)
	st.Teams[0].Members = append(st.Teams[0].Members, bksim.TeamMember{Email: "bob@acme.com"})
	sim, h := startOffboard(t, `groups:
  - name: Web
    users: [{email: alice@acme.com}, {email: bob@acme.com}]
  - name: Alumni
    users: [{email: dave@acme.com, status: DEPROVISIONED}]
`, webOktaMapping(oktaOffboarding), st)
	rendered, base := h.mappingAndBase()
	writeText(t, base, strings.Replace(rendered, oktaOffboarding, "", 1))

	out, code := h.run("plan", "--base", base, "--format", "json")
	if code != 0 {
		t.Fatalf("plan --base exit %d\nstderr:\n%s", code, h.stderr.String())
	}
	var p struct {
		Changes []map[string]string `json:"changes"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := []map[string]string{{"action": "remove_org_member", "email": "dave@acme.com", "reason": "deprovisioned in okta", "scope": "change"}}
	if !reflect.DeepEqual(p.Changes, want) {
		t.Fatalf("changes = %v, want %v", p.Changes, want)
	}

	// The same offboarding on both sides: nothing this change does.
	writeText(t, base, rendered)
	out, code = h.run("plan", "--base", base)
	if code != 0 || string(out) != MsgNothingTouched+"\n" {
		t.Fatalf("plan --base against itself: exit %d, output %q", code, out)
	}

	// Offboarding on both sides, but the base still grants dave a team:
	// the change that drops that grant is what removes him.
	writeText(t, base, strings.Replace(rendered, "      - okta: Web\n", "      - okta: Web\n      - users: [dave@acme.com]\n", 1))
	out, code = h.run("plan", "--base", base, "--format", "json")
	if code != 0 {
		t.Fatalf("plan --base exit %d\nstderr:\n%s", code, h.stderr.String())
	}
	p.Changes = nil
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(p.Changes, want) {
		t.Fatalf("dropping dave's last grant: changes = %v, want %v", p.Changes, want)
	}
	if st := sim.Stats(); st.Mutations != 0 {
		t.Fatalf("plan --base sent %d mutations", st.Mutations)
	}
}
