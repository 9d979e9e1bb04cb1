package plan

import (
	"time"

	"slices"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

func TestAffected(t *testing.T) {
	g := config.Group{Okta: "Eng"}
	key := g.Key()
	reads := map[string]GroupRead{key: {Members: []providers.Member{
		{Email: "a@acme.com", Active: true}, {Email: "b@acme.com", Active: true},
	}}}
	base := func() *config.Mapping {
		return &config.Mapping{Teams: []config.Team{
			{Slug: "web", Groups: []config.Group{g}},
			{Slug: "api", Groups: []config.Group{g}},
		}}
	}
	for _, tc := range []struct {
		name string
		edit func(m *config.Mapping)
		want []string
	}{
		{"nothing", func(*config.Mapping) {}, nil},
		{"a line moved: same state", func(m *config.Mapping) { m.Teams[0].Line = 40 }, nil},
		{"a role", func(m *config.Mapping) { m.Teams[1].Groups = []config.Group{{Okta: "Eng", Role: model.RoleMaintainer}} }, []string{"api"}},
		{"a policy", func(m *config.Mapping) { m.Teams[0].Policy = model.PolicyObserve }, []string{"web"}},
		{"a new team", func(m *config.Mapping) {
			m.Teams = append(m.Teams, config.Team{Slug: "ops", Groups: []config.Group{g}})
		}, []string{"ops"}},
		{"a dropped team is not touched", func(m *config.Mapping) { m.Teams = m.Teams[:1] }, nil},
		{"protected users concern every team", func(m *config.Mapping) { m.Sync.ProtectedUsers = []string{"a@acme.com"} }, []string{"api", "web"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			tc.edit(m)
			if got := Affected(base(), m, reads, time.Time{}); !slices.Equal(got, tc.want) {
				t.Fatalf("Affected = %v, want %v", got, tc.want)
			}
		})
	}
}
