package bksim

import (
	"fmt"
	"slices"
	"strings"
)

// orgMembers answers Organization.members. The email filter is an exact
// match on the primary email compared case-insensitively (the real API's
// case handling is undocumented; matching teamsync's lower-cased emails is
// the useful choice). search is a case-insensitive substring of name or
// email; team takes a team slug ("team" or "org/team"), "!" negates it.
func (ex *execution) orgMembers(args map[string]any) (any, error) {
	email, _ := args["email"].(string)
	search := strings.ToLower(stringArg(args, "search"))
	roles := upperSet(stringList(args["role"]))
	var team *teamRec
	negate, byTeam := false, false
	if sel, ok := args["team"].(string); ok {
		byTeam = true
		sel, negate = strings.CutPrefix(sel, "!")
		if _, slug, ok := strings.Cut(sel, "/"); ok {
			sel = slug
		}
		team = ex.st.teamBySlug(sel)
	}
	var items []pageItem
	for _, m := range ex.st.members {
		u := m.user
		if email != "" && !strings.EqualFold(u.email, email) {
			continue
		}
		if search != "" && !matches(search, u.email, displayName(u)) {
			continue
		}
		if roles != nil && !roles[strings.ToUpper(m.role)] {
			continue
		}
		if byTeam {
			in := team != nil && team.memberFor(m) != nil
			if in == negate {
				continue
			}
		}
		items = append(items, pageItem{key: orderKey(args, "RECENTLY_CREATED", m.seq, displayName(u)), node: m})
	}
	return ex.paginate("Organization.members", "OrganizationMemberConnection", items, args)
}

// orgTeams answers Organization.teams, ordered by name by default. user
// takes a user UUID, "!" negates it.
func (ex *execution) orgTeams(args map[string]any) (any, error) {
	search := strings.ToLower(stringArg(args, "search"))
	privacy := upperSet(stringList(args["privacy"]))
	userSel, byUser := args["user"].(string)
	userSel, negate := strings.CutPrefix(userSel, "!")
	var items []pageItem
	for _, t := range ex.st.teams {
		if search != "" && !matches(search, t.name, t.slug) {
			continue
		}
		if privacy != nil && !privacy[strings.ToUpper(t.privacy)] {
			continue
		}
		if byUser {
			in := slices.ContainsFunc(t.members, func(tm *teamMemberRec) bool { return tm.member.user.uuid == userSel })
			if in == negate {
				continue
			}
		}
		items = append(items, pageItem{key: orderKey(args, "NAME", t.seq, t.name), node: t})
	}
	return ex.paginate("Organization.teams", "TeamConnection", items, args)
}

// orgInvitations answers Organization.invitations, newest first by
// default; order EMAIL sorts by email.
func (ex *execution) orgInvitations(args map[string]any) (any, error) {
	states := upperSet(stringList(args["state"]))
	var items []pageItem
	for _, inv := range ex.st.invitations {
		if states != nil && !states[strings.ToUpper(inv.state)] {
			continue
		}
		key := orderKey(args, "RECENTLY_CREATED", inv.seq, inv.email)
		if args["order"] == "EMAIL" {
			key = orderKey(map[string]any{"order": "NAME"}, "", inv.seq, inv.email)
		}
		items = append(items, pageItem{key: key, node: inv})
	}
	return ex.paginate("Organization.invitations", "OrganizationInvitationConnection", items, args)
}

// teamMembers answers Team.members, newest first by default.
func (ex *execution) teamMembers(t *teamRec, args map[string]any) (any, error) {
	search := strings.ToLower(stringArg(args, "search"))
	roles := upperSet(stringList(args["role"]))
	var items []pageItem
	for _, tm := range t.members {
		u := tm.member.user
		if search != "" && !matches(search, u.email, displayName(u)) {
			continue
		}
		if roles != nil && !roles[strings.ToUpper(tm.role)] {
			continue
		}
		items = append(items, pageItem{key: orderKey(args, "RECENTLY_CREATED", tm.seq, displayName(u)), node: tm})
	}
	return ex.paginate("Team.members", "TeamMemberConnection", items, args)
}

func displayName(u *userRec) string {
	v, _ := userField(u, "name")
	return fmt.Sprint(v)
}

func stringArg(args map[string]any, name string) string {
	s, _ := args[name].(string)
	return s
}

func matches(needle string, hay ...string) bool {
	for _, h := range hay {
		if strings.Contains(strings.ToLower(h), needle) {
			return true
		}
	}
	return false
}

// upperSet is nil for an absent filter, else the set of upper-cased values.
func upperSet(vals []string) map[string]bool {
	if vals == nil {
		return nil
	}
	set := map[string]bool{}
	for _, v := range vals {
		set[strings.ToUpper(v)] = true
	}
	return set
}
