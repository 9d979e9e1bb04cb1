package buildkite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/teamsync/teamsync/sync/model"
)

// ReadPeople reads every member of the organization, bots included (with
// Bot set), by normalised email, with their organization role and when
// they joined, and the User ID of the token's own user. Offboarding and the
// access review need the whole organization, which ReadOrg does not read.
//
// It costs a request per page of members (up to 500) and about two actual
// complexity points per member. The result is all or nothing: a page that
// fails or does not have the shape asked for (a null member, a member
// without a user or email, a role other than ADMIN or MEMBER), or two
// users with one email, fail the read, since a person missing from the
// list must never read as a person who left.
func (c *Client) ReadPeople(ctx context.Context) (*model.People, error) {
	p, err := c.readPeople(ctx)
	return p, c.secrets.Error(err)
}

// peoplePage is one page of OrgPeople's members.
type peoplePage struct {
	PageInfo *pageInfo    `json:"pageInfo"`
	Edges    []memberEdge `json:"edges"`
}

func (c *Client) readPeople(ctx context.Context) (*model.People, error) {
	var resp struct {
		Viewer       json.RawMessage `json:"viewer"`
		Organization *struct {
			Members *peoplePage `json:"members"`
		} `json:"organization"`
	}
	first, err := largestFirst(opOrgPeople, map[string]any{"viewer": true}, "first", c.pageSize)
	if err != nil {
		return nil, fmt.Errorf("buildkite: size organization members page: %w", err)
	}
	people := &model.People{Members: make(map[string]model.Member)}
	after := ""
	for page := 1; ; page++ {
		resp.Viewer, resp.Organization = nil, nil
		vars := map[string]any{"org": c.org, "first": first, "after": optionalCursor(after), "viewer": page == 1}
		pctx := withProgress(ctx, fmt.Sprintf("read %d organization members", len(people.Members)))
		if _, err := c.run(pctx, opOrgPeople, vars, &resp); err != nil {
			return nil, fmt.Errorf("buildkite: read organization members (page %d): %w", page, err)
		}
		if page == 1 {
			if people.ViewerUserID, err = viewerUserID(resp.Viewer); err != nil {
				return nil, fmt.Errorf("buildkite: read organization members (page %d): %w", page, err)
			}
		}
		o := resp.Organization
		if o == nil {
			return nil, fmt.Errorf("buildkite: organization %q not found or not visible to this token", c.org)
		}
		if err := o.Members.check(); err != nil {
			return nil, fmt.Errorf("buildkite: read organization members (page %d): %w", page, err)
		}
		for _, e := range o.Members.Edges {
			m := e.Node.member()
			prev, dup := people.Members[m.Email]
			switch {
			case dup && prev.UserID != m.UserID:
				// Which of the two is the person the IdP means cannot be
				// told: neither may be offboarded on a guess.
				return nil, fmt.Errorf("buildkite: read organization members (page %d): two users share the email %s", page, m.Email)
			case dup && prev.ID != m.ID:
				return nil, fmt.Errorf("buildkite: read organization members (page %d): %w", page, malformed("user %s is two members", m.UserID))
			}
			people.Members[m.Email] = m
		}
		if after, err = o.Members.PageInfo.next(after); err != nil {
			return nil, fmt.Errorf("buildkite: read organization members (page %d): %w", page, err)
		}
		if after == "" {
			return people, nil
		}
	}
}

// viewerUserID reads the token's user from OrgPeople's viewer. A token
// always belongs to a user: an answer that names none is malformed, and
// never read as "no one to spare".
func viewerUserID(raw json.RawMessage) (string, error) {
	var v struct {
		User *struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	found, err := present(raw, "viewer", &v)
	switch {
	case err != nil:
		return "", err
	case !found || v.User == nil || v.User.ID == "":
		return "", malformed("the viewer has no user ID")
	}
	return v.User.ID, nil
}

// check refuses a page that does not have the shape asked for. Unlike a
// lookup, which skips a member whose user it cannot see, every member
// must be whole: the list stands for the organization.
func (p *peoplePage) check() error {
	if p == nil || p.PageInfo == nil {
		return malformed("members are not a connection")
	}
	if err := checkMembers(p.Edges); err != nil {
		return err
	}
	for _, e := range p.Edges {
		if e.Node.User == nil {
			return malformed("a member without a user")
		}
	}
	return nil
}

// memberNode is one OrganizationMember as the member reads ask for it.
type memberNode struct {
	ID        string    `json:"id"`
	Role      string    `json:"role"`
	CreatedAt string    `json:"createdAt"`
	User      *userNode `json:"user"`
}

// member turns a checked node with a user into a model.Member, its email
// normalised.
func (n *memberNode) member() model.Member {
	created, _ := time.Parse(time.RFC3339Nano, n.CreatedAt) // checked
	return model.Member{
		ID:        n.ID,
		UserID:    n.User.ID,
		Email:     model.NormalizeEmail(n.User.Email),
		Name:      n.User.Name,
		Role:      model.OrgRole(strings.ToLower(n.Role)),
		Bot:       n.User.Bot,
		CreatedAt: created,
	}
}

// validOrgRole reports whether r is an OrganizationMemberRole teamsync
// knows; any other is a malformed answer, not a guess.
func validOrgRole(r string) bool { return r == "ADMIN" || r == "MEMBER" }
