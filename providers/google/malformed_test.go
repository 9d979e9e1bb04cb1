package google_test

import (
	"context"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/providers/google/googlesim"
)

// TestMalformedAnswersAreErrors: an answer teamsync cannot read in full (a
// null or empty body, a null row, an object of another kind) fails the
// read, never a panic and never a short or empty list.
func TestMalformedAnswersAreErrors(t *testing.T) {
	const (
		get     = groupsPath + "eng@acme.com"
		members = groupsPath + "eng@acme.com/members"
		user    = usersPath + "dan@acme.com"
		null    = `HTTP 200 with an empty or null body`
	)
	row := `{"kind":"admin#directory#member","email":"ann@acme.com","type":"USER","status":"ACTIVE"}`
	tests := []struct {
		name, path, body string
		want             string // in the error
	}{
		{"groups.get null", get, `null`, `google: get group "eng@acme.com": groups.get: ` + null},
		{"groups.get empty", get, ` `, `google: get group "eng@acme.com": groups.get: ` + null},
		{"groups.get not a group", get, `{}`, `google: get group "eng@acme.com": the answer has kind "", not admin#directory#group`},
		{"members.list null", members, `null`, `google: list members of group "eng@acme.com": page 1: members.list: ` + null},
		{"members.list not a list", members, `{"kind":"admin#directory#user","primaryEmail":"x@acme.com"}`,
			`google: list members of group "eng@acme.com": page 1: the answer has kind "admin#directory#user", not admin#directory#members`},
		{"members.list null row", members, `{"kind":"admin#directory#members","members":[null]}`,
			`google: list members of group "eng@acme.com": page 1: member row 1 is null`},
		{"members.list null row after a person", members, `{"kind":"admin#directory#members","members":[` + row + `,null]}`,
			`google: list members of group "eng@acme.com": page 1: member row 2 is null`},
		{"members.list wrongly shaped", members, `{"kind":"admin#directory#members","members":{"email":"ann@acme.com"}}`,
			`google: list members of group "eng@acme.com": page 1: json: cannot unmarshal`},
		{"users.get null", user, `null`, `google: list members of group "eng@acme.com": check status of user "dan@acme.com": users.get: ` + null},
		{"users.get not a user", user, `{"suspended":false}`,
			`google: list members of group "eng@acme.com": check status of user "dan@acme.com": the answer has kind "", not admin#directory#user`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, googlesim.State{
				Groups: []googlesim.Group{{Email: "eng@acme.com", Members: []googlesim.Member{{Email: "dan@acme.com", Status: "-"}}}},
				Users:  []googlesim.User{{Email: "dan@acme.com"}},
			}, googlesim.Options{})
			e.sim.Inject(googlesim.Fault{Path: tt.path, Status: 200, JSON: tt.body})
			got, err := e.provider(t, nil).Members(context.Background(), ref("eng@acme.com"))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("members %v, err = %v\nwant it to start %s", emails(got), err, tt.want)
			}
			if got != nil {
				t.Errorf("got %v alongside the error, want no list", emails(got))
			}
		})
	}
}
