package buildkite

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/sync/model"
)

func TestLookupMembers(t *testing.T) {
	srv, ts := startSim(t, readSeed())
	tc := simClient(t, ts.URL, 0, nil)
	ctx := context.Background()
	all, err := tc.listMembers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetStats()

	got, err := tc.LookupMembers(ctx, []string{
		"alice@acme.com", "bob@acme.com", "carol@acme.com", "alice@acme.com", // repeats
		"zed@acme.com",      // not in the organization
		"bot@buildkite.com", // a bot
		"gina@acme.com",     // invited, not yet a member
	})
	if err != nil {
		t.Fatal(err)
	}
	// Each found member is exactly what the full list says of them,
	// OrganizationMember ID and name included.
	want := map[string]model.Member{
		"alice@acme.com": all["alice@acme.com"],
		"bob@acme.com":   all["bob@acme.com"],
		"carol@acme.com": all["carol@acme.com"],
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LookupMembers =\n%+v\nwant\n%+v", got, want)
	}
	if bob := got["bob@acme.com"]; bob.Email != "bob@acme.com" || bob.Name != "Bob" || bob.ID == "" || bob.UserID == "" ||
		bob.Role != model.OrgRoleMember || !bob.CreatedAt.Equal(bksim.SeedMemberEpoch.Add(time.Minute)) {
		t.Errorf("bob = %+v, want his normalised email (Bob@Acme.COM in Buildkite), his name, both IDs, his role and when he joined", bob)
	}
	// Six distinct emails fit one query.
	if st := srv.Stats(); st.Requests != 1 || st.Rejected != 0 || st.Mutations != 0 {
		t.Errorf("requests = %d (rejected %d, mutations %d), want 1 (0, 0)", st.Requests, st.Rejected, st.Mutations)
	}
}

// lookupEmails returns n emails user00000, user00002, …: against
// bigSeed(600, …) the first 300 are members.
func lookupEmails(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user%05d@acme.com", 2*i)
	}
	return out
}

// TestLookupMembersRequests pins how lookups are batched and when the
// whole list is read instead.
func TestLookupMembersRequests(t *testing.T) {
	twice := append(lookupEmails(300), lookupEmails(300)...)
	tests := []struct {
		name         string
		emails       []string
		wantRequests int
		wantFound    int
	}{
		{"none", nil, 0, 0},
		{"one", lookupEmails(1), 1, 1},
		{"one full batch", lookupEmails(100), 1, 100},
		{"one more than a batch", lookupEmails(101), 2, 101},
		{"250 in three batches", lookupEmails(250), 3, 250},
		{"the threshold is still looked up", lookupEmails(LookupListThreshold), 5, 300},
		// Two pages of 500: the whole organization comes back.
		{"above the threshold lists everyone", lookupEmails(LookupListThreshold + 1), 2, 600},
		{"repeats count once", twice, 3, 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := startSim(t, bigSeed(600, 0, 0))
			tc := simClient(t, ts.URL, 0, nil)
			got, err := tc.LookupMembers(context.Background(), tt.emails)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || len(got) != tt.wantFound {
				t.Errorf("found %d members, want %d", len(got), tt.wantFound)
			}
			for key, m := range got {
				var n int
				if _, err := fmt.Sscanf(key, "user%05d@acme.com", &n); err != nil || n >= 600 || m.Email != key || m.ID == "" || m.UserID == "" {
					t.Errorf("found %s = %+v, which is not a seeded member", key, m)
				}
			}
			st := srv.Stats()
			if st.Requests != tt.wantRequests || st.Rejected != 0 {
				t.Errorf("requests = %d (rejected %d), want %d (0)", st.Requests, st.Rejected, tt.wantRequests)
			}
		})
	}
}

