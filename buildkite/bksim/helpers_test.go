package bksim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
)

// result is a decoded GraphQL response.
type result struct {
	Status int
	Header http.Header
	Raw    string
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message string `json:"message"`
		Path    []any  `json:"path"`
	} `json:"errors"`
}

// messages lists the error messages, for comparisons.
func (r result) messages() []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.Message)
	}
	return out
}

// gql posts a query with the test token and decodes the answer.
func gql(t testing.TB, url, query string, vars map[string]any) result {
	t.Helper()
	return gqlAs(t, url, "Bearer test-token", query, vars)
}

func gqlAs(t testing.TB, url, auth, query string, vars map[string]any) result {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	return send(t, http.MethodPost, url, auth, body)
}

func send(t testing.TB, method, url, auth string, body []byte) result {
	t.Helper()
	status, header, raw := rawSend(t, method, url, auth, body)
	r := result{Status: status, Header: header, Raw: raw}
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, raw)
	}
	return r
}

// rawSend makes one request and returns the status, headers and body as is.
// noRedirects shows a redirect as the answer it is.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func rawSend(t testing.TB, method, url, auth string, body []byte) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(raw)
}

// decode unmarshals the data into v and fails the test on GraphQL errors.
func (r result) decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %q", r.messages())
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data: %v: %s", err, r.Data)
	}
}

// seed builds an organization with n members m00@acme.com… and the given
// teams, each holding the first k members.
func seed(n int, teams map[string]int) bksim.State {
	st := bksim.State{Organization: "acme"}
	for i := range n {
		st.Members = append(st.Members, bksim.Member{Email: fmt.Sprintf("m%02d@acme.com", i), Name: fmt.Sprintf("Member %02d", i)})
	}
	for slug, k := range teams {
		t := bksim.Team{Slug: slug, Name: slug}
		for i := range k {
			t.Members = append(t.Members, bksim.TeamMember{Email: fmt.Sprintf("m%02d@acme.com", i)})
		}
		st.Teams = append(st.Teams, t)
	}
	return st
}

func mustLoad(t testing.TB, path string) bksim.State {
	t.Helper()
	st, err := bksim.LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func assertState(t testing.TB, got, want bksim.State) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("state:\n got %s\nwant %s", g, w)
	}
}

// ids looks up the GraphQL IDs tests feed to mutations.
type ids struct {
	Org   string
	Users map[string]string // email → User ID
	Teams map[string]string // slug → Team ID
	// TeamMembers maps "slug/email" → TeamMember ID.
	TeamMembers map[string]string
}

func lookupIDs(t testing.TB, url string) ids {
	t.Helper()
	var d struct {
		Organization struct {
			ID      string
			Members struct {
				Edges []struct {
					Node struct{ User struct{ ID, Email string } }
				}
			}
			Teams struct {
				Edges []struct {
					Node struct {
						ID, Slug string
						Members  struct {
							Edges []struct {
								Node struct {
									ID   string
									User struct{ Email string }
								}
							}
						}
					}
				}
			}
		}
	}
	gql(t, url, `{ organization(slug: "acme") { id
		members(first: 100, order: NAME) { edges { node { user { id email } } } }
		teams(first: 100) { edges { node { id slug members(first: 100) { edges { node { id user { email } } } } } } } } }`, nil).decode(t, &d)
	out := ids{Org: d.Organization.ID, Users: map[string]string{}, Teams: map[string]string{}, TeamMembers: map[string]string{}}
	for _, e := range d.Organization.Members.Edges {
		out.Users[e.Node.User.Email] = e.Node.User.ID
	}
	for _, e := range d.Organization.Teams.Edges {
		out.Teams[e.Node.Slug] = e.Node.ID
		for _, m := range e.Node.Members.Edges {
			out.TeamMembers[e.Node.Slug+"/"+m.Node.User.Email] = m.Node.ID
		}
	}
	return out
}
