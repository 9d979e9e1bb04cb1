package bksim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// outcome is what a test sees of one response.
type outcome struct {
	Status int
	Body   string
}

func TestFaults(t *testing.T) {
	const (
		orgQuery  = `{ organization(slug: "acme") { slug } }`
		teamQuery = `{ team(slug: "acme/platform") { slug } }`
	)
	tests := []struct {
		name    string
		fault   bksim.Fault
		queries []string
		want    []outcome
		faults  int
	}{
		{
			name:    "500 after one, twice",
			fault:   bksim.Fault{Field: "organization", After: 1, Times: 2, Status: 500},
			queries: []string{orgQuery, orgQuery, teamQuery, orgQuery, orgQuery},
			want: []outcome{
				{200, `{"data":{"organization":{"slug":"acme"}}}`},
				{500, `{"errors":[{"message":"Internal Server Error"}]}`},
				{200, `{"data":{"team":{"slug":"platform"}}}`},
				{500, `{"errors":[{"message":"Internal Server Error"}]}`},
				{200, `{"data":{"organization":{"slug":"acme"}}}`},
			},
			faults: 2,
		},
		{
			name:    "any request, custom message",
			fault:   bksim.Fault{Status: 502, Message: "upstream went away"},
			queries: []string{teamQuery, teamQuery},
			want: []outcome{
				{502, `{"errors":[{"message":"upstream went away"}]}`},
				{200, `{"data":{"team":{"slug":"platform"}}}`},
			},
			faults: 1,
		},
		{
			name:    "raw HTML body",
			fault:   bksim.Fault{Status: 503, Body: "<html><body>Service Unavailable</body></html>"},
			queries: []string{orgQuery},
			want:    []outcome{{503, `<html><body>Service Unavailable</body></html>`}},
			faults:  1,
		},
		{
			name:    "malformed JSON with 200",
			fault:   bksim.Fault{Body: `{"data": {"organization": `},
			queries: []string{orgQuery},
			want:    []outcome{{200, `{"data": {"organization": `}},
			faults:  1,
		},
		{
			name:    "200 with the transient busy error for the whole request",
			fault:   bksim.Fault{},
			queries: []string{orgQuery},
			want:    []outcome{{200, `{"data":null,"errors":[{"message":"Buildkite is currently busy, please try again."}]}`}},
			faults:  1,
		},
		{
			name:    "zero-length body",
			fault:   bksim.Fault{Empty: true},
			queries: []string{orgQuery},
			want:    []outcome{{200, ``}},
			faults:  1,
		},
		{
			name:    "200 null",
			fault:   bksim.Fault{Body: `null`},
			queries: []string{orgQuery},
			want:    []outcome{{200, `null`}},
			faults:  1,
		},
		{
			name:    "an error that echoes the Authorization header",
			fault:   bksim.Fault{Status: 401, EchoAuthorization: true},
			queries: []string{orgQuery},
			want:    []outcome{{401, `{"errors":[{"message":"Unauthorized (Authorization: Bearer test-token)"}]}`}},
			faults:  1,
		},
		{
			name:    "a redirect to another host",
			fault:   bksim.Fault{Field: "organization", Location: "https://elsewhere.example/v1"},
			queries: []string{orgQuery},
			want:    []outcome{{307, ``}},
			faults:  1,
		},
		{
			name:    "200 with an error on the named field only",
			fault:   bksim.Fault{Field: "team", Message: "Team is currently busy, please try again."},
			queries: []string{`{ organization(slug: "acme") { slug } t1: team(slug: "acme/platform") { slug } }`},
			want: []outcome{{200, `{"data":{"organization":{"slug":"acme"},"t1":null},` +
				`"errors":[{"message":"Team is currently busy, please try again.","locations":[{"line":1,"column":39}],"path":["t1"]}]}`}},
			faults: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, hs := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
			srv.Inject(tt.fault)
			var got []outcome
			for _, q := range tt.queries {
				body, _ := json.Marshal(map[string]any{"query": q})
				status, _, raw := rawSend(t, http.MethodPost, hs.URL, "Bearer test-token", body)
				got = append(got, outcome{status, strings.TrimSuffix(raw, "\n")})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%v\nwant\n%v", got, tt.want)
			}
			if got := srv.Stats().Faults; got != tt.faults {
				t.Errorf("Stats.Faults = %d, want %d", got, tt.faults)
			}
		})
	}
}