// TestLookupMembersFailures: any failure fails the whole lookup, with no
// partial answer.
func TestLookupMembersFailures(t *testing.T) {
	const prefix = "buildkite: look up organization members: "
	tests := []struct {
		name    string
		emails  []string
		fault   *bksim.Fault
		org     string
		wantErr string
	}{
		{name: "the only batch fails", emails: lookupEmails(3),
			fault:   &bksim.Fault{Field: "organization", Message: "Internal server error"},
			wantErr: "batch 1 of 1: graphql: Internal server error"},
		{name: "a later batch fails", emails: lookupEmails(250),
			fault:   &bksim.Fault{Field: "organization", After: 1, Message: "Internal server error"},
			wantErr: "batch 2 of 3: graphql: Internal server error"},
		{name: "HTTP 500 until retries run out", emails: lookupEmails(1),
			fault:   &bksim.Fault{Field: "organization", Status: 500, Times: 10},
			wantErr: "batch 1 of 1: MembersByEmail: HTTP 500: Internal Server Error (gave up after 4 attempts)"},
		{name: "a page of the full list fails", emails: lookupEmails(LookupListThreshold + 1),
			fault:   &bksim.Fault{Field: "organization", After: 1, Message: "Internal server error"},
			wantErr: "list members (page 2): graphql: Internal server error"},
		{name: "unknown organization", emails: lookupEmails(1), org: "umbrella",
			wantErr: `batch 1 of 1: organization "umbrella" not found or not visible to this token`},
		{name: "unknown organization, listing", emails: lookupEmails(LookupListThreshold + 1), org: "umbrella",
			wantErr: `organization "umbrella" not found or not visible to this token`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := startSim(t, bigSeed(600, 0, 0))
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			tc := simClient(t, ts.URL, 0, func(c *Config) {
				if tt.org != "" {
					c.Organization = tt.org
				}
			})
			got, err := tc.LookupMembers(context.Background(), tt.emails)
			noToken(t, err, tc)
			if errText(err) != prefix+tt.wantErr {
				t.Errorf("error = %q, want %q", errText(err), prefix+tt.wantErr)
			}
			if got != nil {
				t.Errorf("a failed lookup returned %d members", len(got))
			}
		})
	}
}

