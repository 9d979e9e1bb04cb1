package buildkite

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/sync/model"
)

// Real answers of the simulator: the first page of a team (a bot and a
// person, more to come), a later page of the same team, a missing team.
const (
	seedBatch   = `{"data":{"t0":{"id":"VGVhbS0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxNA==","name":"Platform","members":{"pageInfo":{"hasNextPage":false,"endCursor":"YmtzaW06MjE0NzQ4MzYyOQ=="},"edges":[{"node":{"id":"VGVhbU1lbWJlci0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxOQ==","role":"MEMBER","user":{"id":"VXNlci0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxMg==","email":"bot@buildkite.com","bot":true}}},{"node":{"id":"VGVhbU1lbWJlci0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxOA==","role":"MEMBER","user":{"id":"VXNlci0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwOA==","email":"dave@acme.com","bot":false}}}]}}}}`
	seedPaged   = `{"data":{"t0":{"id":"VGVhbS0tLTE=","name":"Platform","members":{"pageInfo":{"hasNextPage":true,"endCursor":"YmtzaW06MjE0NzQ4MzYyOQ=="},"edges":[{"node":{"id":"VGVhbU1lbWJlci0tLTE=","role":"MAINTAINER","user":{"id":"VXNlci0tLTE=","email":"Alice@Acme.com","bot":false}}}]}},"team":{"members":{"pageInfo":{"hasNextPage":false,"endCursor":"YmtzaW06Mg=="},"edges":[{"node":{"id":"VGVhbU1lbWJlci0tLTI=","role":"MEMBER","user":{"id":"VXNlci0tLTI=","email":"bob@acme.com","bot":false}}},{"node":{"id":"VGVhbU1lbWJlci0tLTM=","role":"MEMBER","user":{"id":"VXNlci0tLTM=","email":"alice@acme.com","bot":false}}}]}}}}`
	seedMissing = `{"data":{"t0":null}}`
)

// FuzzDecodeTeamRead: whatever Buildkite answers, reading a team gives
// exactly the members the answer lists, or an error (for the whole read or
// for the team), or, for team: null, a team that does not exist. Never a
// team with fewer members than its answer holds. The answer is given to
// every request of the read, so a team with a second page reads it from
// the "team" field of the same body.
//
// The listing is what encoding/json finds at data.t0.members.edges[].node
// (and data.team.members… for a second page): every user that is not a
// bot, by normalised email, the first of two that share one. A membership
// whose user is null or absent is not listed: Buildkite shows no user
// there, so there is no one to match.
func FuzzDecodeTeamRead(f *testing.F) {
	for _, s := range []string{
		seedBatch, seedPaged, seedMissing,
		``, `null`, `[]`, `{}`, `{"data":null}`, `{"data":{}}`,
		`{"data":{"t0":{"id":"T","members":null}}}`,
		`{"data":{"t0":{"id":"T","members":{"pageInfo":{"hasNextPage":false},"edges":null}}}}`,
		`{"data":{"t0":{"id":"T","members":{"pageInfo":{"hasNextPage":false},"edges":[null]}}}}`,
		`{"data":{"t0":{"id":"T","members":{"edges":[]}}}}`,
		`{"data":{"t0":{"id":"T","members":{"pageInfo":{"hasNextPage":false},"edges":[{"node":{"id":"M","role":"OWNER","user":{"id":"U","email":"a@b.c"}}}]}}}}`,
		`{"data":{"t0":null},"errors":[{"message":"No team found","path":["t0"]}]}`,
		`{"data":{"t0":{"id":"T","members":{"pageInfo":{"hasNextPage":false},"edges":[]}}},"errors":[{"message":"boom","path":["t0","members"]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := New(Config{
			URL: "http://127.0.0.1/graphql", Organization: "acme", Token: "fuzz-token", MaxRetries: -1, PageSize: 2,
			HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
			})},
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.readTeams(context.Background(), []string{"a"})
		if err != nil || res.errs["a"] != nil {
			return // refused: always allowed
		}
		want, exists, ok := listing(body)
		if !ok {
			t.Fatalf("read %+v from an answer whose members cannot be listed:\n%s", res.teams, body)
		}
		team, found := res.teams["a"]
		if found != exists {
			t.Fatalf("team found = %v, but the answer says exists = %v:\n%s", found, exists, body)
		}
		got := map[string]model.Role{}
		for email, m := range team.Members {
			if m.Email != email || m.ID == "" || m.UserID == "" {
				t.Fatalf("member %q read as %+v:\n%s", email, m, body)
			}
			got[email] = m.Role
		}
		if !maps.Equal(got, want) {
			t.Fatalf("members %v, the answer lists %v:\n%s", got, want, body)
		}
	})
}

// fuzzMembers is a members connection as encoding/json finds it.
type fuzzMembers struct {
	PageInfo *struct {
		HasNextPage bool    `json:"hasNextPage"`
		EndCursor   *string `json:"endCursor"`
	} `json:"pageInfo"`
	Edges []*struct {
		Node *struct {
			Role string `json:"role"`
			User *struct {
				Email string `json:"email"`
				Bot   bool   `json:"bot"`
			} `json:"user"`
		} `json:"node"`
	} `json:"edges"`
}

// listing is FuzzDecodeTeamRead's oracle: the members body lists for team
// t0 (email → role), whether it says the team exists, and whether it can
// be read that far at all.
func listing(body []byte) (members map[string]model.Role, exists, ok bool) {
	var env struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
			Path    []any  `json:"path"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &env) != nil {
		return nil, false, false
	}
	raw := env.Data["t0"]
	if len(raw) == 0 || string(raw) == "null" {
		// The team does not exist if the answer says so: t0 is null, or
		// an error at t0 says it was not found.
		if string(raw) == "null" && len(env.Errors) == 0 {
			return nil, false, true
		}
		for _, e := range env.Errors {
			if len(e.Path) > 0 && e.Path[0] == "t0" && classify(e.Message) == model.ErrNotFound {
				return nil, false, true
			}
		}
		return nil, false, false
	}
	if len(env.Errors) > 0 {
		return nil, false, false // an error about an existing team fails it
	}
	// A second page is read with TeamMembersPage, whose team field
	// encoding/json finds as it finds struct fields: in any case.
	var next struct {
		Data struct {
			Team json.RawMessage `json:"team"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &next)
	members = map[string]model.Role{}
	pages := []json.RawMessage{raw, next.Data.Team}
	for i, page := range pages {
		var team struct {
			Members *fuzzMembers `json:"members"`
		}
		if len(page) == 0 || json.Unmarshal(page, &team) != nil || team.Members == nil || team.Members.PageInfo == nil || team.Members.Edges == nil {
			return nil, false, false
		}
		for _, e := range team.Members.Edges {
			if e == nil || e.Node == nil {
				return nil, false, false
			}
			u := e.Node.User
			if u == nil || u.Bot {
				continue
			}
			email := model.NormalizeEmail(u.Email)
			if email == "" {
				return nil, false, false
			}
			if _, dup := members[email]; !dup {
				members[email] = model.Role(strings.ToLower(e.Node.Role))
			}
		}
		p := team.Members.PageInfo
		if !p.HasNextPage {
			return members, true, true
		}
		if i == len(pages)-1 || p.EndCursor == nil || *p.EndCursor == "" {
			return nil, false, false // a page after the last the body holds
		}
	}
	return nil, false, false
}