func TestRateLimitFault(t *testing.T) {
	srv, hs := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
	srv.Inject(bksim.Fault{Field: "teamMemberCreate", Status: 429, RetryAfter: 7})
	id := lookupIDs(t, hs.URL)
	add := fmt.Sprintf(`mutation { teamMemberCreate(input: {teamID: %q, userID: %q, role: MEMBER}) { teamMemberEdge { node { role } } } }`, id.Teams["mobile"], id.Users["dave@acme.com"])
	r := gql(t, hs.URL, add, nil)
	if r.Status != 429 || r.Header.Get("RateLimit-Reset") != "7" || r.Header.Get("RateLimit-Remaining") != "0" {
		t.Errorf("got %d reset %q remaining %q, want 429, 7, 0", r.Status, r.Header.Get("RateLimit-Reset"), r.Header.Get("RateLimit-Remaining"))
	}
	if got, want := r.messages(), []string{"Your organization has exceeded the limit of 20000 complexity points. Please try again in 7 seconds."}; !slices.Equal(got, want) {
		t.Errorf("errors %q, want %q", got, want)
	}
	if st := srv.State(); len(teamOf(&st, "mobile").Members) != 1 {
		t.Errorf("a refused write took effect: %+v", teamOf(&st, "mobile").Members)
	}
	r = gql(t, hs.URL, add, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("retry: %q", r.messages())
	}
	if st := srv.State(); len(teamOf(&st, "mobile").Members) != 2 {
		t.Errorf("the retry did not add: %+v", teamOf(&st, "mobile").Members)
	}
}

// AfterExecute loses the response of a write that happened, so the retry
// meets the "already been added" error a client must treat as done.
func TestFaultAfterExecute(t *testing.T) {
	srv, hs := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
	srv.Inject(bksim.Fault{Field: "teamMemberCreate", Status: 502, AfterExecute: true})
	id := lookupIDs(t, hs.URL)
	add := fmt.Sprintf(`mutation { teamMemberCreate(input: {teamID: %q, userID: %q, role: MEMBER}) { teamMemberEdge { node { role } } } }`, id.Teams["mobile"], id.Users["dave@acme.com"])
	if r := gql(t, hs.URL, add, nil); r.Status != 502 {
		t.Fatalf("status %d, want 502", r.Status)
	}
	r := gql(t, hs.URL, add, nil)
	if got, want := r.messages(), []string{"User has already been added to this team"}; !slices.Equal(got, want) {
		t.Errorf("retry errors %q, want %q", got, want)
	}
	st := srv.State()
	if got, want := teamOf(&st, "mobile").Members, []bksim.TeamMember{{Email: "carol@acme.com", Role: "member"}, {Email: "dave@acme.com", Role: "member"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("mobile members %+v, want %+v", got, want)
	}
}

// A stall holds one answer back until the client gives up, without
// holding up other requests; with AfterExecute the write has happened.
func TestFaultStall(t *testing.T) {
	srv, hs := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
	id := lookupIDs(t, hs.URL)
	srv.Inject(bksim.Fault{Field: "teamMemberCreate", Status: 502, AfterExecute: true, Stall: time.Minute})
	add := fmt.Sprintf(`mutation { teamMemberCreate(input: {teamID: %q, userID: %q, role: MEMBER}) { teamMemberEdge { node { role } } } }`, id.Teams["mobile"], id.Users["dave@acme.com"])
	body, _ := json.Marshal(map[string]any{"query": add})

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, hs.URL, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer test-token")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	// While the write stalls, a read is answered at once.
	time.Sleep(50 * time.Millisecond)
	if r := gql(t, hs.URL, `{ organization(slug: "acme") { slug } }`, nil); r.Status != 200 || len(r.Errors) > 0 {
		t.Errorf("a read during the stall: %d %q", r.Status, r.messages())
	}
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the stalled request ended with %v, want the client's deadline", err)
	}
	st := srv.State()
	if got := teamOf(&st, "mobile").Members; len(got) != 2 {
		t.Errorf("the stalled write did not take effect: %+v", got)
	}
}
