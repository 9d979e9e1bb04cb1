package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// recorder is a second loopback server, where a pull request's mapping
// would send the credentials. It counts what reaches it.
func recorder(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("Authorization") != "" {
			t.Errorf("the recorder received a credential: %s %s", r.Method, r.URL.Path)
		}
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

const oktaSection = `okta:
  org_url: https://acme.okta.com
`

func TestPlanBaseRefusesConnectionChanges(t *testing.T) {
	rec, hits := recorder(t)
	for _, tc := range []struct {
		name string
		// base edits the base mapping (as written, with the simulator's
		// URL), pr the pull request's.
		base, pr func(string) string
		key      string
		line     int
	}{{
		name: "graphql_url",
		pr: func(m string) string {
			return strings.Replace(m, `graphql_url: "{{buildkite_url}}"`, `graphql_url: "`+rec.URL+`/graphql"`, 1)
		},
		key: "buildkite.graphql_url", line: 3,
	}, {
		name: "okta.org_url",
		base: func(m string) string { return oktaSection + m },
		pr:   func(m string) string { return "okta:\n  org_url: " + rec.URL + "\n" + m },
		key:  "okta.org_url", line: 2,
	}, {
		name: "okta section added",
		pr:   func(m string) string { return "okta:\n  org_url: " + rec.URL + "\n" + m },
		key:  "okta", line: 1,
	}, {
		name: "buildkite.token_env",
		pr: func(m string) string {
			return strings.Replace(m, "organization: acme\n", "organization: acme\n  token_env: OTHER_TOKEN\n", 1)
		},
		key: "buildkite.token_env", line: 3,
	}, {
		name: "buildkite.token_file",
		pr: func(m string) string {
			return strings.Replace(m, "organization: acme\n", "organization: acme\n  token_file: /etc/other-token\n", 1)
		},
		key: "buildkite.token_file", line: 3,
	}, {
		name: "organization",
		pr: func(m string) string {
			return strings.Replace(m, "organization: acme\n", "organization: other\n", 1)
		},
		key: "buildkite.organization", line: 2,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			sim, h, base := baseHarness(t, tc.pr)
			if tc.base != nil {
				raw, err := os.ReadFile(base)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(base, []byte(tc.base(string(raw))), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			h.env["OTHER_TOKEN"] = "other-token"
			h.env["OKTA_API_TOKEN"] = "okta-token"
			sim.ResetStats()
			hits.Store(0)
			out, code := h.run("plan", "--base", base, "--format", "json")
			if code != exitError {
				t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, h.stderr.String())
			}
			stderr := h.stderr.String()
			for _, want := range []string{
				"a pull request may not change where credentials are sent",
				"change it on the default branch first",
				h.config + ":" + strconv.Itoa(tc.line) + ": " + tc.key + ": ",
			} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if len(out) != 0 {
				t.Errorf("stdout: %s", out)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("the pull request's host received %d requests", n)
			}
			if st := sim.Stats(); st.Queries+st.Mutations != 0 {
				t.Errorf("Buildkite was called: %v", st.ByOperation)
			}
		})
	}
}

func TestPlanBaseUnchangedConnectionPlans(t *testing.T) {
	_, h, base := baseHarness(t, func(m string) string {
		return strings.Replace(m, "users: [carol@acme.com]", "users: [carol@acme.com, bob@acme.com]", 1)
	})
	if out, code := h.run("plan", "--base", base, "--detailed-exitcode"); code != exitChanges {
		t.Fatalf("exit %d, want 2\n%s\n%s", code, out, h.stderr.String())
	}
}
