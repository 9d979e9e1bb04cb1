package users

import (
	"context"
	"reflect"
	"testing"

	"github.com/teamsync/teamsync/providers"
)

func TestMembers(t *testing.T) {
	got, err := New().Members(context.Background(), providers.GroupRef{
		Source: providers.SourceUsers, Users: []string{"alice@acme.com", "Bob@Acme.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []providers.Member{
		{Email: "alice@acme.com", Status: Status, Active: true},
		{Email: "Bob@Acme.com", Status: Status, Active: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestMembersWrongSource(t *testing.T) {
	_, err := New().Members(context.Background(), providers.GroupRef{Source: providers.SourceOkta, Name: "x"})
	if err == nil || err.Error() != "users: cannot read okta groups" {
		t.Fatalf("err = %v", err)
	}
}
