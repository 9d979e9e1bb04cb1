package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
	"github.com/teamsync/teamsync/providers/google/googlesim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// TestRetryLinesNameTheAPIOnce: an IdP's retry line says which API it is
// about as the edge says it (api=) and the provider says it (provider=),
// each once, and nothing else.
func TestRetryLinesNameTheAPIOnce(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "scenarios", "okta-and-google")
	seed, err := bksim.LoadState(filepath.Join(dir, "buildkite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, bk := bksimtest.Start(t, seed)

	ost, err := oktasim.LoadState(filepath.Join(dir, "okta.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	osim := oktasim.New(ost, oktasim.Options{Token: scenarioOktaToken})
	id, _ := osim.GroupID("Platform Engineers")
	osim.Inject(oktasim.Fault{Path: "/api/v1/groups/" + id + "/users", Nth: 1, Status: http.StatusServiceUnavailable})
	osrv := httptest.NewServer(osim)
	t.Cleanup(osrv.Close)

	gst, err := googlesim.LoadState(filepath.Join(dir, "google.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	gsim, err := googlesim.New(gst, googlesim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gsim.Inject(googlesim.Fault{Path: "/admin/directory/v1/groups/platform-leads@acme.com/members", Times: 1, Status: http.StatusServiceUnavailable})
	gsrv := httptest.NewServer(gsim)
	t.Cleanup(gsrv.Close)
	key, err := gsim.WriteServiceAccountKey(t.TempDir(), gsrv.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(filepath.Join(dir, "mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	mapping := strings.NewReplacer("{{buildkite_url}}", bk.URL, "{{okta_url}}", osrv.URL,
		"{{google_endpoint}}", gsrv.URL+"/", "{{google_credentials}}", key).Replace(string(raw))
	h := &harness{t: t, config: filepath.Join(t.TempDir(), "mapping.yaml"),
		env: map[string]string{"BUILDKITE_API_TOKEN": "test-token", "OKTA_API_TOKEN": scenarioOktaToken}}
	if err := os.WriteFile(h.config, []byte(mapping), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, code := h.run("plan", "--format", "json"); code != 0 && code != 2 {
		t.Fatalf("plan exit = %d\nstderr:\n%s", code, h.stderr.String())
	}

	var retries []string
	for _, line := range strings.Split(h.stderr.String(), "\n") {
		if strings.Contains(line, "retrying request") {
			retries = append(retries, line)
		}
	}
	for _, api := range []string{"okta", "google"} {
		var found bool
		for _, line := range retries {
			if !strings.Contains(line, "api="+api) {
				continue
			}
			found = true
			if n := strings.Count(line, "provider="+api); n != 1 || strings.Contains(line, "source=") {
				t.Errorf("%s retry line has provider=%s %d times, or a source key:\n%s", api, api, n, line)
			}
		}
		if !found {
			t.Errorf("no %s retry line in\n%s", api, h.stderr.String())
		}
	}
}
