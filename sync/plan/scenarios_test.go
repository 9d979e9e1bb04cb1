package plan

import (
	"errors"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// scenario is a full set of Build inputs.
type scenario struct {
	m     *config.Mapping
	reads map[string]GroupRead
	org   *model.Org
	opts  Options
}

func (s scenario) build() *Plan { return Build(s.m, s.reads, s.org, s.opts) }

// inSyncScenario is a mapping that Buildkite already matches.
func inSyncScenario() scenario {
	return scenario{
		m:     mapping(team("platform", oktaGroup("Platform Engineers", mem), usersGroup(mnt, "alice@acme.com"))),
		reads: map[string]GroupRead{"okta:Platform Engineers": {Members: active("bob@acme.com")}, "users:alice@acme.com": {Members: active("alice@acme.com")}},
		org: orgOf(nil, map[string]map[string]model.Role{
			"platform":  {"alice@acme.com": mnt, "bob@acme.com": mem},
			"unmanaged": {"zed@acme.com": mem},
		}),
	}
}

// typicalScenario has one of every change: adds, role changes both ways, a
// removal, a team to create and invitations.
func typicalScenario() scenario {
	platform := team("platform",
		oktaGroup("Platform Engineers", mem),
		googleGroup("platform-leads@acme.com", mnt),
		usersGroup(mnt, "alice@acme.com"),
	)
	mobile := team("mobile", oktaGroup("Mobile", mem))
	mobile.Create = true
	docs := team("docs", googleGroup("writers@acme.com", mem))
	docs.Policy = model.PolicyAdditive
	m := mapping(platform, mobile, docs)
	m.Sync.MissingUsers = config.MissingInvite
	m.Sync.EmailDomains = map[string]string{"corp.acme.com": "acme.com"}
	m.Sync.ProtectedUsers = []string{"ci-bot@acme.com"}
	return scenario{
		m: m,
		reads: map[string]GroupRead{
			"okta:Platform Engineers":        {Members: append(active("Bea@corp.acme.com", "carl@acme.com", "dana@acme.com", "new.hire@acme.com"), inactive("left@acme.com"))},
			"google:platform-leads@acme.com": {Members: active("alice@acme.com", "bea@acme.com")},
			"users:alice@acme.com":           {Members: active("alice@acme.com")},
			"okta:Mobile":                    {Members: active("carl@acme.com", "new.hire@acme.com", "erin@acme.com")},
			"google:writers@acme.com":        {Members: active("dana@acme.com")},
		},
		org: orgOf([]string{"bea@acme.com", "erin@acme.com"}, map[string]map[string]model.Role{
			"platform": {
				"alice@acme.com":  mnt,
				"carl@acme.com":   mnt, // lowered to member
				"dana@acme.com":   mem,
				"left@acme.com":   mem, // deprovisioned in Okta: removed
				"ci-bot@acme.com": mnt, // protected
			},
			"docs": {"old@acme.com": mem}, // additive: stays
		}),
	}
}

// troubledScenario has a bit of everything that goes wrong: a failed
// source, an observe team, a big team shrinking too fast, an empty group, a
// missing team, a Buildkite read error, people outside the organization and
// a pending invitation.
func troubledScenario() scenario {
	ios := team("ios", oktaGroup("Mobile", mem), oktaGroup("iOS Leads", mnt))
	security := team("security", googleGroup("security@acme.com", mnt))
	security.Policy = model.PolicyObserve
	web := team("web", oktaGroup("Web", mem))
	data := team("data", oktaGroup("Data", mem), oktaGroup("Data Interns", mem))
	ghost := team("ghost", usersGroup(mem, "alice@acme.com"))
	infra := team("infra", oktaGroup("Infra", mem))
	webPeople := roster("web", 12)
	m := mapping(ios, security, web, data, ghost, infra)
	return scenario{
		m: m,
		reads: map[string]GroupRead{
			"okta:Mobile":              {Members: active("ian@acme.com", "ivy@acme.com", "outside@acme.com", "pending@acme.com")},
			"okta:iOS Leads":           {Err: errors.New("okta: list members of group \"iOS Leads\": page 2: 503 Service Unavailable")},
			"google:security@acme.com": {Members: active("sam@acme.com", "outside@acme.com")},
			"okta:Web":                 {Members: active(webPeople[4:]...)},
			"okta:Data":                {Members: active("dee@acme.com")},
			"okta:Data Interns":        {},
			"users:alice@acme.com":     {Members: active("alice@acme.com")},
			"okta:Infra":               {Members: active("ian@acme.com")},
		},
		org: func() *model.Org {
			o := orgOf([]string{"ivy@acme.com", "sam@acme.com", "alice@acme.com"}, map[string]map[string]model.Role{
				"ios":      {"lead@acme.com": mnt, "ian@acme.com": mnt},
				"security": {"old@acme.com": mem},
				"web":      rolesOf(mem, webPeople...),
				"data":     {"dee@acme.com": mem, "intern@acme.com": mem},
				"infra":    {"x@acme.com": mem},
			})
			o.TeamErrors["infra"] = errors.New("buildkite: read team infra members: page 2: 502 Bad Gateway")
			o.Invitations["pending@acme.com"] = model.Invitation{ID: "inv-1", Email: "pending@acme.com"}
			return o
		}(),
	}
}

// appliedPlan is the typical plan after an apply in which one change failed.
func appliedPlan() *Plan {
	p := typicalScenario().build()
	for i := range p.Changes {
		p.Changes[i].Status = StatusApplied
		if p.Changes[i].Action == ActionRemoveMember {
			p.Changes[i].Status = StatusFailed
			p.Changes[i].Error = "buildkite: teamMemberDelete: 403 Forbidden: token lacks write_teams scope"
		}
	}
	p.Applied = true
	p.Recount()
	return p
}

// cancelledPlan is apply's result when the run was cancelled after its
// first two changes: the rest are skipped, never attempted.
func cancelledPlan() *Plan {
	p := typicalScenario().build()
	for i := range p.Changes {
		p.Changes[i].Status = StatusApplied
		if i >= 2 {
			p.Changes[i].Status = StatusSkipped
			p.Changes[i].Error = "not attempted: the run was cancelled"
		}
	}
	p.Applied = true
	p.Recount()
	return p
}

// appliedNothing is apply's result when there was nothing to write.
func appliedNothing() *Plan {
	p := &Plan{Version: Version, Organization: "acme", Applied: true}
	p.Recount()
	return p
}
