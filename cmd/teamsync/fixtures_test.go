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
	return `buildkite:
  organization: acme
  graphql_url: "{{buildkite_url}}"
okta:
  org_url: "{{okta_url}}"
teams:
  - slug: web
    groups:
      - okta: Web
` + extra
}

// startWebOrg writes a scenario directory with mapping (and an Okta group
// Web holding alice) and starts a Buildkite simulator whose organization
// acme has alice and an empty team web. It returns the directory, the
// simulator and its URL.
func startWebOrg(t *testing.T, mapping string) (dir string, sim *bksim.Server, url string) {
	t.Helper()
	dir = t.TempDir()
	for name, text := range map[string]string{
		"okta.yaml":    "groups:\n  - name: Web\n    users:\n      - {email: alice@acme.com}\n",
		"mapping.yaml": mapping,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sim, srv := bksimtest.Start(t, bksim.State{
		Organization: "acme",
		Members:      []bksim.Member{{Email: "alice@acme.com"}},
		Teams:        []bksim.Team{{Slug: "web"}},
	})
	return dir, sim, srv.URL
}
