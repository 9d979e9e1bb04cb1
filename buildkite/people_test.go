package buildkite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/sync/model"
)

// peopleSeed is an organization of seven: an admin (the token's user, as
// the simulator's first admin), a bot, a member who joined on a given day
// and four more.
func peopleSeed() bksim.State {
	return bksim.State{
		Organization: "acme",
		Members: []bksim.Member{
			{Email: "alice@acme.com", Name: "Alice"},
			{Email: "Root@Acme.com", Name: "Root", Role: "admin"},
			{Email: "bot@buildkite.com", Name: "Buildkite Bot", Bot: true},
			{Email: "carol@acme.com", Name: "Carol", CreatedAt: time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)},
			{Email: "dave@acme.com"},
			{Email: "eve@acme.com", Name: "Eve"},
			{Email: "frank@acme.com", Name: "Frank", Role: "admin"},
		},
	}
}

func TestReadPeople(t *testing.T) {
	srv, ts := startSim(t, peopleSeed())
	tc := simClient(t, ts.URL, 2, nil)
	got, err := tc.ReadPeople(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	joined := func(i int) time.Time { return bksim.SeedMemberEpoch.Add(time.Duration(i) * time.Minute) }
	want := map[string]model.Member{
		"alice@acme.com":    {Email: "alice@acme.com", Name: "Alice", Role: model.OrgRoleMember, CreatedAt: joined(0)},
		"root@acme.com":     {Email: "root@acme.com", Name: "Root", Role: model.OrgRoleAdmin, CreatedAt: joined(1)},
		"bot@buildkite.com": {Email: "bot@buildkite.com", Name: "Buildkite Bot", Role: model.OrgRoleMember, Bot: true, CreatedAt: joined(2)},
		"carol@acme.com":    {Email: "carol@acme.com", Name: "Carol", Role: model.OrgRoleMember, CreatedAt: time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)},
		"dave@acme.com":     {Email: "dave@acme.com", Name: "dave", Role: model.OrgRoleMember, CreatedAt: joined(4)},
		"eve@acme.com":      {Email: "eve@acme.com", Name: "Eve", Role: model.OrgRoleMember, CreatedAt: joined(5)},
		"frank@acme.com":    {Email: "frank@acme.com", Name: "Frank", Role: model.OrgRoleAdmin, CreatedAt: joined(6)},
	}
	ids := map[string]bool{}
	stripped := make(map[string]model.Member, len(got.Members))
	for email, m := range got.Members {
		if m.ID == "" || m.UserID == "" || ids[m.ID] || ids[m.UserID] {
			t.Errorf("%s: IDs %q, %q are missing or not distinct", email, m.ID, m.UserID)
		}
		ids[m.ID], ids[m.UserID] = true, true
		m.ID, m.UserID = "", ""
		stripped[email] = m
	}
	if !reflect.DeepEqual(stripped, want) {
		t.Errorf("ReadPeople members =\n%+v\nwant\n%+v", stripped, want)
	}
	if got.ViewerUserID == "" || got.ViewerUserID != got.Members["root@acme.com"].UserID {
		t.Errorf("ViewerUserID = %q, want root's user %q", got.ViewerUserID, got.Members["root@acme.com"].UserID)
	}
	// Seven members two to a page: four pages, the viewer asked for once.
	st := srv.Stats()
	if st.Requests != 4 || st.ByOperation["organization"] != 4 || st.ByOperation["viewer"] != 1 || st.Rejected != 0 || st.Mutations != 0 {
		t.Errorf("requests = %d, by operation %v (rejected %d, mutations %d); want 4 pages, viewer once", st.Requests, st.ByOperation, st.Rejected, st.Mutations)
	}
}

