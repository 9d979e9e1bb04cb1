package bksim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// connection is one page of a Relay connection.
type connection struct {
	typ   string
	edges []object // *edge
	total int
	info  *pageInfo
}

type edge struct {
	typ, cursor string
	node        object
}

type pageInfo struct {
	hasNext, hasPrev bool
	start, end       string
}

func (c *connection) typeName() string { return c.typ }
func (e *edge) typeName() string       { return e.typ }
func (*pageInfo) typeName() string     { return "PageInfo" }

func (c *connection) field(name string) (any, error) {
	switch name {
	case "count":
		return c.total, nil
	case "edges":
		return c.edges, nil
	case "pageInfo":
		return c.info, nil
	}
	return nil, errNotImplemented(c.typ, name)
}

func (e *edge) field(name string) (any, error) {
	switch name {
	case "cursor":
		return e.cursor, nil
	case "node":
		return e.node, nil
	}
	return nil, errNotImplemented(e.typ, name)
}

func (p *pageInfo) field(name string) (any, error) {
	switch name {
	case "hasNextPage":
		return p.hasNext, nil
	case "hasPreviousPage":
		return p.hasPrev, nil
	case "startCursor":
		if p.start == "" {
			return nil, nil
		}
		return p.start, nil
	case "endCursor":
		if p.end == "" {
			return nil, nil
		}
		return p.end, nil
	}
	return nil, errNotImplemented("PageInfo", name)
}

// pageItem is a node with its sort key; keys sort ascending in the
// connection's order and are unique, so a cursor (the key of the last item
// seen) stays valid when items are added or removed between pages.
type pageItem struct {
	key  string
	node object
}

// orderKey builds the sort key for an order argument value: newest first
// for RECENTLY_CREATED, else by lower-cased name (ties by creation).
func orderKey(args map[string]any, def string, seq int, name string) string {
	order, _ := args["order"].(string)
	if order == "" {
		order = def
	}
	if order == "RECENTLY_CREATED" {
		return fmt.Sprintf("%010d", math.MaxInt32-seq)
	}
	return strings.ToLower(name) + "\x00" + fmt.Sprintf("%010d", seq)
}

func encodeCursor(key string) string {
	return base64.StdEncoding.EncodeToString([]byte("bksim:" + key))
}

func decodeCursor(c string) (string, bool) {
	raw, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return "", false
	}
	return strings.CutPrefix(string(raw), "bksim:")
}

// paginate sorts items and cuts the page that first/after ask for. field
// is "Type.field", for error messages.
func (ex *execution) paginate(field, connTyp string, items []pageItem, args map[string]any) (any, error) {
	_, fieldName, _ := strings.Cut(field, ".")
	sort.SliceStable(items, func(i, j int) bool { return items[i].key < items[j].key })
	first := min(DefaultPageMax, ex.s.pageMax)
	if v, ok := args["first"]; ok {
		n, err := toInt(v)
		if err != nil {
			return nil, fmt.Errorf("Argument 'first' on Field '%s' has an invalid value: %w", fieldName, err)
		}
		first = n
	}
	if first < 0 || first > ex.s.pageMax {
		return nil, fmt.Errorf("Argument 'first' on Field '%s' has an invalid value (%d). Expected a value between 0 and %d.", fieldName, first, ex.s.pageMax)
	}
	start := 0
	if v, ok := args["after"]; ok {
		s, _ := v.(string)
		key, ok := decodeCursor(s)
		if !ok {
			return nil, fmt.Errorf("Argument 'after' on Field '%s' is not a valid cursor", fieldName)
		}
		start = sort.Search(len(items), func(i int) bool { return items[i].key > key })
	}
	end := min(start+first, len(items))
	edgeTyp := strings.TrimSuffix(connTyp, "Connection") + "Edge"
	c := &connection{typ: connTyp, total: len(items), info: &pageInfo{hasNext: end < len(items), hasPrev: start > 0}}
	for _, it := range items[start:end] {
		c.edges = append(c.edges, &edge{typ: edgeTyp, cursor: encodeCursor(it.key), node: it.node})
	}
	if len(c.edges) > 0 {
		c.info.start = c.edges[0].(*edge).cursor
		c.info.end = c.edges[len(c.edges)-1].(*edge).cursor
	}
	if c.edges == nil {
		c.edges = []object{}
	}
	return c, nil
}

// toInt accepts the number shapes that arguments arrive in.
func toInt(v any) (int, error) {
	switch n := v.(type) {
	case int:
		return n, nil
	case int64:
		return int(n), nil
	case int32:
		return int(n), nil
	case float64:
		if n != math.Trunc(n) {
			return 0, fmt.Errorf("%v is not an integer", n)
		}
		return int(n), nil
	case json.Number:
		i, err := n.Int64()
		return int(i), err
	case string:
		var i int
		_, err := fmt.Sscan(n, &i)
		return i, err
	}
	return 0, fmt.Errorf("%v is not an integer", v)
}

// stringList reads a list argument of strings (enums arrive as strings).
// A single value is accepted as a one-element list, as GraphQL coerces it.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}
