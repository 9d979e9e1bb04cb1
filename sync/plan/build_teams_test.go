package plan

import (
	"errors"
	"testing"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

func TestBuildTeams(t *testing.T) {
	eng := map[string]GroupRead{"okta:Eng": {Members: active("a@acme.com", "out@acme.com")}}
	creating := func(policy model.Policy) *config.Mapping {
		tm := team("mobile", oktaGroup("Eng", mem))
		tm.Create, tm.Policy = true, policy
		return mapping(tm)
	}
	runBuildCases(t, []buildCase{
		{
			name:  "missing team with create: true is created and filled",
			m:     creating(""),
			reads: eng,
			org:   orgOf([]string{"a@acme.com"}, nil),
			changes: list(
				"create_team mobile",
				"add_member mobile a@acme.com member via okta:Eng",
			),
			unplaced: list("mobile out@acme.com not_in_organization"),
		},
		{
			name:  "observe holds the team creation too",
			m:     creating(model.PolicyObserve),
			reads: eng,
			org:   orgOf([]string{"a@acme.com"}, nil),
			held: list(
				"observe: create_team mobile",
				"observe: add_member mobile a@acme.com member via okta:Eng",
			),
			unplaced: list("mobile out@acme.com not_in_organization"),
		},
		{
			name:   "missing team without create is an error and gets no changes",
			m:      mapping(team("mobile", oktaGroup("Eng", mem))),
			reads:  eng,
			org:    orgOf([]string{"a@acme.com"}, nil),
			errors: list("mobile buildkite: team does not exist in Buildkite (set create: true to create it)"),
		},
		{
			name:  "a team whose Buildkite read failed gets an error and no changes at all",
			m:     mapping(team("platform", oktaGroup("Eng", mem))),
			reads: eng,
			org: func() *model.Org {
				o := orgOf([]string{"a@acme.com"}, map[string]map[string]model.Role{"platform": {"z@acme.com": mem}})
				o.TeamErrors["Platform"] = errors.New("buildkite: team platform members page 3: 502 Bad Gateway")
				return o
			}(),
			errors: list("platform buildkite: buildkite: team platform members page 3: 502 Bad Gateway"),
		},
		{
			name: "a duplicate team entry is reported and only the first is used",
			m: mapping(
				team("platform", oktaGroup("Eng", mem)),
				team("Platform", oktaGroup("Other", mnt)),
			),
			reads:   eng,
			org:     orgOf([]string{"a@acme.com", "out@acme.com"}, map[string]map[string]model.Role{"platform": {}}),
			changes: list("add_member platform a@acme.com member via okta:Eng", "add_member platform out@acme.com member via okta:Eng"),
			errors:  list("platform mapping: " + MsgTeamDuplicate),
		},
	})
}

func TestBuildMissingUsers(t *testing.T) {
	reads := map[string]GroupRead{
		"okta:Eng":   {Members: active("d@acme.com", "e@acme.com")},
		"okta:Leads": {Members: active("d@acme.com")},
	}
	teams := func(mobilePolicy model.Policy) []config.Team {
		mobile := team("mobile", oktaGroup("Leads", mnt))
		mobile.Policy = mobilePolicy
		return []config.Team{team("platform", oktaGroup("Eng", mem)), mobile}
	}
	org := orgOf(nil, map[string]map[string]model.Role{"platform": {}, "mobile": {}})
	withMode := func(mode string, mobilePolicy model.Policy) *config.Mapping {
		m := mapping(teams(mobilePolicy)...)
		m.Sync.MissingUsers = mode
		return m
	}
	pending := func() *model.Org {
		o := orgOf(nil, map[string]map[string]model.Role{"platform": {}, "mobile": {}})
		o.Invitations["d@acme.com"] = model.Invitation{ID: "inv-1", Email: "d@acme.com"}
		return o
	}()
	runBuildCases(t, []buildCase{
		{
			name:  "report: desired people outside the organization are unplaced",
			m:     withMode(config.MissingReport, ""),
			reads: reads, org: org,
			unplaced: list(
				"mobile d@acme.com not_in_organization",
				"platform d@acme.com not_in_organization",
				"platform e@acme.com not_in_organization",
			),
		},
		{
			name:  "invite: one invitation per person carrying all their teams, sorted",
			m:     withMode(config.MissingInvite, ""),
			reads: reads, org: org,
			changes: list(
				"invite d@acme.com mobile:maintainer,platform:member via okta:Leads,okta:Eng",
				"invite e@acme.com platform:member via okta:Eng",
			),
		},
		{
			name:  "invite: a pending invitation is never sent twice",
			m:     withMode(config.MissingInvite, ""),
			reads: reads, org: pending,
			changes: list("invite e@acme.com platform:member via okta:Eng"),
			unplaced: list(
				"mobile d@acme.com invitation_pending",
				"platform d@acme.com invitation_pending",
			),
		},
		{
			name:  "report: a pending invitation is reported as pending",
			m:     withMode(config.MissingReport, ""),
			reads: reads, org: pending,
			unplaced: list(
				"mobile d@acme.com invitation_pending",
				"platform d@acme.com invitation_pending",
				"platform e@acme.com not_in_organization",
			),
		},
		{
			name:  "invite: an observe team's invitation is held, the rest is sent",
			m:     withMode(config.MissingInvite, model.PolicyObserve),
			reads: reads, org: org,
			changes: list(
				"invite d@acme.com platform:member via okta:Eng",
				"invite e@acme.com platform:member via okta:Eng",
			),
			held: list("observe: invite d@acme.com mobile:maintainer via okta:Leads"),
		},
	})
}
