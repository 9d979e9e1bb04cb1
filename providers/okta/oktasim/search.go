package oktasim

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// subject is what an expression is evaluated against: a group or a user.
type subject interface {
	// text is a string attribute's value ("" when the subject has none).
	text(attr string) string
	// at is a timestamp attribute's value.
	at(attr string) time.Time
}

// predicate is a parsed search or filter expression.
type predicate func(subject) bool

// attrKind says how an attribute compares.
type attrKind int

const (
	// attrExact: eq only, exact (ids, types, statuses).
	attrExact attrKind = iota
	// attrText: eq and sw, ignoring case (profile attributes).
	attrText
	// attrTime: eq, gt, ge, lt, le on Okta timestamps.
	attrTime
)

// schema reports the kind of each attribute an expression may name.
type schema func(attr string) (attrKind, bool)

// groupSchema is what /api/v1/groups accepts: search takes profile.name,
// profile.description, id, type and the timestamps; filter only id, type
// and the timestamps, as Okta's filter does.
func groupSchema(search bool) schema {
	return func(attr string) (attrKind, bool) {
		switch attr {
		case "id", "type":
			return attrExact, true
		case "lastUpdated", "lastMembershipUpdated", "created":
			return attrTime, true
		case "profile.name", "profile.description":
			return attrText, search
		}
		return 0, false
	}
}

// userSearchSchema is what the simulator's /api/v1/users search accepts:
// the attributes teamsync searches users by (profile.email,
// profile.login), id and status. Okta's accepts many more; a client
// needing them should fail here rather than read an answer the simulator
// made up.
func userSearchSchema(attr string) (attrKind, bool) {
	switch attr {
	case "id", "status":
		return attrExact, true
	case "profile.email", "profile.login":
		return attrText, true
	}
	return 0, false
}

// clause is one "attribute operator value" comparison.
type clause struct {
	attr, op, value string
	kind            attrKind
}

// parseExpr parses Okta's SCIM-like expressions as teamsync and its tests
// use them: comparisons joined by "and" / "or" ("and" binds tighter, so
// `profile.name eq "A" or profile.name eq "B"` is either name), no
// parentheses. A dangling, doubled or quoted conjunction is an error, and
// so is an attribute attrs does not name. Operators: eq, sw (profile
// strings, ignoring case, as Okta's search compares string values), eq
// alone for ids, types and statuses, and gt, ge, lt, le (timestamps).
func parseExpr(expr string, attrs schema) (predicate, error) {
	toks, err := tokenize(expr)
	if err != nil {
		return nil, err
	}
	var (
		ors  [][]clause
		ands []clause
	)
	for i := 0; ; {
		if len(toks)-i < 3 {
			return nil, errors.New("incomplete comparison")
		}
		c := clause{attr: toks[i].text, op: strings.ToLower(toks[i+1].text), value: toks[i+2].text}
		if toks[i].quoted || toks[i+1].quoted || !toks[i+2].quoted {
			return nil, fmt.Errorf("want attribute operator \"value\" near %q", c.attr)
		}
		kind, ok := attrs(c.attr)
		if !ok {
			return nil, fmt.Errorf("unsupported attribute %q", c.attr)
		}
		c.kind = kind
		if err := c.check(); err != nil {
			return nil, err
		}
		ands = append(ands, c)
		i += 3
		if i == len(toks) {
			break
		}
		switch conj := strings.ToLower(toks[i].text); {
		case toks[i].quoted:
			return nil, fmt.Errorf("want and/or, got a string %q", toks[i].text)
		case conj == "and":
		case conj == "or":
			ors = append(ors, ands)
			ands = nil
		default:
			return nil, fmt.Errorf("want and/or, got %q", toks[i].text)
		}
		i++
	}
	ors = append(ors, ands)
	return func(s subject) bool {
		for _, all := range ors {
			ok := true
			for _, c := range all {
				ok = ok && c.match(s)
			}
			if ok {
				return true
			}
		}
		return false
	}, nil
}

func (c clause) check() error {
	switch c.kind {
	case attrExact:
		if c.op != "eq" {
			return fmt.Errorf("%s supports only eq", c.attr)
		}
	case attrTime:
		if _, err := time.Parse(oktaTime, c.value); err != nil {
			return fmt.Errorf("%s: bad timestamp %q", c.attr, c.value)
		}
		switch c.op {
		case "eq", "gt", "ge", "lt", "le":
		default:
			return fmt.Errorf("%s does not support %s", c.attr, c.op)
		}
	case attrText:
		if c.op != "eq" && c.op != "sw" {
			return fmt.Errorf("%s supports eq and sw", c.attr)
		}
	}
	return nil
}

func (c clause) match(s subject) bool {
	switch c.kind {
	case attrExact:
		return s.text(c.attr) == c.value
	case attrText:
		v := s.text(c.attr)
		if c.op == "sw" {
			return strings.HasPrefix(strings.ToLower(v), strings.ToLower(c.value))
		}
		return strings.EqualFold(v, c.value)
	}
	at := s.at(c.attr).Truncate(time.Millisecond)
	want, _ := time.Parse(oktaTime, c.value)
	switch c.op {
	case "gt":
		return at.After(want)
	case "ge":
		return !at.Before(want)
	case "lt":
		return at.Before(want)
	case "le":
		return !at.After(want)
	}
	return at.Equal(want)
}

func (g *group) text(attr string) string {
	switch attr {
	case "id":
		return g.id
	case "type":
		return g.typ
	case "profile.name":
		return g.name
	}
	return "" // profile.description: the simulator's groups have none
}

func (g *group) at(attr string) time.Time {
	if attr == "lastMembershipUpdated" {
		return g.membership
	}
	return g.created
}

func (u simUser) text(attr string) string {
	switch attr {
	case "id":
		return u.id
	case "status":
		return u.Status
	case "profile.email":
		return u.Email
	case "profile.login":
		return u.Login
	}
	return ""
}

func (u simUser) at(string) time.Time { return time.Time{} }

type token struct {
	text   string
	quoted bool
}

// tokenize splits on spaces, keeping double-quoted strings (with \" and \\
// escapes) whole.
func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		switch {
		case s[i] == ' ':
			i++
		case s[i] == '"':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, errors.New("unterminated string")
				}
				if s[i] == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '"' {
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			toks = append(toks, token{text: b.String(), quoted: true})
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '"' {
				j++
			}
			toks = append(toks, token{text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}
