package bksim_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

func TestLoadStateErrors(t *testing.T) {
	tests := []struct {
		name, file, body, want string
	}{
		{
			name: "unknown key",
			file: "seed.yaml",
			body: "organization: acme\nmembers:\n  - email: a@acme.com\n    rol: admin\nteams: []\n",
			want: "seed.yaml:4: field rol not found in type bksim.Member",
		},
		{
			name: "wrong type",
			file: "seed.yaml",
			body: "organization: acme\nmembers: {}\nteams: []\n",
			want: "seed.yaml:2: cannot unmarshal !!map into []bksim.Member",
		},
		{
			name: "syntax",
			file: "seed.yaml",
			body: "organization: acme\nmembers:\n\t- email: a@acme.com\n",
			want: "seed.yaml:3: found character that cannot start any token",
		},
		{
			name: "duplicate key",
			file: "seed.yaml",
			body: "organization: acme\norganization: other\nmembers: []\nteams: []\n",
			want: "seed.yaml:2: mapping key \"organization\" already defined at line 1",
		},
		{
			name: "team member not in organization",
			file: "seed.yaml",
			body: "organization: acme\nmembers:\n  - email: a@acme.com\nteams:\n  - slug: platform\n    members:\n      - email: a@acme.com\n      - email: b@acme.com\n",
			want: `seed.yaml:8: team "platform": "b@acme.com" is not an organization member`,
		},
		{
			name: "duplicate slug",
			file: "seed.yaml",
			body: "organization: acme\nmembers: []\nteams:\n  - slug: platform\n    members: []\n  - slug: platform\n    members: []\n",
			want: `seed.yaml:6: duplicate team slug "platform"`,
		},
		{
			name: "missing organization",
			file: "seed.yaml",
			body: "members: []\nteams: []\n",
			want: "seed.yaml: organization: organization slug is required",
		},
		{
			name: "empty file",
			file: "seed.yaml",
			body: "",
			want: "seed.yaml: empty seed file",
		},
		{
			name: "json unknown field",
			file: "seed.json",
			body: `{"organization": "acme", "members": [], "teams": [], "extra": 1}`,
			want: `seed.json: json: unknown field "extra"`,
		},
		{
			name: "json syntax",
			file: "seed.json",
			body: "{\n  \"organization\": \"acme\",\n  \"members\": [,]\n}",
			want: "seed.json:3: invalid character ',' looking for beginning of value",
		},
		{
			name: "json seed error",
			file: "seed.json",
			body: `{"organization": "acme", "members": [{"email": "a@acme.com", "role": "owner"}], "teams": []}`,
			want: `seed.json: members[0]: member "a@acme.com": role "owner" must be admin or member`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := bksim.LoadState(path)
			if err == nil {
				t.Fatal("LoadState succeeded, want an error")
			}
			if got, want := err.Error(), filepath.Join(dir, tt.want); got != want {
				t.Errorf("error:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestLoadStateJSONMatchesYAML(t *testing.T) {
	y := mustLoad(t, "testdata/acme.yaml")
	j := mustLoad(t, "testdata/acme.json")
	assertState(t, j.Canonical(), y.Canonical())
}

// TestLoadStateCreatedAt: a seed may say when a member joined, in YAML
// and JSON alike, and the server answers it in UTC.
func TestLoadStateCreatedAt(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"seed.yaml": "organization: acme\nmembers:\n  - email: a@acme.com\n    created_at: 2023-05-06T09:08:09+02:00\nteams: []\n",
		"seed.json": `{"organization":"acme","members":[{"email":"a@acme.com","created_at":"2023-05-06T09:08:09+02:00"}],"teams":[]}`,
	}
	for name, body := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			st := mustLoad(t, path)
			if want := time.Date(2023, 5, 6, 7, 8, 9, 0, time.UTC); len(st.Members) != 1 || !st.Members[0].CreatedAt.Equal(want) {
				t.Fatalf("members %+v, want a@acme.com joined %s", st.Members, want)
			}
			_, hs := bksimtest.Start(t, st)
			var d struct {
				Organization struct {
					Members struct {
						Edges []struct{ Node struct{ CreatedAt string } }
					}
				}
			}
			gql(t, hs.URL, `{ organization(slug: "acme") { members(first: 1) { edges { node { createdAt } } } } }`, nil).decode(t, &d)
			if e := d.Organization.Members.Edges; len(e) != 1 || e[0].Node.CreatedAt != "2023-05-06T07:08:09.000Z" {
				t.Errorf("createdAt answered %+v, want 2023-05-06T07:08:09.000Z", e)
			}
		})
	}
}

