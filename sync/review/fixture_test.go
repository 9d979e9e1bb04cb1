package review

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// now is the moment of the fixture's run.
var now = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

// day is a fixed creation time, n days before now.
func day(n int) time.Time { return now.AddDate(0, 0, -n).Truncate(time.Hour) }

// fixture is one organization that holds every case the views describe:
// the three policies, a Google member reached through two nested groups,
// an email rewritten by sync.email_domains, an expired grant, a suspended
// account, a failed source, unjustified members in each policy, a role
// above its grant, a protected user, a missing team, a team whose read
// failed, admins, a bot and pending invitations.
type fixture struct {
	mapping *config.Mapping
	reads   map[string]plan.GroupRead
	org     *model.Org
	people  *model.People
}

func newFixture() fixture {
	expired := config.Group{Users: []string{"contractor@acme.com"}, Role: model.RoleMaintainer,
		Expires: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	m := &config.Mapping{
		Path:      "mapping.yaml",
		Buildkite: config.Buildkite{Organization: "acme"},
		Sync: config.Sync{
			Policy:            model.PolicyAuthoritative,
			MissingUsers:      config.MissingReport,
			MaxRemovals:       config.DefaultMaxRemovals,
			MaxRemovalPercent: config.DefaultMaxRemovalPercent,
			ProtectedUsers:    []string{"ci-bot@corp.acme.com"},
			EmailDomains:      map[string]string{"corp.acme.com": "acme.com"},
		},
		Teams: []config.Team{
			{Slug: "platform", Groups: []config.Group{
				{Okta: "Platform Engineers", Role: model.RoleMember},
				{Google: "eng@acme.com", Role: model.RoleMaintainer},
				expired,
			}},
			{Slug: "ios", Policy: model.PolicyAdditive, Groups: []config.Group{
				{Okta: "Mobile", Role: model.RoleMember},
			}},
			{Slug: "security", Policy: model.PolicyObserve, Groups: []config.Group{
				{Google: "security@acme.com", Role: model.RoleMaintainer},
				{Okta: "Platform Engineers", Role: model.RoleMember},
			}},
			{Slug: "data", Groups: []config.Group{
				{Okta: "Data", Role: model.RoleMember},
				{Users: []string{"judy@acme.com"}, Role: model.RoleMember},
			}},
			{Slug: "web", Create: true, Groups: []config.Group{{Okta: "Mobile", Role: model.RoleMember}}},
			{Slug: "legacy", Groups: []config.Group{{Okta: "Platform Engineers", Role: model.RoleMember}}},
			{Slug: "infra", Groups: []config.Group{{Okta: "Platform Engineers", Role: model.RoleMember}}},
		},
	}
	act := func(email string) providers.Member {
		return providers.Member{Email: email, Status: "ACTIVE", Active: true}
	}
	reads := map[string]plan.GroupRead{
		"okta:Platform Engineers": {Members: []providers.Member{
			act("alice@corp.acme.com"), act("bob@acme.com"), act("erin@acme.com"),
			{Email: "dan@acme.com", Status: "SUSPENDED"},
		}},
		"google:eng@acme.com": {Members: []providers.Member{
			{Email: "alice@acme.com", Status: "ACTIVE", Active: true, Via: []string{"platform@acme.com", "sre@acme.com"}},
			act("erin@acme.com"),
		}},
		"users:contractor@acme.com": {Members: []providers.Member{act("contractor@acme.com")}},
		"okta:Mobile":               {Members: []providers.Member{act("frank@acme.com"), act("newbie@acme.com"), act("bob@acme.com")}},
		"google:security@acme.com":  {Members: []providers.Member{act("ivy@acme.com")}},
		"okta:Data":                 {Err: errors.New(`okta: list members of group "Data": HTTP 503`)},
		"users:judy@acme.com":       {Members: []providers.Member{act("judy@acme.com")}},
	}
	member := func(email, name string, role model.OrgRole, joined int) model.Member {
		return model.Member{ID: "om-" + email, UserID: "u-" + email, Email: email, Name: name, Role: role, CreatedAt: day(joined)}
	}
	everyone := map[string]model.Member{
		"alice@acme.com":      member("alice@acme.com", "Alice Liddell", model.OrgRoleMember, 400),
		"bob@acme.com":        member("bob@acme.com", "Bob", model.OrgRoleMember, 300),
		"erin@acme.com":       member("erin@acme.com", "Erin", model.OrgRoleMember, 200),
		"dan@acme.com":        member("dan@acme.com", "Dan", model.OrgRoleMember, 500),
		"contractor@acme.com": member("contractor@acme.com", "Con Tractor", model.OrgRoleMember, 30),
		"ci-bot@acme.com":     member("ci-bot@acme.com", "CI", model.OrgRoleMember, 900),
		"frank@acme.com":      member("frank@acme.com", "Frank", model.OrgRoleMember, 100),
		"gina@acme.com":       member("gina@acme.com", "Gina", model.OrgRoleMember, 90),
		"hank@acme.com":       member("hank@acme.com", "Hank", model.OrgRoleMember, 80),
		"ivy@acme.com":        member("ivy@acme.com", "Ivy", model.OrgRoleMember, 70),
		"judy@acme.com":       member("judy@acme.com", "Judy", model.OrgRoleMember, 60),
		"ken@acme.com":        member("ken@acme.com", "Ken", model.OrgRoleMember, 50),
		"root@acme.com":       member("root@acme.com", "Root Admin", model.OrgRoleAdmin, 1000),
		"ops@acme.com":        member("ops@acme.com", "Ops | Admin", model.OrgRoleAdmin, 0),
	}
	bot := member("buildkite-bot@acme.com", "Bot", model.OrgRoleMember, 10)
	bot.Bot = true
	everyone[bot.Email] = bot
	tm := func(email string, role model.Role, created int) model.TeamMember {
		t := model.TeamMember{ID: "tm-" + email, UserID: "u-" + email, Email: email, Role: role}
		if created >= 0 {
			t.CreatedAt = day(created)
		}
		return t
	}
	team := func(slug string, ms ...model.TeamMember) model.Team {
		t := model.Team{ID: "t-" + slug, Slug: slug, Name: slug, Members: map[string]model.TeamMember{}}
		for _, m := range ms {
			t.Members[m.Email] = m
		}
		return t
	}
	platform := team("platform",
		tm("alice@acme.com", model.RoleMember, 380),
		tm("bob@acme.com", model.RoleMaintainer, 290),
		tm("erin@acme.com", model.RoleMaintainer, -1),
		tm("dan@acme.com", model.RoleMember, 480),
		tm("contractor@acme.com", model.RoleMaintainer, 25),
		tm("ci-bot@acme.com", model.RoleMember, 880),
	)
	platform.Unlisted = []model.TeamMember{{ID: "tm-bot", UserID: "u-bot", Role: model.RoleMember}}
	org := &model.Org{
		Slug: "acme", ID: "org-1",
		Members: map[string]model.Member{},
		Teams: map[string]model.Team{
			"platform": platform,
			"ios": team("ios",
				tm("frank@acme.com", model.RoleMember, 95),
				tm("gina@acme.com", model.RoleMember, 85),
				tm("bob@acme.com", model.RoleMaintainer, 280)),
			"security": team("security",
				tm("hank@acme.com", model.RoleMaintainer, 75),
				tm("ivy@acme.com", model.RoleMember, 65),
				tm("alice@acme.com", model.RoleMember, 370)),
			"data": team("data",
				tm("judy@acme.com", model.RoleMember, 55),
				tm("ken@acme.com", model.RoleMaintainer, 45)),
		},
		TeamErrors: map[string]error{"infra": errors.New("read team infra members: page 2: context deadline exceeded")},
		Invitations: map[string]model.Invitation{
			"newbie@acme.com": {ID: "inv-1", Email: "newbie@acme.com", Teams: []model.TeamRole{
				{Team: "web", Role: model.RoleMember}, {Team: "ios", Role: model.RoleMember}}},
			"guest@example.com": {ID: "inv-2", Email: "guest@example.com"},
		},
	}
	// The snapshot holds the members its teams show, as ReadOrg gives.
	for _, t := range org.Teams {
		for e := range t.Members {
			org.Members[e] = everyone[e]
		}
	}
	return fixture{mapping: m, reads: reads, org: org, people: &model.People{Members: everyone, ViewerUserID: "u-root@acme.com"}}
}

// plan is the fixture's plan, as the run would make it.
func (f fixture) plan() *plan.Plan {
	return plan.Build(f.mapping, f.reads, f.org, plan.Options{Now: now})
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
