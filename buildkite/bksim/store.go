package bksim

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// store is the simulated organization. It is not safe for concurrent use;
// the Server's mutex guards it.
type store struct {
	seq         int // uuid counter, so runs are reproducible
	org         *orgRec
	members     []*memberRec // creation order
	teams       []*teamRec   // creation order
	invitations []*inviteRec // creation order
	events      []*auditRec  // the audit log, in the order things happened
	// nodes indexes every object with a GraphQL ID by that ID.
	nodes map[string]object
	// byEmail indexes members by lower-cased email: a large seed looks
	// each team member up.
	byEmail map[string]*memberRec

	// now is the server's clock; stamped is the last time given to a
	// membership or an audit event, so that stamps only go forward.
	now     func() time.Time
	stamped time.Time
	seeding bool // stamps count on from a day ago rather than now
}

// object is anything the executor can select fields from.
type object interface{ typeName() string }

type orgRec struct{ uuid, slug, name string }

type userRec struct {
	uuid, email, name string
	bot               bool
}

type memberRec struct {
	uuid, role string // role: admin|member
	user       *userRec
	seq        int
	createdAt  time.Time
	// seededAt is the CreatedAt the seed gave, which the snapshot keeps.
	seededAt time.Time
}

type teamRec struct {
	uuid, slug, name, description string
	privacy                       string // secret|visible
	defaultRole                   string // member|maintainer
	isDefault                     bool
	permissions                   map[string]bool // membersCan* flags
	members                       []*teamMemberRec
	seq                           int
}

type teamMemberRec struct {
	uuid, role string // role: member|maintainer
	member     *memberRec
	team       *teamRec
	seq        int
	createdAt  time.Time
}

type inviteRec struct {
	uuid, email, state, role string
	teams                    []*inviteTeamRec
	seq                      int
}

type inviteTeamRec struct {
	uuid, role string
	team       *teamRec
}

func (*orgRec) typeName() string        { return "Organization" }
func (*userRec) typeName() string       { return "User" }
func (*memberRec) typeName() string     { return "OrganizationMember" }
func (*teamRec) typeName() string       { return "Team" }
func (*teamMemberRec) typeName() string { return "TeamMember" }
func (*inviteRec) typeName() string     { return "OrganizationInvitation" }
func (*inviteTeamRec) typeName() string { return "OrganizationInvitationTeamAssignment" }

// record is an object whose fields are fixed values: mutation payloads and
// the viewer.
type record struct {
	typ    string
	fields map[string]any
}

func (r *record) typeName() string { return r.typ }

// globalID is the Relay ID Buildkite uses: base64("Type---uuid").
func globalID(typ, uuid string) string {
	return base64.StdEncoding.EncodeToString([]byte(typ + "---" + uuid))
}

// parseGlobalID splits an ID made by globalID; ok is false for anything else.
func parseGlobalID(id string) (typ, uuid string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(id)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(id)
		if err != nil {
			return "", "", false
		}
	}
	typ, uuid, ok = strings.Cut(string(raw), "---")
	return typ, uuid, ok && typ != "" && uuid != ""
}

// idOf returns the GraphQL ID of an object that has one.
func idOf(o object) string {
	switch o := o.(type) {
	case *orgRec:
		return globalID("Organization", o.uuid)
	case *userRec:
		return globalID("User", o.uuid)
	case *memberRec:
		return globalID("OrganizationMember", o.uuid)
	case *teamRec:
		return globalID("Team", o.uuid)
	case *teamMemberRec:
		return globalID("TeamMember", o.uuid)
	case *inviteRec:
		return globalID("OrganizationInvitation", o.uuid)
	case *inviteTeamRec:
		return globalID("OrganizationInvitationTeamAssignment", o.uuid)
	case *auditRec:
		return globalID("AuditEvent", o.uuid)
	}
	return ""
}

func (s *store) newUUID() string {
	s.seq++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq)
}

func (s *store) index(o object) { s.nodes[idOf(o)] = o }

// lookup returns the object with GraphQL ID id if it is of type typ ("" =
// any type). IDs are compared decoded, so padding does not matter.
func (s *store) lookup(typ, id string) object {
	t, uuid, ok := parseGlobalID(id)
	if !ok || typ != "" && t != typ {
		return nil
	}
	return s.nodes[globalID(t, uuid)]
}

// stamp is the time of something that happens now: the clock in whole
// milliseconds (as DateTime values are written), moved on by a millisecond
// past the last stamp if it has not passed it, so that no two memberships
// or events share a time and RECENTLY_CREATED order is creation order.
func (s *store) stamp() time.Time {
	t := s.now().UTC().Truncate(time.Millisecond)
	if s.seeding || !t.After(s.stamped) {
		t = s.stamped.Add(time.Millisecond)
	}
	s.stamped = t
	return t
}

// seedAge is how long before the server started its seed's memberships
// were made.
const seedAge = 24 * time.Hour

