package okta_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// caseVariants returns n distinct spellings of s that differ from it only
// in case (never s itself).
func caseVariants(s string, n int) []string {
	var out []string
	for mask := 1; len(out) < n; mask++ {
		b := []byte(s)
		for i := range b {
			if mask&(1<<i) != 0 {
				b[i] = strings.ToUpper(string(b[i]))[0]
			}
		}
		out = append(out, string(b))
	}
	return out
}

func TestMembersReadsEveryPage(t *testing.T) {
	// 205 groups whose names differ from "platform" only in case make the
	// name search span two pages (Okta's eq ignores case); only the exact
	// one is used. Its 450 users span three pages of 200.
	st := oneGroup("platform", people(450, "acme.com"))
	for _, name := range caseVariants("platform", 205) {
		st.Groups = append(st.Groups, oktasim.Group{Name: name, Users: people(1, "other.com")})
	}
	e := newEnv(t, st, oktasim.Options{})
	got, err := e.source(t, e.config()).Members(context.Background(), ref("platform"))
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	want := emails(func() []providers.Member {
		var ms []providers.Member
		for _, u := range people(450, "acme.com") {
			ms = append(ms, providers.Member{Email: u.Email})
		}
		return ms
	}())
	if !slices.Equal(emails(got), want) {
		t.Errorf("got %d members %v…, want %d", len(got), emails(got)[:min(3, len(got))], len(want))
	}
	for _, m := range got {
		if !m.Active || m.Status != "ACTIVE" {
			t.Fatalf("member %+v: want active ACTIVE", m)
		}
	}
	if n := e.sim.Requests("/api/v1/groups"); n != 2 {
		t.Errorf("group search requests = %d, want 2 pages", n)
	}
	if n := e.sim.Requests(usersPath(t, e, "platform")); n != 3 {
		t.Errorf("member list requests = %d, want 3 pages", n)
	}
}

func TestMembersStatus(t *testing.T) {
	tests := []struct {
		status string
		active bool
	}{
		{"ACTIVE", true},
		{"PASSWORD_EXPIRED", true},
		{"LOCKED_OUT", true},
		{"RECOVERY", true},
		{"SUSPENDED", false},
		{"DEPROVISIONED", false},
		{"STAGED", false},
		{"PROVISIONED", false},
	}
	var users []oktasim.User
	for _, tt := range tests {
		users = append(users, oktasim.User{Email: strings.ToLower(tt.status) + "@acme.com", Status: tt.status})
	}
	e := newEnv(t, oneGroup("Eng", users), oktasim.Options{})
	got, err := e.source(t, e.config()).Members(context.Background(), ref("Eng"))
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	byEmail := map[string]providers.Member{}
	for _, m := range got {
		byEmail[m.Email] = m
	}
	if len(got) != len(tests) {
		t.Errorf("got %d members, want %d (every status is returned)", len(got), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			m, ok := byEmail[strings.ToLower(tt.status)+"@acme.com"]
			if !ok {
				t.Fatal("member missing")
			}
			if m.Status != tt.status || m.Active != tt.active {
				t.Errorf("got status %q active %v, want %q %v", m.Status, m.Active, tt.status, tt.active)
			}
		})
	}
}

