// Package plan computes what teamsync would change: a pure function from the
// mapping, the IdP group reads and a Buildkite snapshot to a Plan value, the
// guards that hold risky changes back, and the text, JSON and markdown views
// of a plan. Nothing here does I/O, logs or reads the clock.
package plan

import (
	"time"

	"encoding/json"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/model"
)

// Version is the plan JSON format version.
const Version = 1

// Action is what a change does.
type Action string

// Actions, in the order the applier runs them and plans sort them.
const (
	ActionCreateTeam   Action = "create_team"
	ActionAddMember    Action = "add_member"
	ActionUpdateRole   Action = "update_role"
	ActionRemoveMember Action = "remove_member"
	ActionInvite       Action = "invite"
	// Organization-level actions of offboarding: they follow every team
	// change.
	ActionRemoveOrgMember  Action = "remove_org_member"
	ActionRevokeInvitation Action = "revoke_invitation"
)

// Guard names, in the order they are applied (first match wins).
const (
	GuardObserve           = "observe"
	GuardUnknownSource     = "unknown_source"
	GuardEmptyGroup        = "empty_group"
	GuardMaxRemovalPercent = "max_removal_percent"
	GuardMaxRemovals       = "max_removals"
	// GuardUnknownPerson holds the offboarding of a person whose lookup
	// in the offboarding source failed; GuardStillGranted that of a
	// person the source says has left while the mapping still grants them
	// a team. Both are decided while drafting, before the other guards.
	GuardUnknownPerson = "unknown_person"
	GuardStillGranted  = "still_granted"
)

// Unplaced reasons.
const (
	ReasonNotInOrganization = "not_in_organization"
	ReasonInvitationPending = "invitation_pending"
)

// ReasonInNoGroup is the reason of a removal whose person none of the
// team's groups lists at all.
const ReasonInNoGroup = "in none of the team's groups"

// Status is the outcome of applying a change.
type Status string

// Change statuses after apply. A skipped change was not written and not
// tried: the applier skips the changes a cancelled run never reached. A
// failed or skipped change says why in Error.
const (
	StatusApplied Status = "applied"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
)

// Plan is the whole result of planning (and, after apply, of applying).
// Its JSON form is what scripts and CI read (`plan --format json`, the body
// of `apply --format json`): names are never changed, only added.
type Plan struct {
	// Applied marks a plan returned by apply: its changes carry their
	// statuses and its summary always counts applied and failed, 0
	// included, even when there was nothing to write.
	Applied bool `json:"-"`

	Version      int        `json:"version"`
	Organization string     `json:"organization"`
	Changes      []Change   `json:"changes"`
	Held         []Change   `json:"held"`
	Unplaced     []Unplaced `json:"unplaced"`
	Errors       []Error    `json:"errors"`
	Summary      Summary    `json:"summary"`
}

// Change is one write teamsync would make (or, in Held, would have made).
type Change struct {
	Action   Action           `json:"action"`
	Team     string           `json:"team,omitempty"`
	Name     string           `json:"name,omitempty"`    // create_team only: the new team's name
	Privacy  string           `json:"privacy,omitempty"` // create_team only: secret or visible
	Email    string           `json:"email,omitempty"`
	FromRole model.Role       `json:"from_role,omitempty"`
	Role     model.Role       `json:"role,omitempty"`
	Groups   []string         `json:"groups,omitempty"`
	Teams    []model.TeamRole `json:"teams,omitempty"` // invite only
	// Reason says why a member is removed: their status in a group of the
	// team that still lists them ("suspended in okta:Platform"), the expiry
	// of the entry that listed them ("grant users expired at ..."), else
	// ReasonInNoGroup.
	Reason string `json:"reason,omitempty"`
	Guard  string `json:"guard,omitempty"` // held only
	// Scope, in a plan against a base mapping (plan --base), is
	// ScopeChange or ScopePending.
	Scope string `json:"scope,omitempty"`
	// GuardReason, on a held change, says what the guard counted against
	// which limit, and the flag or mapping key that lets the change through.
	GuardReason string `json:"guard_reason,omitempty"`
	Status      Status `json:"status,omitempty"`
	Error       string `json:"error,omitempty"`
}

// Unplaced is a person a team wants who cannot be placed in it.
type Unplaced struct {
	Team   string   `json:"team"`
	Email  string   `json:"email"`
	Reason string   `json:"reason"`
	Groups []string `json:"groups,omitempty"`
}

// Error is a read that failed, with the team it affects.
type Error struct {
	Team    string `json:"team,omitempty"`
	Source  string `json:"source,omitempty"`
	Message string `json:"message"`
}

// Summary counts the plan's entries. Applied, Failed and Skipped are set
// after apply.
type Summary struct {
	CreateTeam   int `json:"create_team"`
	AddMember    int `json:"add_member"`
	UpdateRole   int `json:"update_role"`
	RemoveMember int `json:"remove_member"`
	Invite       int `json:"invite"`
	// RemoveOrgMember and RevokeInvitation count offboarding's changes;
	// they are shown only when not 0, so plans without offboarding keep
	// their shape.
	RemoveOrgMember  int `json:"remove_org_member,omitempty"`
	RevokeInvitation int `json:"revoke_invitation,omitempty"`
	Held             int `json:"held"`
	Unplaced         int `json:"unplaced"`
	Errors           int `json:"errors"`
	Applied          int `json:"applied,omitempty"`
	Failed           int `json:"failed,omitempty"`
	// Skipped is shown only when some change was skipped, so that the
	// apply output of a run that finished is what it always was.
	Skipped int `json:"skipped,omitempty"`
	// AfterApply makes the JSON form carry applied and failed even when
	// they are 0; Recount sets it from Plan.Applied.
	AfterApply bool `json:"-"`
}

// MarshalJSON writes the summary; after apply, applied
// and failed are always present so that `jq .summary.failed` is a number.
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	if !s.AfterApply {
		return json.Marshal(plain(s))
	}
	return json.Marshal(struct {
		plain
		Applied int `json:"applied"`
		Failed  int `json:"failed"`
		Skipped int `json:"skipped,omitempty"`
	}{plain(s), s.Applied, s.Failed, s.Skipped})
}

// GroupRead is the outcome of reading one group (by config.Group.Key()).
// Err non-nil means the membership is unknown.
type GroupRead struct {
	Members []providers.Member
	Err     error
}

// Options are what a run brings besides the mapping, the group reads and
// the Buildkite snapshot: per-run settings, the clock, and offboarding's
// reads.
type Options struct {
	// AllowRemovals, when non-nil, replaces sync.max_removals for this run
	// (--allow-removals).
	AllowRemovals *int
	// Now is the moment of the run, against which expires: is checked. The
	// planner has no clock of its own; the zero time expires nothing.
	Now time.Time
	// People is what offboarding read; nil when the mapping has no
	// offboarding section (with one, nil is reported as not read).
	People *PeopleRead
}