// newStore builds the store from a validated seed. Its memberships were
// made a day before now, a millisecond apart in seed order.
func newStore(st State, now func() time.Time) *store {
	s := &store{nodes: map[string]object{}, byEmail: map[string]*memberRec{}, now: now, seeding: true}
	s.stamped = now().UTC().Truncate(time.Millisecond).Add(-seedAge)
	defer func() { s.seeding = false }()
	s.org = &orgRec{uuid: s.newUUID(), slug: st.Organization, name: st.Organization}
	s.index(s.org)
	for i, m := range st.Members {
		mr := s.addMember(m)
		mr.seededAt = m.CreatedAt
		mr.createdAt = m.CreatedAt.UTC()
		if m.CreatedAt.IsZero() {
			mr.createdAt = SeedMemberEpoch.Add(time.Duration(i) * time.Minute)
		}
	}
	for _, t := range st.Teams {
		tr := s.addTeam(t.Slug, orDefault(t.Name, t.Slug), t.Description, orDefault(t.Privacy, PrivacySecret), false, RoleMember, nil)
		for _, tm := range t.Members {
			s.addTeamMember(tr, s.memberByEmail(tm.Email), orDefault(tm.Role, RoleMember))
		}
	}
	for _, inv := range st.Invitations {
		var teams []*inviteTeamRec
		for _, tr := range inv.Teams {
			teams = append(teams, &inviteTeamRec{role: orDefault(tr.Role, RoleMember), team: s.teamBySlug(tr.Team)})
		}
		s.addInvitation(inv.Email, orDefault(inv.State, InvitationPending), orDefault(inv.Role, RoleMember), teams)
	}
	return s
}

// addMember adds a member whose createdAt the caller sets: the seed's, or
// the time of the event that records them joining.
func (s *store) addMember(m Member) *memberRec {
	u := &userRec{uuid: s.newUUID(), email: m.Email, name: m.Name, bot: m.Bot}
	mr := &memberRec{uuid: s.newUUID(), role: orDefault(m.Role, RoleMember), user: u, seq: s.seq}
	s.members = append(s.members, mr)
	s.byEmail[strings.ToLower(m.Email)] = mr
	s.index(u)
	s.index(mr)
	return mr
}

func (s *store) addTeam(slug, name, desc, privacy string, isDefault bool, defaultRole string, perms map[string]bool) *teamRec {
	t := &teamRec{
		uuid: s.newUUID(), slug: slug, name: name, description: desc, privacy: privacy,
		isDefault: isDefault, defaultRole: defaultRole, permissions: perms,
	}
	t.seq = s.seq
	s.teams = append(s.teams, t)
	s.index(t)
	return t
}

func (s *store) addTeamMember(t *teamRec, m *memberRec, role string) *teamMemberRec {
	tm := &teamMemberRec{uuid: s.newUUID(), role: role, member: m, team: t, createdAt: s.stamp()}
	tm.seq = s.seq
	t.members = append(t.members, tm)
	s.index(tm)
	return tm
}

func (s *store) removeTeamMember(tm *teamMemberRec) {
	t := tm.team
	for i, x := range t.members {
		if x == tm {
			t.members = append(t.members[:i:i], t.members[i+1:]...)
			break
		}
	}
	delete(s.nodes, idOf(tm))
}

func (s *store) addInvitation(email, state, role string, teams []*inviteTeamRec) *inviteRec {
	inv := &inviteRec{uuid: s.newUUID(), email: email, state: state, role: role}
	inv.seq = s.seq
	for _, it := range teams {
		it.uuid = s.newUUID()
		inv.teams = append(inv.teams, it)
		s.index(it)
	}
	s.invitations = append(s.invitations, inv)
	s.index(inv)
	return inv
}

func (s *store) memberByEmail(email string) *memberRec {
	return s.byEmail[strings.ToLower(email)]
}

// removeMember takes a member out of the organization: out of every team,
// and out of the indexes.
func (s *store) removeMember(m *memberRec) {
	for _, t := range s.teams {
		if tm := t.memberFor(m); tm != nil {
			s.removeTeamMember(tm)
		}
	}
	for i, x := range s.members {
		if x == m {
			s.members = append(s.members[:i:i], s.members[i+1:]...)
			break
		}
	}
	delete(s.byEmail, strings.ToLower(m.user.email))
	delete(s.nodes, idOf(m))
	delete(s.nodes, idOf(m.user))
}

func (s *store) teamBySlug(slug string) *teamRec {
	for _, t := range s.teams {
		if t.slug == slug {
			return t
		}
	}
	return nil
}

func (t *teamRec) memberFor(m *memberRec) *teamMemberRec {
	for _, tm := range t.members {
		if tm.member == m {
			return tm
		}
	}
	return nil
}

func (s *store) pendingInvitation(email string) *inviteRec {
	for _, inv := range s.invitations {
		if inv.state == InvitationPending && strings.EqualFold(inv.email, email) {
			return inv
		}
	}
	return nil
}

func (s *store) pendingCount() int {
	n := 0
	for _, inv := range s.invitations {
		if inv.state == InvitationPending {
			n++
		}
	}
	return n
}

// snapshot renders the store as a canonical State.
func (s *store) snapshot() State {
	st := State{Organization: s.org.slug}
	for _, m := range s.members {
		st.Members = append(st.Members, Member{Email: m.user.email, Name: m.user.name, Role: m.role, Bot: m.user.bot, CreatedAt: m.seededAt})
	}
	for _, t := range s.teams {
		tt := Team{Slug: t.slug, Name: t.name, Privacy: t.privacy, Description: t.description}
		for _, tm := range t.members {
			tt.Members = append(tt.Members, TeamMember{Email: tm.member.user.email, Role: tm.role})
		}
		st.Teams = append(st.Teams, tt)
	}
	for _, inv := range s.invitations {
		ii := Invitation{Email: inv.email, State: inv.state, Role: inv.role}
		for _, it := range inv.teams {
			ii.Teams = append(ii.Teams, TeamRole{Team: it.team.slug, Role: it.role})
		}
		st.Invitations = append(st.Invitations, ii)
	}
	return st.Canonical()
}
