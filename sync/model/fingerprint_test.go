package model

import (
	"reflect"
	"testing"
	"time"
)

func TestTeamFingerprint(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	team := Team{ID: "T1", Members: map[string]TeamMember{
		"a@x.com": {Role: RoleMaintainer, CreatedAt: at(1)},
		"b@x.com": {Role: RoleMember, CreatedAt: at(5)},
	}, Unlisted: []TeamMember{{Role: RoleMaintainer, CreatedAt: at(3)}}}
	tests := []struct {
		name string
		team Team
		want Fingerprint
	}{
		{"listed and unlisted memberships count", team, Fingerprint{TeamID: "T1", Members: 3, Maintainers: 2, Newest: at(5)}},
		{"an unlisted membership can be the newest",
			Team{ID: "T2", Members: map[string]TeamMember{"a@x.com": {Role: RoleMember, CreatedAt: at(1)}}, Unlisted: []TeamMember{{Role: RoleMember, CreatedAt: at(9)}}},
			Fingerprint{TeamID: "T2", Members: 2, Newest: at(9)}},
		{"an empty team", Team{ID: "T3"}, Fingerprint{TeamID: "T3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.team.Fingerprint(); got != tt.want {
				t.Errorf("Fingerprint() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTeamPeople(t *testing.T) {
	teams := map[string]Team{
		"web": {Members: map[string]TeamMember{"a@x.com": {UserID: "U2", Email: "a@x.com"}, "c@x.com": {UserID: "U3", Email: "c@x.com"}}},
		"api": {Members: map[string]TeamMember{"a@x.com": {UserID: "U1", Email: "a@x.com"}, "b@x.com": {UserID: "U4", Email: "b@x.com"}}},
	}
	people, clashes := TeamPeople(teams)
	want := map[string]Member{
		"a@x.com": {UserID: "U1", Email: "a@x.com"}, // api sorts before web
		"b@x.com": {UserID: "U4", Email: "b@x.com"},
		"c@x.com": {UserID: "U3", Email: "c@x.com"},
	}
	if !reflect.DeepEqual(people, want) {
		t.Errorf("people = %v, want %v", people, want)
	}
	if want := []Clash{{Email: "a@x.com", Kept: "U1", Skipped: "U2"}}; !reflect.DeepEqual(clashes, want) {
		t.Errorf("clashes = %v, want %v", clashes, want)
	}
}
