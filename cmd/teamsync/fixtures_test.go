package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// webOktaMapping maps team web to Okta group Web; extra is appended to
// its teams list.
func webOktaMapping(extra string) string {
	return oktaMapping("", extra)
}

// oktaMapping is webOktaMapping with oktaKeys (lines indented by two
// spaces) added to its okta section.
func oktaMapping(oktaKeys, extra string) string {
	return `buildkite:
  organization: acme
  graphql_url: "{{buildkite_url}}"
okta:
  org_url: "{{okta_url}}"
` + oktaKeys + `teams:
  - slug: web
    groups:
      - okta: Web
` + extra
}

// oktaOffboarding is the offboarding section that judges the people of
// acme.com by Okta.
const oktaOffboarding = "offboarding:\n  source: okta\n  domains: [acme.com]\n"

// oktaWeb is an okta.yaml whose group Web holds alice, and which has users
// (flow mappings such as "{email: dave@acme.com, status: DEPROVISIONED}")
// besides.
func oktaWeb(users ...string) string {
	text := "groups:\n  - name: Web\n    users: [{email: alice@acme.com}]\n"
	if len(users) > 0 {
		text += "users:\n"
		for _, u := range users {
			text += "  - " + u + "\n"
		}
	}
	return text
}

// acmeWeb is organization acme with members and a team web whose one
// member is alice.
func acmeWeb(members ...bksim.Member) bksim.State {
	return bksim.State{Organization: "acme", Members: members,
		Teams: []bksim.Team{{Slug: "web", Members: []bksim.TeamMember{{Email: "alice@acme.com"}}}}}
}

// rootAlice is acmeWeb whose members are root (an administrator, the
// token's user), alice and members with the emails given.
func rootAlice(emails ...string) bksim.State {
	members := []bksim.Member{{Email: "root@acme.com", Role: "admin"}, {Email: "alice@acme.com"}}
	for _, e := range emails {
		members = append(members, bksim.Member{Email: e})
	}
	return acmeWeb(members...)
}

// fixtureDir writes files into a fresh fixture directory.
func fixtureDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		writeText(t, filepath.Join(dir, name), text)
	}
	return dir
}

// writeText writes text to path, failing t when it cannot.
func writeText(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// mappingAndBase returns the mapping h runs with (its placeholders filled
// in) and a path beside it for a base mapping, base.yaml.
func (h *harness) mappingAndBase() (rendered, base string) {
	h.t.Helper()
	text, err := os.ReadFile(h.config)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(text), filepath.Join(filepath.Dir(h.config), "base.yaml")
}

// startOffboard writes okta.yaml (unless okta is "") and mapping.yaml
// into a fresh directory, starts a Buildkite simulator holding st and
// returns it with a harness, with faults, for the directory.
func startOffboard(t *testing.T, okta, mapping string, st bksim.State, faults ...scenarioFault) (*bksim.Server, *harness) {
	t.Helper()
	return startOffboardWith(t, okta, mapping, st, bksim.Options{}, faults...)
}

// startOffboardWith is startOffboard with the simulator's options.
func startOffboardWith(t *testing.T, okta, mapping string, st bksim.State, opts bksim.Options, faults ...scenarioFault) (*bksim.Server, *harness) {
	t.Helper()
	files := map[string]string{"mapping.yaml": mapping}
	if okta != "" {
		files["okta.yaml"] = okta
	}
	dir := fixtureDir(t, files)
	sim, srv := bksimtest.StartWith(t, st, opts)
	return sim, newHarness(t, dir, srv.URL, faults)
}

// startWebOrg writes a scenario directory with mapping (and an Okta group
// Web holding alice) and starts a Buildkite simulator whose organization
// acme has alice and an empty team web. It returns the directory, the
// simulator and its URL.
func startWebOrg(t *testing.T, mapping string) (dir string, sim *bksim.Server, url string) {
	t.Helper()
	dir = fixtureDir(t, map[string]string{"okta.yaml": oktaWeb(), "mapping.yaml": mapping})
	sim, srv := bksimtest.Start(t, bksim.State{
		Organization: "acme",
		Members:      []bksim.Member{{Email: "alice@acme.com"}},
		Teams:        []bksim.Team{{Slug: "web"}},
	})
	return dir, sim, srv.URL
}

// loginMapping is webOktaMapping, offboarding by Okta, reading a person's
// email from the Okta attribute login (okta.user_email), which the
// fixtures that use it fill with addresses in another domain: a wrong
// okta.user_email.
var loginMapping = oktaMapping("  user_email: login\n", oktaOffboarding)
