package plan

import (
	"time"

	"errors"
	"reflect"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

func TestPeopleToPlace(t *testing.T) {
	m := &config.Mapping{
		Sync: config.Sync{EmailDomains: map[string]string{"corp.acme.com": "acme.com"}},
		Teams: []config.Team{
			{Slug: "web", Groups: []config.Group{{Okta: "Web"}, {Okta: "Broken"}}},
			{Slug: "api", Groups: []config.Group{{Users: []string{"zed@acme.com", "web1@acme.com"}}}},
		},
	}
	reads := map[string]GroupRead{
		"okta:Web": {Members: []providers.Member{
			{Email: "web1@acme.com", Active: true},     // in team web already
			{Email: "api1@acme.com", Active: true},     // in another managed team
			{Email: "org1@acme.com", Active: true},     // a known org member
			{Email: "new@corp.acme.com", Active: true}, // rewritten, unknown
			{Email: "gone@acme.com", Active: false},    // not active: never placed
		}},
		"okta:Broken":                      {Err: errors.New("okta: boom")},
		"users:zed@acme.com,web1@acme.com": {Members: []providers.Member{{Email: "zed@acme.com", Active: true}, {Email: "web1@acme.com", Active: true}}},
	}
	org := &model.Org{
		Members: map[string]model.Member{"org1@acme.com": {Email: "org1@acme.com"}},
		Teams: map[string]model.Team{
			"web": {Slug: "web", Members: map[string]model.TeamMember{"web1@acme.com": {Email: "web1@acme.com"}}},
			"api": {Slug: "api", Members: map[string]model.TeamMember{"api1@acme.com": {Email: "api1@acme.com"}}},
		},
	}
	got := PeopleToPlace(m, reads, org, time.Time{})
	want := []string{"new@acme.com", "zed@acme.com"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PeopleToPlace = %q, want %q", got, want)
	}
	if got := PeopleToPlace(nil, reads, org, time.Time{}); got != nil {
		t.Fatalf("nil mapping: %q", got)
	}
}