func TestNewRejectsBadSeeds(t *testing.T) {
	base := func() bksim.State {
		return bksim.State{
			Organization: "acme",
			Members:      []bksim.Member{{Email: "a@acme.com"}, {Email: "b@acme.com"}},
			Teams:        []bksim.Team{{Slug: "platform", Members: []bksim.TeamMember{{Email: "a@acme.com"}}}},
		}
	}
	tests := []struct {
		name   string
		change func(*bksim.State)
		want   string
	}{
		{"bad org slug", func(s *bksim.State) { s.Organization = "Acme Inc" },
			`bksim: invalid seed: organization: organization slug "Acme Inc" must be lower-case letters, digits and single hyphens`},
		{"bad email", func(s *bksim.State) { s.Members[1].Email = "bob" },
			`bksim: invalid seed: members[1]: email "bob" is not an email address`},
		{"duplicate email ignoring case", func(s *bksim.State) { s.Members[1].Email = "A@acme.com" },
			`bksim: invalid seed: members[1]: duplicate member "A@acme.com"`},
		{"bad member role", func(s *bksim.State) { s.Members[0].Role = "owner" },
			`bksim: invalid seed: members[0]: member "a@acme.com": role "owner" must be admin or member`},
		{"bad team slug", func(s *bksim.State) { s.Teams[0].Slug = "Platform" },
			`bksim: invalid seed: teams[0]: team slug "Platform" must be lower-case letters, digits and single hyphens`},
		{"duplicate slug", func(s *bksim.State) { s.Teams = append(s.Teams, bksim.Team{Slug: "platform"}) },
			`bksim: invalid seed: teams[1]: duplicate team slug "platform"`},
		{"bad privacy", func(s *bksim.State) { s.Teams[0].Privacy = "public" },
			`bksim: invalid seed: teams[0]: team "platform": privacy "public" must be secret or visible`},
		{"unknown team member", func(s *bksim.State) { s.Teams[0].Members[0].Email = "zed@acme.com" },
			`bksim: invalid seed: teams[0].members[0]: team "platform": "zed@acme.com" is not an organization member`},
		{"duplicate team member", func(s *bksim.State) {
			s.Teams[0].Members = append(s.Teams[0].Members, bksim.TeamMember{Email: "A@ACME.COM"})
		}, `bksim: invalid seed: teams[0].members[1]: team "platform": duplicate member "A@ACME.COM"`},
		{"bad team role", func(s *bksim.State) { s.Teams[0].Members[0].Role = "owner" },
			`bksim: invalid seed: teams[0].members[0]: team "platform": member "a@acme.com": role "owner" must be member or maintainer`},
		{"pending invitation for a member", func(s *bksim.State) { s.Invitations = []bksim.Invitation{{Email: "b@acme.com"}} },
			`bksim: invalid seed: invitations[0]: pending invitation for "b@acme.com", who is already a member`},
		{"two pending invitations", func(s *bksim.State) {
			s.Invitations = []bksim.Invitation{{Email: "c@acme.com"}, {Email: "C@acme.com", State: "pending"}}
		}, `bksim: invalid seed: invitations[1]: second pending invitation for "C@acme.com"`},
		{"bad invitation state", func(s *bksim.State) { s.Invitations = []bksim.Invitation{{Email: "c@acme.com", State: "sent"}} },
			`bksim: invalid seed: invitations[0]: invitation "c@acme.com": state "sent" must be pending, accepted, revoked or expired`},
		{"invitation to unknown team", func(s *bksim.State) {
			s.Invitations = []bksim.Invitation{{Email: "c@acme.com", Teams: []bksim.TeamRole{{Team: "mobile", Role: "member"}}}}
		}, `bksim: invalid seed: invitations[0].teams[0]: invitation "c@acme.com": unknown team "mobile"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := base()
			tt.change(&st)
			_, err := bksim.New(st, bksim.Options{})
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestStateIsCanonical(t *testing.T) {
	srv, err := bksim.New(mustLoad(t, "testdata/acme.yaml"), bksim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := bksim.State{
		Organization: "acme",
		Members: []bksim.Member{
			{Email: "alice@acme.com", Name: "Alice Admin", Role: "admin"},
			{Email: "bob@acme.com", Name: "Bob", Role: "member"},
			{Email: "carol@acme.com", Name: "Carol", Role: "member"},
			{Email: "dave@acme.com", Role: "member"},
			{Email: "Erin@Acme.com", Name: "Erin", Role: "member"},
		},
		Teams: []bksim.Team{
			{Slug: "empty", Name: "empty", Privacy: "secret", Members: []bksim.TeamMember{}},
			{Slug: "mobile", Name: "Mobile", Privacy: "visible", Members: []bksim.TeamMember{{Email: "carol@acme.com", Role: "member"}}},
			{Slug: "platform", Name: "Platform", Privacy: "secret", Members: []bksim.TeamMember{
				{Email: "alice@acme.com", Role: "maintainer"},
				{Email: "bob@acme.com", Role: "member"},
				{Email: "Erin@Acme.com", Role: "member"},
			}},
		},
		Invitations: []bksim.Invitation{
			{Email: "frank@acme.com", State: "pending", Role: "member", Teams: []bksim.TeamRole{{Team: "platform", Role: "member"}}},
			{Email: "gina@acme.com", State: "expired", Role: "member"},
		},
	}
	assertState(t, srv.State(), want)
}
