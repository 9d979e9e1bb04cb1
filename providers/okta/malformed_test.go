package okta_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

func TestMalformedPageFailsTheGroup(t *testing.T) {
	// A page that is not a list of users in statuses Okta documents is a
	// failed read of the group, whichever page it is: never a shorter
	// list. 450 members are three pages of 200.
	users := people(450, "acme.com")
	// The simulator lists a group's users in ID order.
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = oktasim.UserID(u.Email)
	}
	slices.Sort(ids)
	page2First := ids[200]
	tests := []struct {
		name    string
		fault   oktasim.Fault
		retries int
		want    string
	}{
		{
			name:  "200 null on page 2",
			fault: oktasim.Fault{Nth: 2, Times: 10, NullPage: true},
			want: `okta: list members of group "Eng": page 2: GET /api/v1/groups/{id}/users: ` +
				`HTTP 200 with an empty or null body (gave up after 5 attempts)`,
		},
		{
			name:    "200 null on page 1, no retries",
			fault:   oktasim.Fault{Nth: 1, NullPage: true},
			retries: -1,
			want: `okta: list members of group "Eng": page 1: GET /api/v1/groups/{id}/users: ` +
				`HTTP 200 with an empty or null body`,
		},
		{
			name:    "page 2 is an object",
			fault:   oktasim.Fault{Nth: 2, PageAsObject: true},
			retries: -1,
			want: `okta: list members of group "Eng": page 2: GET /api/v1/groups/{id}/users: ` +
				`the answer is not a JSON array of items`,
		},
		{
			// The SDK reads an octet-stream page as no users at all.
			name:    "page 2 served as octet-stream",
			fault:   oktasim.Fault{Nth: 2, ContentType: "application/octet-stream"},
			retries: -1,
			want: `okta: list members of group "Eng": page 2: GET /api/v1/groups/{id}/users: ` +
				`HTTP 200 with Content-Type "application/octet-stream", not JSON`,
		},
		{
			name:  "page 1 served as XML",
			fault: oktasim.Fault{Nth: 1, Times: 10, ContentType: "application/xml"},
			want: `okta: list members of group "Eng": page 1: GET /api/v1/groups/{id}/users: ` +
				`HTTP 200 with Content-Type "application/xml", which the Okta SDK reads as XML (gave up after 5 attempts)`,
		},
		{
			// JSON to the edge, but the SDK looks for "application/xml"
			// anywhere in the header first.
			name:    "page 2 typed as JSON with XML in a parameter",
			fault:   oktasim.Fault{Nth: 2, ContentType: `application/json; charset="application/xml"`},
			retries: -1,
			want: `okta: list members of group "Eng": page 2: GET /api/v1/groups/{id}/users: ` +
				`HTTP 200 with Content-Type "application/json; charset=\"application/xml\"", which the Okta SDK reads as XML`,
		},
		{
			name:    "page 1 typed as XML+JSON",
			fault:   oktasim.Fault{Nth: 1, ContentType: "application/xml+json"},
			retries: -1,
			want: `okta: list members of group "Eng": page 1: GET /api/v1/groups/{id}/users: ` +
				`HTTP 200 with Content-Type "application/xml+json", which the Okta SDK reads as XML`,
		},
		{
			// And a 204 as a page with no users.
			name:    "204 on page 3",
			fault:   oktasim.Fault{Nth: 3, Status: http.StatusNoContent},
			retries: -1,
			want: `okta: list members of group "Eng": page 3: GET /api/v1/groups/{id}/users: ` +
				`HTTP 204 with no content, where Okta answers with JSON`,
		},
		{
			name:  "a status Okta does not document",
			fault: oktasim.Fault{Nth: 2, MemberStatus: "DELETED"},
			want:  `okta: list members of group "Eng": user ` + page2First + ` has status "DELETED", which is not one Okta documents`,
		},
		{
			name:  "a status in the wrong case",
			fault: oktasim.Fault{Nth: 1, MemberStatus: "active"},
			want:  `okta: list members of group "Eng": user ` + ids[0] + ` has status "active", which is not one Okta documents`,
		},
		{
			name:  "no status",
			fault: oktasim.Fault{Nth: 3, NoMemberStatus: true},
			want:  `okta: list members of group "Eng": user ` + ids[400] + ` has no status`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, oneGroup("Eng", users), oktasim.Options{})
			f := tt.fault
			f.Path = usersPath(t, e, "Eng")
			e.sim.Inject(f)
			cfg := e.config()
			cfg.MaxRetries = tt.retries
			got, err := e.source(t, cfg).Members(context.Background(), ref("Eng"))
			if err == nil {
				t.Fatalf("got %d members, want an error", len(got))
			}
			if got != nil {
				t.Errorf("got %d members alongside the error, want none", len(got))
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error\n %q\nwant\n %q", err, tt.want)
			}
		})
	}
}

func TestMalformedPageHealsOnRetry(t *testing.T) {
	// A page that was null once (a proxy's hiccup) is read again, and the
	// group reads whole.
	e := newEnv(t, oneGroup("Eng", people(450, "acme.com")), oktasim.Options{})
	path := usersPath(t, e, "Eng")
	e.sim.Inject(oktasim.Fault{Path: path, Nth: 2, NullPage: true})
	got, err := e.source(t, e.config()).Members(context.Background(), ref("Eng"))
	if err != nil || len(got) != 450 {
		t.Fatalf("got %d members, error %v; want 450", len(got), err)
	}
	if n := e.sim.Requests(path); n != 4 {
		t.Errorf("%d member requests, want 4 (page 2 twice)", n)
	}
}

func TestMalformedSearchFailsTheName(t *testing.T) {
	// The name search is a listing too: a null or object answer is a
	// failed lookup, never "no group has this name".
	for _, f := range []oktasim.Fault{{NullPage: true}, {PageAsObject: true}} {
		e := newEnv(t, oneGroup("Eng", people(3, "acme.com")), oktasim.Options{})
		f.Path = groupsPath
		e.sim.Inject(f)
		cfg := e.config()
		cfg.MaxRetries = -1
		_, err := e.source(t, cfg).Members(context.Background(), ref("Eng"))
		if want := `okta: find group "Eng": GET /api/v1/groups: `; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%+v: error %v, want %q…", f, err, want)
		}
	}
}

func TestErrorAnswersAreNotReshaped(t *testing.T) {
	// Okta's own error answers are objects; the list check must leave them
	// to be read as Okta's errors.
	e := newEnv(t, oneGroup("Eng", people(3, "acme.com")), oktasim.Options{})
	e.sim.Inject(oktasim.Fault{Path: usersPath(t, e, "Eng"), Status: http.StatusForbidden})
	_, err := e.source(t, e.config()).Members(context.Background(), ref("Eng"))
	if want := `okta: list members of group "Eng": You do not have permission to perform the requested action (E0000006)`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

func TestGroupAnsweredWithNoContent(t *testing.T) {
	// The SDK reads a 204 as no group and no error.
	e := newEnv(t, oneGroup("Eng", people(3, "acme.com")), oktasim.Options{})
	id, _ := e.sim.GroupID("Eng")
	e.sim.Inject(oktasim.Fault{Path: "/api/v1/groups/" + id, Status: http.StatusNoContent})
	cfg := e.config()
	cfg.MaxRetries = -1
	_, err := e.source(t, cfg).Members(context.Background(), ref(id))
	want := `okta: get group "` + id + `": GET /api/v1/groups/{id}: HTTP 204 with no content, where Okta answers with JSON`
	if err == nil || err.Error() != want {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
}
