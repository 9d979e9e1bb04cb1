package model

import (
	"maps"
	"slices"
	"time"
)

// Fingerprint sums up a team's memberships in what Buildkite can answer
// for every managed team in one cheap query: the team's ID, how many
// members and maintainers it has, and when its newest membership was
// made. A membership added or removed, or one role change, changes it;
// a team whose fingerprint is as remembered is taken not to have changed.
//
// Its blind spot: changes that cancel out in the counts. Two role changes
// in opposite directions (one member made maintainer while a maintainer is
// made member) leave both counts as they were, and change no membership's
// createdAt, so they go unseen until the next full read. (A removal and an
// addition do not cancel out: the addition is the newest membership.)
type Fingerprint struct {
	TeamID      string // "" when the team does not exist
	Members     int
	Maintainers int
	Newest      time.Time // createdAt of the newest membership; zero when it has none
}

// Fingerprint is what the team's fingerprint reads as, going by its
// memberships, listed and unlisted.
func (t Team) Fingerprint() Fingerprint {
	fp := Fingerprint{TeamID: t.ID}
	count := func(m TeamMember) {
		fp.Members++
		if m.Role == RoleMaintainer {
			fp.Maintainers++
		}
		if m.CreatedAt.After(fp.Newest) {
			fp.Newest = m.CreatedAt
		}
	}
	for _, m := range t.Members {
		count(m)
	}
	for _, m := range t.Unlisted {
		count(m)
	}
	return fp
}

// Clash is two users of one email: the first one found is kept.
type Clash struct {
	Email   string
	Kept    string // User ID
	Skipped string // User ID
}

// TeamPeople gathers the people of teams by email, as Org.Members holds
// them before anyone is looked up: their User ID and email. Teams and
// members are visited in sorted order, so which of two users sharing an
// email is kept does not depend on map order; the others are returned as
// clashes for the caller to report.
func TeamPeople(teams map[string]Team) (map[string]Member, []Clash) {
	people := make(map[string]Member)
	var clashes []Clash
	for _, slug := range slices.Sorted(maps.Keys(teams)) {
		members := teams[slug].Members
		for _, key := range slices.Sorted(maps.Keys(members)) {
			m := members[key]
			if prev, seen := people[key]; seen {
				if prev.UserID != m.UserID {
					clashes = append(clashes, Clash{Email: key, Kept: prev.UserID, Skipped: m.UserID})
				}
				continue
			}
			people[key] = Member{UserID: m.UserID, Email: m.Email}
		}
	}
	return people, clashes
}