func TestMembersEmailAttribute(t *testing.T) {
	var (
		alice = oktasim.User{Email: "Alice@Acme.com", Login: "alice.login@corp.acme.com"}
		bob   = oktasim.User{Email: "bob@acme.com"}                                            // login defaults to the email
		carol = oktasim.User{Login: "carol@corp.acme.com", Status: "ACTIVE"}                   // no profile.email
		dave  = oktasim.User{Login: "dave@corp.acme.com", Status: "SUSPENDED"}                 // no profile.email, inactive
		erin  = oktasim.User{Email: "erin@acme.com", Login: "erin-login", Status: "SUSPENDED"} // login is not an email
		fay   = oktasim.User{Login: "fay@corp.acme.com", Status: "LOCKED_OUT"}                 // no profile.email, still counts
	)
	tests := []struct {
		name    string
		attr    string
		users   []oktasim.User
		want    []string
		wantErr string
	}{
		// Emails come back normalised (model.NormalizeEmail): Alice@Acme.com
		// is alice@acme.com.
		{"default attribute, inactive member without it skipped", "", []oktasim.User{alice, bob, dave, erin},
			[]string{"alice@acme.com", "bob@acme.com", "erin@acme.com"}, ""},
		{"email", "email", []oktasim.User{alice, bob, dave, erin},
			[]string{"alice@acme.com", "bob@acme.com", "erin@acme.com"}, ""},
		{"login", "login", []oktasim.User{alice, bob, carol, dave, erin, fay},
			[]string{"alice.login@corp.acme.com", "bob@acme.com", "carol@corp.acme.com", "dave@corp.acme.com", "erin-login", "fay@corp.acme.com"}, ""},
		// A member who counts but cannot be matched makes the group unknown:
		// a list without them would plan their removal.
		{"active member without it", "", []oktasim.User{alice, bob, carol, dave},
			nil, `okta: list members of group "Eng": user ` + oktasim.UserID(carol.Login) + ` (ACTIVE) has no profile.email to match to a Buildkite user`},
		{"locked-out member without it", "email", []oktasim.User{fay, bob},
			nil, `okta: list members of group "Eng": user ` + oktasim.UserID(fay.Login) + ` (LOCKED_OUT) has no profile.email to match to a Buildkite user`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, oneGroup("Eng", tt.users), oktasim.Options{})
			cfg := e.config()
			cfg.UserEmail = tt.attr
			got, err := e.source(t, cfg).Members(context.Background(), ref("Eng"))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v\nwant %s", err, tt.wantErr)
				}
				if got != nil {
					t.Errorf("got %q alongside the error, want no list", emails(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("Members: %v", err)
			}
			if !slices.Equal(emails(got), tt.want) {
				t.Errorf("got %q, want %q", emails(got), tt.want)
			}
			if strings.Contains(e.logs.String(), "level=WARN") {
				t.Errorf("a warning for a member who could not be desired anyway:\n%s", e.logs)
			}
		})
	}
}

const platformID = "00gPLATFORM000000001"

// resolveState is a directory with every way a name can resolve.
func resolveState() oktasim.State {
	return oktasim.State{Groups: []oktasim.Group{
		{ID: platformID, Name: "Platform Engineers", Users: people(2, "acme.com")},
		{Name: "Mobile", Users: people(1, "mobile.com")},
		{Name: "Mobile", Users: people(1, "mobile2.com")},
		{Name: "design", Users: people(1, "design.com")},
		{Name: `Ops "Core" \ East`, Users: people(1, "ops.com")},
		{Name: "Everyone", Type: oktasim.TypeBuiltIn, Users: people(3, "acme.com")},
		{Name: "AD Admins", Type: oktasim.TypeAppGroup, Users: people(1, "ad.acme.com")},
		{Name: "00gNAMEDLIKEANID0001", Users: people(1, "odd.com")},
	}}
}

// resolveCases are the names resolveState resolves, or refuses, and how.
var resolveCases = []struct {
	name      string
	group     string
	wantFirst string // first member's email when it resolves
	wantErr   string
	wantIs    error
	getByID   bool // read by ID, without a search
	idShaped  bool // never prepared: read by ID first
}{
	{name: "exact name", group: "Platform Engineers", wantFirst: "user0000@acme.com"},
	{name: "by id", group: platformID, wantFirst: "user0000@acme.com", getByID: true, idShaped: true},
	{name: "app group", group: "AD Admins", wantFirst: "user0000@ad.acme.com"},
	{name: "quotes and backslash", group: `Ops "Core" \ East`, wantFirst: "user0000@ops.com"},
	{name: "id-shaped name falls back to name", group: "00gNAMEDLIKEANID0001", wantFirst: "user0000@odd.com", idShaped: true},
	{name: "no such name", group: "Platform Engineer",
		wantErr: `okta group "Platform Engineer": no group has this exact name`, wantIs: okta.ErrGroupNotFound},
	{name: "differs in case", group: "Design",
		wantErr: `okta group "Design": no group has this exact name (names differ only in case: "design")`, wantIs: okta.ErrGroupNotFound},
	{name: "no such id", group: "00gNOSUCHGROUP000001", idShaped: true,
		wantErr: `okta group "00gNOSUCHGROUP000001": no group has this ID or exact name`, wantIs: okta.ErrGroupNotFound},
	{name: "two with the name", group: "Mobile", wantIs: okta.ErrGroupAmbiguous,
		wantErr: `okta group "Mobile": 2 groups have this exact name (`},
	{name: "built-in Everyone", group: "Everyone", wantIs: okta.ErrGroupRefused,
		wantErr: `okta group "Everyone": BUILT_IN groups such as Everyone are never synced; name an OKTA_GROUP or APP_GROUP`},
}