// TestLookupMembersAnswers checks how one answer is read, with scripted
// replies for shapes the simulator does not produce.
func TestLookupMembersAnswers(t *testing.T) {
	const (
		alice = `{"edges":[{"node":{"id":"om-1","role":"ADMIN","createdAt":"2025-01-02T03:04:05.678Z","user":{"id":"u-1","email":"Alice@acme.com","name":"Alice","bot":false}}}]}`
		other = `{"edges":[{"node":{"id":"om-9","role":"MEMBER","createdAt":"2025-01-01T00:00:00.000Z","user":{"id":"u-9","email":"someone@acme.com","name":"Someone","bot":false}}}]}`
		none  = `{"edges":[]}`
	)
	tests := []struct {
		name    string
		body    string
		want    map[string]model.Member
		wantErr string
	}{
		{name: "found and not found",
			body: `{"data":{"organization":{"m0":` + alice + `,"m1":` + none + `}}}`,
			want: map[string]model.Member{"alice@acme.com": {ID: "om-1", UserID: "u-1", Email: "alice@acme.com", Name: "Alice",
				Role: model.OrgRoleAdmin, CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 678e6, time.UTC)}}},
		// A server that ignored the filter answers with some other member.
		{name: "another user is no match",
			body: `{"data":{"organization":{"m0":` + other + `,"m1":` + other + `}}}`,
			want: map[string]model.Member{}},
		{name: "an error under one alias fails all",
			body:    `{"data":{"organization":{"m0":` + alice + `,"m1":null}},"errors":[{"message":"boom","path":["organization","m1"]}]}`,
			wantErr: "buildkite: look up organization members: batch 1 of 1: graphql: boom"},
		{name: "a missing alias fails all",
			body:    `{"data":{"organization":{"m0":` + alice + `}}}`,
			wantErr: "buildkite: look up organization members: batch 1 of 1: malformed answer: no answer for m1"},
		{name: "edges null fails all",
			body:    `{"data":{"organization":{"m0":` + alice + `,"m1":{"edges":null}}}}`,
			wantErr: "buildkite: look up organization members: batch 1 of 1: m1: malformed answer: members are not a connection"},
		{name: "a member without an email fails all",
			body:    `{"data":{"organization":{"m0":` + alice + `,"m1":{"edges":[{"node":{"id":"om-2","role":"MEMBER","createdAt":"2025-01-01T00:00:00.000Z","user":{"id":"u-2","email":""}}}]}}}}`,
			wantErr: "buildkite: look up organization members: batch 1 of 1: m1: malformed answer: a member whose user has no ID or email"},
		{name: "a role teamsync does not know fails all",
			body:    `{"data":{"organization":{"m0":` + alice + `,"m1":{"edges":[{"node":{"id":"om-2","role":"OWNER","createdAt":"2025-01-01T00:00:00.000Z","user":{"id":"u-2","email":"bob@acme.com"}}}]}}}}`,
			wantErr: "buildkite: look up organization members: batch 1 of 1: m1: malformed answer: a member without a known organization role"},
		{name: "a member without createdAt fails all",
			body:    `{"data":{"organization":{"m0":` + alice + `,"m1":{"edges":[{"node":{"id":"om-2","role":"MEMBER","user":{"id":"u-2","email":"bob@acme.com"}}}]}}}}`,
			wantErr: "buildkite: look up organization members: batch 1 of 1: m1: malformed answer: a member whose createdAt is not a date and time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts := startScripted(t, reply{body: tt.body})
			tc := newTestClient(t, ts.URL, nil)
			got, err := tc.LookupMembers(context.Background(), []string{"bob@acme.com", "alice@acme.com"})
			if errText(err) != tt.wantErr {
				t.Fatalf("error = %q, want %q", errText(err), tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LookupMembers = %+v, want %+v", got, tt.want)
			}
			// Sorted on the wire.
			if len(s.bodies) != 1 || !strings.Contains(s.bodies[0], `"e0":"alice@acme.com"`) || !strings.Contains(s.bodies[0], `"e1":"bob@acme.com"`) {
				t.Errorf("sent %q, want one request asking for alice@acme.com as e0 and bob@acme.com as e1", s.bodies)
			}
		})
	}
}

func TestLookupMembersListDuplicates(t *testing.T) {
	// The simulator refuses duplicate emails in a seed, so this answer is
	// scripted: two users whose emails differ only in case.
	body := `{"data":{"organization":{"members":{"pageInfo":{"hasNextPage":false,"endCursor":null},"edges":[
	  {"node":{"id":"om-1","role":"MEMBER","createdAt":"2025-01-01T00:00:00.000Z","user":{"id":"u-1","email":"Pat@acme.com","name":"Pat One","bot":false}}},
	  {"node":{"id":"om-2","role":"MEMBER","createdAt":"2025-01-01T00:00:00.000Z","user":{"id":"u-2","email":"pat@ACME.com","name":"Pat Two","bot":false}}},
	  {"node":{"id":"om-3","role":"MEMBER","createdAt":"2025-01-01T00:00:00.000Z","user":{"id":"u-3","email":"bot@buildkite.com","name":"Bot","bot":true}}}]}}}}`
	s, ts := startScripted(t, reply{body: body})
	tc := newTestClient(t, ts.URL, nil)
	got, err := tc.LookupMembers(context.Background(), lookupEmails(LookupListThreshold+1))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]model.Member{"pat@acme.com": {ID: "om-1", UserID: "u-1", Email: "pat@acme.com", Name: "Pat One",
		Role: model.OrgRoleMember, CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("members = %+v, want %+v", got, want)
	}
	if s.requests() != 1 || !strings.Contains(s.bodies[0], "OrgMembers") {
		t.Errorf("sent %d requests, want one OrgMembers page", s.requests())
	}
	if logs := tc.logs.String(); !strings.Contains(logs, "two organization members share an email; keeping the first") || !strings.Contains(logs, "skipped_user=u-2") {
		t.Errorf("no warning about the duplicate in the log:\n%s", logs)
	}
}
