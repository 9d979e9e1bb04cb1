package plan

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/model"
)

// TestDesired checks that Desired gives the desired state Build diffs
// against, with the rows each entry lists after sync.email_domains.
func TestDesired(t *testing.T) {
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	expired := usersGroup(mnt, "carol@acme.com")
	expired.Expires = now.Add(-time.Hour)
	m := mapping(
		team("Platform", oktaGroup("Eng", mem), googleGroup("leads@acme.com", mnt), expired),
		team("ios", oktaGroup("Mobile", mem)),
		team("platform", oktaGroup("Other", mnt)), // duplicate: ignored, as Build does
	)
	m.Teams[1].Policy = model.PolicyAdditive
	m.Sync.EmailDomains = map[string]string{"corp.acme.com": "acme.com"}
	reads := map[string]GroupRead{
		"okta:Eng": {Members: append(active("alice@corp.acme.com", "bob@acme.com"), inactive("dan@acme.com"))},
		"google:leads@acme.com": {Members: []providers.Member{
			{Email: "alice@acme.com", Status: "ACTIVE", Active: true, Via: []string{"sre@acme.com"}},
		}},
		"users:carol@acme.com": {Members: active("carol@acme.com")},
		"okta:Mobile":          {Err: errors.New("boom")},
	}
	got := Desired(m, reads, now)
	if len(got) != 2 {
		t.Fatalf("got %d teams, want 2", len(got))
	}
	p := got["platform"]
	wantMembers := map[string]DesiredMember{
		"alice@acme.com": {Role: mnt, Groups: []string{"okta:Eng", "google:leads@acme.com"}},
		"bob@acme.com":   {Role: mem, Groups: []string{"okta:Eng"}},
	}
	if !reflect.DeepEqual(p.Members, wantMembers) {
		t.Errorf("members = %v, want %v", p.Members, wantMembers)
	}
	if p.Policy != model.PolicyAuthoritative || p.Inactive["dan@acme.com"] != "suspended in okta:Eng" ||
		p.Inactive["carol@acme.com"] != ExpiredReason("users", expired.Expires) {
		t.Errorf("policy %q, inactive %v", p.Policy, p.Inactive)
	}
	if len(p.Entries) != 3 || !p.Entries[2].Expired || p.Entries[0].Listed["alice@acme.com"].Email != "alice@corp.acme.com" {
		t.Errorf("entries = %+v", p.Entries)
	}
	ios := got["ios"]
	if ios.Policy != model.PolicyAdditive || len(ios.Errors) != 1 || ios.Errors[0].Source != "okta:Mobile" ||
		ios.Entries[0].Err != "boom" || ios.Entries[0].Listed != nil {
		t.Errorf("ios = %+v", ios)
	}
}