// TestResolveGroup resolves every case with a search per name, and again
// after Prepare resolved the names in one batched search: the members and
// the errors are the same, and the prepared names cost no search of their
// own.
func TestResolveGroup(t *testing.T) {
	for _, prepared := range []bool{false, true} {
		t.Run(fmt.Sprintf("prepared=%v", prepared), func(t *testing.T) {
			e := newEnv(t, resolveState(), oktasim.Options{})
			src := e.source(t, e.config())
			if prepared {
				var refs []providers.GroupRef
				for _, tt := range resolveCases {
					refs = append(refs, ref(tt.group))
				}
				if err := src.(providers.Preparer).Prepare(context.Background(), refs); err != nil {
					t.Fatalf("Prepare: %v", err)
				}
				if n := e.sim.TotalRequests(); n != 1 {
					t.Fatalf("Prepare sent %d requests, want 1 search for the 7 names that are not ID-shaped", n)
				}
			}
			for _, tt := range resolveCases {
				t.Run(tt.name, func(t *testing.T) {
					byID := e.sim.Requests("/api/v1/groups/" + tt.group)
					search := e.sim.Requests("/api/v1/groups")
					got, err := src.Members(context.Background(), ref(tt.group))
					gotByID := e.sim.Requests("/api/v1/groups/"+tt.group) - byID
					gotSearch := e.sim.Requests("/api/v1/groups") - search
					wantSearch := 1
					if tt.getByID || (prepared && !tt.idShaped) {
						wantSearch = 0
					}
					if gotSearch != wantSearch {
						t.Errorf("%d searches, want %d", gotSearch, wantSearch)
					}
					if tt.getByID && gotByID != 1 {
						t.Errorf("by id: %d GetGroup, want 1", gotByID)
					}
					if tt.wantErr != "" {
						if err == nil {
							t.Fatalf("got %d members, want error %q", len(got), tt.wantErr)
						}
						if !strings.HasPrefix(err.Error(), tt.wantErr) {
							t.Errorf("error %q, want %q", err, tt.wantErr)
						}
						if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
							t.Errorf("error %q is not %v", err, tt.wantIs)
						}
						return
					}
					if err != nil {
						t.Fatalf("Members: %v", err)
					}
					if len(got) == 0 || got[0].Email != tt.wantFirst {
						t.Errorf("members %q, want first %q", emails(got), tt.wantFirst)
					}
				})
			}

			t.Run("ambiguous lists both ids", func(t *testing.T) {
				_, err := src.Members(context.Background(), ref("Mobile"))
				var ids []string
				for _, word := range strings.FieldsFunc(fmt.Sprint(err), func(r rune) bool { return r == '(' || r == ')' || r == ',' || r == ' ' || r == ';' }) {
					if strings.HasPrefix(word, "00g") {
						ids = append(ids, word)
					}
				}
				if len(ids) != 2 || ids[0] >= ids[1] {
					t.Errorf("error %q: want the two group IDs, sorted", err)
				}
			})
		})
	}
}

func TestMembersRejectsOtherSources(t *testing.T) {
	e := newEnv(t, oneGroup("Eng", people(1, "acme.com")), oktasim.Options{})
	src := e.source(t, e.config())
	tests := []struct {
		ref  providers.GroupRef
		want string
	}{
		{providers.GroupRef{Source: providers.SourceGoogle, Name: "eng@acme.com"}, `okta: group source is "google", want "okta"`},
		{providers.GroupRef{Source: providers.SourceOkta, Name: "  "}, "okta: group name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.ref.Source, func(t *testing.T) {
			_, err := src.Members(context.Background(), tt.ref)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	if n := e.sim.TotalRequests(); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

func TestMembersSeesMembershipChanges(t *testing.T) {
	// The SDK's cache would serve the old list for five minutes.
	e := newEnv(t, oneGroup("Eng", people(3, "acme.com")), oktasim.Options{})
	src := e.source(t, e.config())
	if _, err := src.Members(context.Background(), ref("Eng")); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetGroupUsers("Eng", []oktasim.User{{Email: "new@acme.com"}}); err != nil {
		t.Fatal(err)
	}
	got, err := src.Members(context.Background(), ref("Eng"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"new@acme.com"}; !slices.Equal(emails(got), want) {
		t.Errorf("after the change got %q, want %q", emails(got), want)
	}
}
