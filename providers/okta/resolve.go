package okta

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	oktasdk "github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"
)

// groupIDPattern is the shape of an Okta group ID. Only names of this
// shape are tried as IDs, which also keeps them safe in the URL path the
// SDK builds without escaping.
var groupIDPattern = regexp.MustCompile(`^00g[0-9A-Za-z]{17}$`)

// typeBuiltIn is Okta's type for groups it manages itself, like Everyone.
const typeBuiltIn = "BUILT_IN"

// resolve finds the group written as name in the mapping: by ID when name
// has the shape of one and a group has it, else by exact name, from what
// Prepare found when it covered name and by a search of its own otherwise.
func (s *source) resolve(ctx context.Context, name string) (*oktasdk.Group, error) {
	looksLikeID := groupIDPattern.MatchString(name)
	if looksLikeID {
		g, resp, err := s.client.Group.GetGroup(ctx, name)
		switch {
		case err == nil && g == nil:
			// The SDK reads an answer it cannot decode as no group and
			// no error.
			return nil, fmt.Errorf("okta: get group %q: the answer holds no group", name)
		case err == nil:
			return accept(name, g)
		case !notFound(resp, err):
			return nil, fmt.Errorf("okta: get group %q: %w", name, clean(resp, err))
		}
	}
	m, ok := s.names.get(name)
	if !ok {
		groups, err := s.searchGroups(ctx, nameClause(name))
		if err != nil {
			return nil, fmt.Errorf("okta: find group %q: %w", name, err)
		}
		m = matchName(name, groups)
	}
	if m.err != nil {
		return nil, fmt.Errorf("okta: find group %q: %w", name, m.err)
	}
	return m.pick(name, looksLikeID)
}

// nameMatches is what a name search found for one name. Okta's eq ignores
// case, so a search also returns groups whose names differ only in case;
// they are kept to say so when no name is exact. err is set instead when
// the search got no answer.
type nameMatches struct {
	exact, caseOnly []*oktasdk.Group
	err             error
}

// matchName sorts the groups a search returned by how their names compare
// with name; groups whose names are neither are dropped.
func matchName(name string, groups []*oktasdk.Group) nameMatches {
	var m nameMatches
	for _, g := range groups {
		switch gn := groupName(g); {
		case gn == name:
			m.exact = append(m.exact, g)
		case strings.EqualFold(gn, name):
			m.caseOnly = append(m.caseOnly, g)
		}
	}
	return m
}

// pick returns the one group exactly named name, or the error that says
// why there is none: absent, ambiguous or BUILT_IN.
func (m nameMatches) pick(name string, looksLikeID bool) (*oktasdk.Group, error) {
	switch len(m.exact) {
	case 1:
		return accept(name, m.exact[0])
	case 0:
		msg := "no group has this exact name"
		if looksLikeID {
			msg = "no group has this ID or exact name"
		}
		if len(m.caseOnly) > 0 {
			msg += fmt.Sprintf(" (names differ only in case: %s)", quoteNames(m.caseOnly))
		}
		return nil, &groupError{group: name, msg: msg, kind: ErrGroupNotFound}
	}
	ids := make([]string, 0, len(m.exact))
	for _, g := range m.exact {
		ids = append(ids, g.Id)
	}
	sort.Strings(ids)
	return nil, &groupError{group: name, kind: ErrGroupAmbiguous,
		msg: fmt.Sprintf("%d groups have this exact name (%s); name one by its ID", len(m.exact), strings.Join(ids, ", "))}
}

// accept refuses BUILT_IN groups: Everyone holds every user in the org,
// service accounts included, and is never a team.
func accept(name string, g *oktasdk.Group) (*oktasdk.Group, error) {
	if g.Type == typeBuiltIn {
		return nil, &groupError{group: name, kind: ErrGroupRefused,
			msg: "BUILT_IN groups such as Everyone are never synced; name an OKTA_GROUP or APP_GROUP"}
	}
	return g, nil
}

// searchGroups lists, to the last page, the groups an Okta search
// expression matches. Never q: it matches prefixes and cannot be paged.
func (s *source) searchGroups(ctx context.Context, expr string) ([]*oktasdk.Group, error) {
	qp := query.NewQueryParams(query.WithSearch(expr), query.WithLimit(pageSize))
	groups, resp, err := s.client.Group.ListGroups(ctx, qp)
	if err != nil {
		return nil, clean(resp, err)
	}
	seen := map[string]bool{}
	for resp.HasNextPage() {
		if seen[resp.NextPage] {
			return nil, errors.New("pagination loops: a next link repeats")
		}
		seen[resp.NextPage] = true
		var page []*oktasdk.Group
		if resp, err = resp.Next(ctx, &page); err != nil {
			return nil, clean(resp, err)
		}
		groups = append(groups, page...)
	}
	return groups, nil
}

// nameClause is the search comparison for groups named name, in any case.
func nameClause(name string) string {
	return `profile.name eq "` + quoteSearch(name) + `"`
}

// quoteSearch escapes a value for a double-quoted string in an Okta search
// expression.
func quoteSearch(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v)
}

func groupName(g *oktasdk.Group) string {
	if g == nil || g.Profile == nil {
		return ""
	}
	return g.Profile.Name
}

func quoteNames(groups []*oktasdk.Group) string {
	names := make([]string, 0, len(groups))
	for _, g := range groups {
		names = append(names, fmt.Sprintf("%q", groupName(g)))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// notFound reports whether the SDK's answer is Okta's 404.
func notFound(resp *oktasdk.Response, err error) bool {
	var oe *oktasdk.Error
	if !errors.As(err, &oe) {
		return false
	}
	return oe.ErrorCode == "E0000007" || (resp != nil && resp.Response != nil && resp.StatusCode == 404)
}
