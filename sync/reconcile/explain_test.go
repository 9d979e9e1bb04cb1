package reconcile

import (
	"context"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// TestOffboardingOf says of each kind of person what plan decides for
// them: judged, or never judged and why.
func TestOffboardingOf(t *testing.T) {
	m := &config.Mapping{
		Sync:        config.Sync{ProtectedUsers: []string{"prot@acme.com"}},
		Offboarding: &config.Offboarding{Source: "okta", Domains: []string{"acme.com"}, RevokeInvitations: true},
	}
	read := &plan.PeopleRead{People: &model.People{ViewerUserID: "u-root"}}
	member := func(mm model.Member) *Person { return &Person{Member: &mm} }
	invited := &Person{Invitation: &model.Invitation{ID: "i"}}
	for _, c := range []struct {
		email string
		who   *Person
		want  string
	}{
		{"a@acme.com", member(model.Member{UserID: "u-a", Role: model.OrgRoleMember}), "judged by okta"},
		{"a@other.com", member(model.Member{UserID: "u-o", Role: model.OrgRoleMember}), "never judged: outside offboarding.domains"},
		{"root@acme.com", member(model.Member{UserID: "u-root", Role: model.OrgRoleAdmin}), "never judged: the token's own user"},
		{"boss@acme.com", member(model.Member{UserID: "u-boss", Role: model.OrgRoleAdmin}), "never judged: an administrator, and offboarding.include_admins is off"},
		{"bot@acme.com", member(model.Member{UserID: "u-b", Bot: true}), "never judged: a bot user"},
		{"prot@acme.com", member(model.Member{UserID: "u-p", Role: model.OrgRoleMember}), "never judged: a protected user (sync.protected_users)"},
		{"new@acme.com", invited, "judged by okta (their pending invitation)"},
		{"prot@acme.com", invited, "never judged: a protected user (sync.protected_users)"},
		{"x@acme.com", &Person{}, "not judged: not an organization member"},
	} {
		if got := offboardingOf(m, c.email, c.who, read); got != c.want {
			t.Errorf("%s: %q, want %q", c.email, got, c.want)
		}
	}
	m.Offboarding.IncludeAdmins = true
	if got := offboardingOf(m, "boss@acme.com", member(model.Member{UserID: "u-boss", Role: model.OrgRoleAdmin}), read); got != "judged by okta" {
		t.Errorf("an admin with include_admins: %q", got)
	}
}

// missingAnswer is a source that leaves one address out of its answer.
type missingAnswer struct{}

func (missingAnswer) Members(context.Context, providers.GroupRef) ([]providers.Member, error) {
	return nil, nil
}

func (missingAnswer) LookupPeople(_ context.Context, emails []string) map[string]providers.Person {
	return map[string]providers.Person{}
}

// TestLookUpOneTakesAMissingAnswerForUnknown: explain shows a source that
// did not answer for the person as a failed lookup, not as "not found"
// (which offboarding reads as gone).
func TestLookUpOneTakesAMissingAnswerForUnknown(t *testing.T) {
	got := lookUpOne(context.Background(), missingAnswer{}, "a@acme.com", nil, nil)
	if got.Err == nil || got.Found || got.Err.Error() != "a@acme.com was not looked up" {
		t.Fatalf("lookUpOne = %+v, want the error %q", got, "a@acme.com was not looked up")
	}
}