// TestReadPeopleFailures: a page that fails or does not have the shape
// asked for fails the whole read, never giving a shorter list.
func TestReadPeopleFailures(t *testing.T) {
	const (
		prefix  = "buildkite: read organization members (page 1): "
		page    = `"pageInfo":{"hasNextPage":false,"endCursor":null}`
		viewer  = `"viewer":{"user":{"id":"u-1"}}`
		alice   = `{"node":{"id":"om-1","role":"ADMIN","createdAt":"2025-01-01T00:00:00.000Z","user":{"id":"u-1","email":"alice@acme.com","name":"A","bot":false}}}`
		members = `{"data":{` + viewer + `,"organization":{"members":{` + page + `,"edges":[` + alice + `,`
	)
	tests := []struct {
		name    string
		fault   bksim.Fault
		wantErr string
	}{
		{name: "a null node",
			fault:   bksim.Fault{Body: members + `{"node":null}]}}}}`},
			wantErr: prefix + "malformed answer: a member without a node"},
		{name: "a null edge",
			fault:   bksim.Fault{Body: members + `null]}}}}`},
			wantErr: prefix + "malformed answer: a member without a node"},
		{name: "a role teamsync does not know",
			fault:   bksim.Fault{Body: members + `{"node":{"id":"om-2","role":"OWNER","createdAt":"2025-01-01T00:00:00.000Z","user":{"id":"u-2","email":"b@acme.com"}}}]}}}}`},
			wantErr: prefix + "malformed answer: a member without a known organization role"},
		{name: "a member without an email",
			fault:   bksim.Fault{Body: members + `{"node":{"id":"om-2","role":"MEMBER","createdAt":"2025-01-01T00:00:00.000Z","user":{"id":"u-2","email":" "}}}]}}}}`},
			wantErr: prefix + "malformed answer: a member whose user has no ID or email"},
		{name: "a member without a user",
			fault:   bksim.Fault{Body: members + `{"node":{"id":"om-2","role":"MEMBER","createdAt":"2025-01-01T00:00:00.000Z","user":null}}]}}}}`},
			wantErr: prefix + "malformed answer: a member without a user"},
		{name: "two users with one email",
			fault:   bksim.Fault{Body: members + `{"node":{"id":"om-2","role":"MEMBER","createdAt":"2025-01-01T00:00:00.000Z","user":{"id":"u-2","email":"Alice@acme.com"}}}]}}}}`},
			wantErr: prefix + "two users share the email alice@acme.com"},
		{name: "members null",
			fault:   bksim.Fault{Body: `{"data":{` + viewer + `,"organization":{"members":null}}}`},
			wantErr: prefix + "malformed answer: members are not a connection"},
		{name: "edges null",
			fault:   bksim.Fault{Body: `{"data":{` + viewer + `,"organization":{"members":{` + page + `,"edges":null}}}}`},
			wantErr: prefix + "malformed answer: members are not a connection"},
		{name: "no viewer",
			fault:   bksim.Fault{Body: `{"data":{"organization":{"members":{` + page + `,"edges":[` + alice + `]}}}}`},
			wantErr: prefix + "malformed answer: the answer has no viewer"},
		{name: "a viewer without a user",
			fault:   bksim.Fault{Body: `{"data":{"viewer":{"user":null},"organization":{"members":{` + page + `,"edges":[` + alice + `]}}}}`},
			wantErr: prefix + "malformed answer: the viewer has no user ID"},
		{name: "no such organization",
			fault:   bksim.Fault{Body: `{"data":{` + viewer + `,"organization":null}}`},
			wantErr: `buildkite: organization "acme" not found or not visible to this token`},
		{name: "the second page fails",
			fault:   bksim.Fault{After: 1, Status: 500, Times: 10},
			wantErr: "buildkite: read organization members (page 2): OrgPeople: HTTP 500: Internal Server Error (gave up after 4 attempts)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := startSim(t, peopleSeed())
			tt.fault.Field = "organization"
			srv.Inject(tt.fault)
			tc := simClient(t, ts.URL, 4, nil)
			got, err := tc.ReadPeople(context.Background())
			if got != nil || errText(err) != tt.wantErr {
				t.Errorf("ReadPeople = %+v, %q\nwant nil, %q", got, errText(err), tt.wantErr)
			}
			noToken(t, err, tc)
		})
	}
}

// TestViewerID names the token's user (the simulator's first admin), the
// same user ReadPeople names.
func TestViewerID(t *testing.T) {
	_, ts := startSim(t, peopleSeed())
	tc := simClient(t, ts.URL, 2, nil)
	id, err := tc.ViewerID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	people, err := tc.ReadPeople(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id == "" || id != people.ViewerUserID || people.Members["root@acme.com"].UserID != id {
		t.Fatalf("ViewerID = %q; ReadPeople's viewer %q, root's user %q", id, people.ViewerUserID, people.Members["root@acme.com"].UserID)
	}
}

// TestLookupPeople reads just the people asked, bots included, and the
// token's user (as a member too): what explain and validate need instead
// of every member.
func TestLookupPeople(t *testing.T) {
	_, ts := startSim(t, peopleSeed())
	tc := simClient(t, ts.URL, 2, nil)
	got, err := tc.LookupPeople(context.Background(), []string{"bot@buildkite.com", "carol@acme.com", "nobody@acme.com", "carol@acme.com"})
	if err != nil {
		t.Fatal(err)
	}
	all, err := tc.ReadPeople(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The token's user (root) comes too, for offboarding to see its role.
	want := map[string]model.Member{"bot@buildkite.com": all.Members["bot@buildkite.com"], "carol@acme.com": all.Members["carol@acme.com"], "root@acme.com": all.Members["root@acme.com"]}
	if !reflect.DeepEqual(got.Members, want) || got.ViewerUserID != all.ViewerUserID || !got.Members["bot@buildkite.com"].Bot {
		t.Fatalf("LookupPeople = %+v (viewer %q), want %+v (viewer %q)", got.Members, got.ViewerUserID, want, all.ViewerUserID)
	}
}
