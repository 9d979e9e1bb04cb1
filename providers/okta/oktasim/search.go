package oktasim

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// predicate is a parsed search or filter expression.
type predicate func(g *group) bool

// clause is one "attribute operator value" comparison.
type clause struct {
	attr, op, value string
}

// parseExpr parses Okta's SCIM-like expressions as teamsync and its tests
// use them: comparisons joined by "and" / "or" ("and" binds tighter, so
// `profile.name eq "A" or profile.name eq "B"` is either name), no
// parentheses. A dangling, doubled or quoted conjunction is an error. search accepts profile.name, profile.description, id, type
// and the timestamps; filter accepts only id, type and the timestamps, as
// Okta's filter does. Operators: eq, sw (strings), gt, ge, lt, le
// (timestamps). Profile comparisons ignore case.
func parseExpr(expr string, search bool) (predicate, error) {
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
		if err := c.check(search); err != nil {
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
	return func(g *group) bool {
		for _, all := range ors {
			ok := true
			for _, c := range all {
				ok = ok && c.match(g)
			}
			if ok {
				return true
			}
		}
		return false
	}, nil
}

func (c clause) check(search bool) error {
	switch c.attr {
	case "id", "type":
		if c.op != "eq" {
			return fmt.Errorf("%s supports only eq", c.attr)
		}
	case "lastUpdated", "lastMembershipUpdated", "created":
		if _, err := time.Parse(oktaTime, c.value); err != nil {
			return fmt.Errorf("%s: bad timestamp %q", c.attr, c.value)
		}
		switch c.op {
		case "eq", "gt", "ge", "lt", "le":
		default:
			return fmt.Errorf("%s does not support %s", c.attr, c.op)
		}
	case "profile.name", "profile.description":
		if !search {
			return fmt.Errorf("filter does not support %s", c.attr)
		}
		if c.op != "eq" && c.op != "sw" {
			return fmt.Errorf("%s supports eq and sw", c.attr)
		}
	default:
		return fmt.Errorf("unsupported attribute %q", c.attr)
	}
	return nil
}

func (c clause) match(g *group) bool {
	switch c.attr {
	case "id":
		return g.id == c.value
	case "type":
		return g.typ == c.value
	case "profile.name":
		if c.op == "sw" {
			return strings.HasPrefix(strings.ToLower(g.name), strings.ToLower(c.value))
		}
		return strings.EqualFold(g.name, c.value)
	case "profile.description":
		return c.value == "" // the simulator's groups have no description
	}
	at := g.created
	if c.attr == "lastMembershipUpdated" {
		at = g.membership
	}
	want, _ := time.Parse(oktaTime, c.value)
	at = at.Truncate(time.Millisecond)
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
