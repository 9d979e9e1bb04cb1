package buildkite

import (
	"context"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
)

// TestMalformedTeamReads: an answer to the teams query that is not what
// was asked for fails the read, or the teams it concerns, and never reads
// as an empty or missing team. ReadOrg asks for the managed teams sorted:
// t0 empty, t1 ghost, t2 mobile, t3 platform.
func TestMalformedTeamReads(t *testing.T) {
	const (
		page    = `"pageInfo":{"hasNextPage":false,"endCursor":null}`
		alice   = `{"node":{"id":"tm-1","role":"MEMBER","user":{"id":"u-1","email":"alice@acme.com","bot":false}}}`
		missing = `"t1":null,"t2":null,"t3":null`
	)
	tests := []struct {
		name  string
		fault bksim.Fault
		whole string // the whole read's error; "" when the teams fail one by one
	}{
		{name: "200 null", fault: bksim.Fault{Body: `null`},
			whole: "TeamsBatch: malformed answer: HTTP 200 with a body that is not a JSON object (gave up after 4 attempts)"},
		{name: "zero-length 200", fault: bksim.Fault{Empty: true},
			whole: "TeamsBatch: malformed answer: HTTP 200 with an empty body (gave up after 4 attempts)"},
		{name: "data null without errors", fault: bksim.Fault{Body: `{"data":null}`},
			whole: "TeamsBatch: malformed answer: HTTP 200 with neither data nor errors (gave up after 4 attempts)"},
		{name: "neither data nor errors", fault: bksim.Fault{Body: `{"extensions":{}}`},
			whole: "TeamsBatch: malformed answer: HTTP 200 with neither data nor errors (gave up after 4 attempts)"},
		{name: "data not an object", fault: bksim.Fault{Body: `{"data":[]}`},
			whole: "TeamsBatch: malformed answer: HTTP 200 with data that is not a JSON object (gave up after 4 attempts)"},
		{name: "truncated JSON", fault: bksim.Fault{Body: `{"data":{"t0":`},
			whole: "TeamsBatch: malformed answer: HTTP 200 with a body that is not a GraphQL answer: unexpected end of JSON input (gave up after 4 attempts)"},
		{name: "a team that is not an object", fault: bksim.Fault{Body: `{"data":{"t0":5,` + missing + `}}`},
			whole: "TeamsBatch: malformed answer: data: json: cannot unmarshal number into Go struct field graphResponse.Data of type buildkite.teamNode"},
		{name: "members null", fault: bksim.Fault{Body: `{"data":{"t0":{"id":"T","name":"E","members":null},"t1":{"id":"T1","name":"G","members":null},"t2":{"id":"T2","name":"M","members":null},"t3":{"id":"T3","name":"P","members":null}}}`}},
		{name: "edges null", fault: bksim.Fault{Body: `{"data":{"t0":{"id":"T","name":"E","members":{` + page + `,"edges":null}},"t1":{"id":"T1","name":"G","members":{` + page + `,"edges":null}},"t2":{"id":"T2","name":"M","members":{` + page + `}},"t3":{"id":"T3","name":"P","members":{` + page + `,"edges":null}}}}`}},
		{name: "no pageInfo", fault: bksim.Fault{Body: `{"data":{"t0":{"id":"T","name":"E","members":{"edges":[` + alice + `]}},"t1":{"id":"T1","members":{"edges":[]}},"t2":{"id":"T2","members":{"edges":[]}},"t3":{"id":"T3","members":{"edges":[]}}}}`}},
		{name: "a membership without a node", fault: bksim.Fault{Body: `{"data":{"t0":{"id":"T","members":{` + page + `,"edges":[null]}},"t1":{"id":"T1","members":{` + page + `,"edges":[{"node":null}]}},"t2":{"id":"T2","members":{` + page + `,"edges":[{}]}},"t3":{"id":"T3","members":{` + page + `,"edges":[{"node":{"id":"tm","role":"MEMBER","user":{"id":"u","email":""}}}]}}}}`}},
		{name: "a role teamsync does not know", fault: bksim.Fault{Body: `{"data":{"t0":{"id":"T","members":{` + page + `,"edges":[{"node":{"id":"tm","role":"OWNER","user":{"id":"u","email":"a@acme.com"}}}]}},"t1":{"id":"T1","members":{` + page + `,"edges":[{"node":{"id":"tm","user":{"id":"u","email":"a@acme.com"}}}]}},"t2":{"id":"","members":{` + page + `,"edges":[]}}}}`}},
		{name: "teams left out of the answer", fault: bksim.Fault{Body: `{"data":{}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := startSim(t, readSeed())
			tt.fault.Field, tt.fault.Times = "team", 100
			srv.Inject(tt.fault)
			tc := simClient(t, ts.URL, 0, nil)
			org, err := tc.ReadOrg(context.Background(), []string{"empty", "ghost", "mobile", "platform"})
			noToken(t, err, tc)
			if tt.whole != "" {
				if want := "buildkite: read teams: " + tt.whole; errText(err) != want {
					t.Fatalf("error %q\nwant  %q", errText(err), want)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v, want the teams to fail one by one", err)
			}
			for _, slug := range []string{"empty", "ghost", "mobile", "platform"} {
				if _, ok := org.Teams[slug]; ok {
					t.Errorf("team %s read as %+v from a malformed answer", slug, org.Teams[slug])
				}
				if e := org.TeamErrors[slug]; !strings.Contains(errText(e), "malformed answer") {
					t.Errorf("team %s: error %v, want a malformed answer", slug, e)
				}
			}
		})
	}
}

// TestMissingTeamIsNotAnError: team: null is Buildkite saying the team
// does not exist, which the planner needs to know (create, or report).
func TestMissingTeamIsNotAnError(t *testing.T) {
	srv, ts := startSim(t, readSeed())
	srv.Inject(bksim.Fault{Field: "team", Body: `{"data":{"t0":null}}`})
	tc := simClient(t, ts.URL, 0, nil)
	org, err := tc.ReadOrg(context.Background(), []string{"platform"})
	if err != nil || len(org.Teams) != 0 || len(org.TeamErrors) != 0 {
		t.Fatalf("ReadOrg = %+v, %v; want platform missing, no error", org, err)
	}
}

// TestMalformedInvitations: a pending invitation that cannot be read must
// not read as no invitation, or the person would be invited twice.
func TestMalformedInvitations(t *testing.T) {
	const page = `"pageInfo":{"hasNextPage":false,"endCursor":null}`
	tests := []struct {
		name, body, want string
	}{
		{"edges null", `{"data":{"organization":{"id":"O","invitations":{` + page + `,"edges":null}}}}`,
			"malformed answer: invitations are not a connection"},
		{"invitations null", `{"data":{"organization":{"id":"O","invitations":null}}}`,
			"malformed answer: invitations are not a connection"},
		{"an invitation without an email", `{"data":{"organization":{"id":"O","invitations":{` + page + `,"edges":[{"node":{"id":"I","state":"PENDING","teams":{"edges":[]}}}]}}}}`,
			"malformed answer: an invitation without an ID, email or state"},
		{"a pending invitation without teams", `{"data":{"organization":{"id":"O","invitations":{` + page + `,"edges":[{"node":{"id":"I","email":"a@acme.com","state":"PENDING","teams":null}}]}}}}`,
			"malformed answer: a pending invitation whose teams are not a connection"},
		{"no organization ID", `{"data":{"organization":{"invitations":{` + page + `,"edges":[]}}}}`,
			"malformed answer: the organization has no ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := startSim(t, readSeed())
			srv.Inject(bksim.Fault{Field: "organization", Body: tt.body})
			tc := simClient(t, ts.URL, 0, nil)
			_, err := tc.ReadOrg(context.Background(), nil)
			if want := "buildkite: read invitations (page 1): " + tt.want; errText(err) != want {
				t.Errorf("error %q\nwant  %q", errText(err), want)
			}
		})
	}
}
