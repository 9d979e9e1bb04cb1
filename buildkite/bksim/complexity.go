package bksim

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// requested computes the operation's requested complexity and depth by
// Buildkite's documented model: scalars and enums cost 0, every object 1,
// a connection's edges 1, and everything under edges.node is multiplied by
// the connection's page size (first, or the default page size).
// Fragments are all counted, whatever their type condition, so the figure
// is an upper bound like the real one.
func (ex *execution) requested() (cost, depth int) {
	return ex.selectionCost(ex.op.SelectionSet, 1, 1, map[string]bool{})
}

func (ex *execution) selectionCost(sel ast.SelectionSet, mult, level int, visiting map[string]bool) (cost, depth int) {
	for _, f := range ex.flatten(sel, visiting) {
		c, d := ex.fieldCost(f, mult, level, visiting)
		cost += c
		depth = max(depth, d)
	}
	return cost, depth
}

// maxCostLevel stops the walk of a query whose fragments nest without end
// (possible only without schema validation); depth rejects it anyway.
const maxCostLevel = 64

// fieldCost is the cost of f (at nesting level) and of everything below it.
func (ex *execution) fieldCost(f *ast.Field, mult, level int, visiting map[string]bool) (cost, depth int) {
	depth = level
	if len(f.SelectionSet) == 0 || level > maxCostLevel {
		return 0, depth
	}
	cost = mult
	if !ex.isConnection(f) {
		c, d := ex.selectionCost(f.SelectionSet, mult, level+1, visiting)
		return cost + c, max(depth, d)
	}
	page := ex.pageSize(f)
	for _, child := range ex.flatten(f.SelectionSet, visiting) {
		if child.Name != "edges" {
			c, d := ex.fieldCost(child, mult, level+1, visiting)
			cost += c
			depth = max(depth, d)
			continue
		}
		depth = max(depth, level+1)
		if len(child.SelectionSet) == 0 {
			continue
		}
		cost += mult
		for _, g := range ex.flatten(child.SelectionSet, visiting) {
			m := mult
			if g.Name == "node" {
				m = mult * page
			}
			c, d := ex.fieldCost(g, m, level+2, visiting)
			cost += c
			depth = max(depth, d)
		}
	}
	return cost, depth
}

// flatten lists the fields of a selection set with fragments expanded.
func (ex *execution) flatten(sel ast.SelectionSet, visiting map[string]bool) []*ast.Field {
	var out []*ast.Field
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if ex.included(s.Directives) {
				out = append(out, s)
			}
		case *ast.InlineFragment:
			if ex.included(s.Directives) {
				out = append(out, ex.flatten(s.SelectionSet, visiting)...)
			}
		case *ast.FragmentSpread:
			def := ex.doc.Fragments.ForName(s.Name)
			if def == nil || visiting[s.Name] || !ex.included(s.Directives) {
				continue
			}
			visiting[s.Name] = true
			out = append(out, ex.flatten(def.SelectionSet, visiting)...)
			delete(visiting, s.Name)
		}
	}
	return out
}

// isConnection uses the schema's type name when the query was validated,
// else the connection fields the simulator serves.
func (ex *execution) isConnection(f *ast.Field) bool {
	if f.Definition != nil {
		return strings.HasSuffix(f.Definition.Type.Name(), "Connection")
	}
	switch f.Name {
	case "members", "teams", "invitations":
		return true
	}
	return false
}

// pageSize is the `first` a connection field asks for, or the default.
func (ex *execution) pageSize(f *ast.Field) int {
	if a := f.Arguments.ForName("first"); a != nil {
		if v, err := a.Value.Value(ex.vars); err == nil && v != nil {
			if n, err := toInt(v); err == nil && n >= 0 {
				return n
			}
		}
	}
	return min(DefaultPageMax, ex.s.pageMax)
}
