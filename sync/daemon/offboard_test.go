package daemon

import (
	"slices"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// orgMembers lists the simulated organization's members.
func (h *harness) orgMembers() []string {
	var out []string
	for _, m := range h.bk.State().Members {
		out = append(out, m.Email)
	}
	return out
}

// TestServeOffboardsOnItsOwnCadence: the first run judges the whole
// organization and removes who has left; later scheduled runs do not,
// until offboarding.every has passed, when the next run does.
func TestServeOffboardsOnItsOwnCadence(t *testing.T) {
	h := start(t, harnessOpts{
		bk: bksim.State{Organization: "acme",
			Members: []bksim.Member{{Email: "root@acme.com", Role: bksim.RoleAdmin}, {Email: "alice@acme.com"}, {Email: "gone@acme.com"}, {Email: "later@acme.com"}},
			Teams:   []bksim.Team{{Slug: "web", Members: []bksim.TeamMember{{Email: "alice@acme.com"}}}},
		},
		okta: oktasim.State{Groups: []oktasim.Group{
			oktaGroup("Web", "alice@acme.com"),
			{Name: "Alumni", Users: []oktasim.User{{Email: "gone@acme.com", Status: "DEPROVISIONED"}, {Email: "later@acme.com"}, {Email: "root@acme.com"}}},
		}},
		noRun: true,
	})
	h.writeMapping(h.offboardMapping(webTeam, "1h"))
	h.run(0)
	h.waitRuns(1)
	if got, want := h.orgMembers(), []string{"alice@acme.com", "later@acme.com", "root@acme.com"}; !slices.Equal(got, want) {
		t.Fatalf("after the first run the organization is %v, want %v", got, want)
	}

	if err := h.okta.SetGroupUsers("Alumni", []oktasim.User{{Email: "later@acme.com", Status: "SUSPENDED"}, {Email: "root@acme.com"}}); err != nil {
		t.Fatal(err)
	}
	h.tick(time.Minute)
	h.waitRuns(2)
	if got := h.orgMembers(); !slices.Contains(got, "later@acme.com") {
		t.Fatalf("a scheduled run within offboarding.every removed later@acme.com: %v", got)
	}

	h.tick(time.Hour)
	h.waitRuns(3)
	if got, want := h.orgMembers(), []string{"alice@acme.com", "root@acme.com"}; !slices.Equal(got, want) {
		t.Fatalf("once offboarding.every had passed the organization is %v, want %v", got, want)
	}
	var audited []string
	for _, l := range h.changeLines("") {
		audited = append(audited, l.Trigger+" "+l.Action+" "+l.Email+": "+l.Reason+" "+l.Status)
	}
	want := []string{
		"startup remove_org_member gone@acme.com: deprovisioned in okta applied",
		"cron remove_org_member later@acme.com: suspended in okta applied",
	}
	if !slices.Equal(audited, want) {
		t.Fatalf("audit change lines:\n got %q\nwant %q", audited, want)
	}
}

// startGoneOrg is a daemon, not yet running, over an organization of
// three: root (an admin, the token's user), alice (in team web, fed by
// the Okta group Web) and gone@acme.com, DEPROVISIONED in Okta.
func startGoneOrg(t *testing.T) *harness {
	t.Helper()
	return start(t, goneOrg(webAlice()))
}

// goneOrg is the options of a daemon, not yet running, over an
// organization of three, in teams: root (an admin, the token's user),
// alice (in the Okta group Web) and gone@acme.com, DEPROVISIONED in Okta.
func goneOrg(teams ...bksim.Team) harnessOpts {
	return harnessOpts{
		bk: bksim.State{Organization: "acme",
			Members: []bksim.Member{{Email: "root@acme.com", Role: bksim.RoleAdmin}, {Email: "alice@acme.com"}, {Email: "gone@acme.com"}},
			Teams:   teams,
		},
		okta: oktasim.State{Groups: []oktasim.Group{
			oktaGroup("Web", "alice@acme.com"),
			{Name: "Alumni", Users: []oktasim.User{{Email: "gone@acme.com", Status: "DEPROVISIONED"}, {Email: "root@acme.com"}}},
		}},
		noRun: true,
	}
}

// webAlice is team web with alice as its one member.
func webAlice() bksim.Team {
	return bksim.Team{Slug: "web", Members: []bksim.TeamMember{{Email: "alice@acme.com"}}}
}

// webTeam is a mapping's team web, fed by the Okta group Web.
const webTeam = "  - slug: web\n    groups:\n      - okta: Web\n"

// offboardMapping is a mapping of teams, run every minute, that offboards
// the people of acme.com by Okta, judging every `every` ("" for the
// default).
func (h *harness) offboardMapping(teams, every string) string {
	m := h.mappingFile("@every 1m", teams) + "offboarding:\n  source: okta\n  domains: [acme.com]\n"
	if every != "" {
		m += "  every: " + every + "\n"
	}
	return m
}
