package bksim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// gqlError is one entry of a response's "errors".
type gqlError struct {
	Message   string        `json:"message"`
	Locations []errLocation `json:"locations,omitempty"`
	Path      []any         `json:"path,omitempty"`
}

type errLocation struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

func fromGQLErrors(list gqlerror.List) []gqlError {
	out := make([]gqlError, 0, len(list))
	for _, e := range list {
		g := gqlError{Message: e.Message}
		for _, l := range e.Locations {
			g.Locations = append(g.Locations, errLocation{Line: l.Line, Column: l.Column})
		}
		for _, p := range e.Path {
			switch p := p.(type) {
			case ast.PathName:
				g.Path = append(g.Path, string(p))
			case ast.PathIndex:
				g.Path = append(g.Path, int(p))
			}
		}
		out = append(out, g)
	}
	return out
}

func msgErrors(format string, args ...any) []gqlError {
	return []gqlError{{Message: fmt.Sprintf(format, args...)}}
}

// rootQuery and rootMutation are the operation roots.
type (
	rootQuery    struct{}
	rootMutation struct{}
)

func (rootQuery) typeName() string    { return "Query" }
func (rootMutation) typeName() string { return "Mutation" }

// execution is one operation being run against the store.
type execution struct {
	s      *Server
	st     *store
	doc    *ast.QueryDocument
	op     *ast.OperationDefinition
	vars   map[string]any
	errs   []gqlError
	actual int
	// failField, when set, makes every top-level field of that name fail
	// with failMessage (a 200-status fault).
	failField, failMessage string
	// collected caches field collection per object type and selection set:
	// a page of 500 nodes collects the same selection 500 times.
	collected map[collectKey][]collectedField
}

type collectKey struct {
	typ   string
	first ast.Selection
	n     int
}

// prepare parses, validates and picks the operation. rejected reports a
// validation failure (as opposed to a malformed request).
func (s *Server) prepare(req gqlRequest) (ex *execution, errs []gqlError, rejected bool) {
	if strings.TrimSpace(req.Query) == "" {
		return nil, msgErrors("No query string was present"), false
	}
	var doc *ast.QueryDocument
	if s.schema != nil {
		var list gqlerror.List
		doc, list = gqlparser.LoadQueryWithRules(s.schema, req.Query, nil)
		if len(list) > 0 {
			return nil, fromGQLErrors(list), true
		}
	} else {
		var err error
		doc, err = parser.ParseQuery(&ast.Source{Input: req.Query})
		if err != nil {
			if ge, ok := err.(*gqlerror.Error); ok {
				return nil, fromGQLErrors(gqlerror.List{ge}), true
			}
			return nil, msgErrors("%s", err.Error()), true
		}
	}
	var op *ast.OperationDefinition
	switch {
	case req.OperationName != "":
		op = doc.Operations.ForName(req.OperationName)
		if op == nil {
			return nil, msgErrors("Unknown operation named %q.", req.OperationName), false
		}
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	case len(doc.Operations) == 0:
		return nil, msgErrors("No operations in query document."), false
	default:
		return nil, msgErrors("An operation name is required when the document contains more than one operation."), false
	}
	if op.Operation == ast.Subscription {
		return nil, msgErrors("simulator does not implement subscriptions"), false
	}
	vars, verrs := s.coerceVariables(op, req.Variables)
	if verrs != nil {
		return nil, verrs, false
	}
	return &execution{s: s, st: s.st, doc: doc, op: op, vars: vars}, nil, false
}

// coerceVariables checks variables against the schema when there is one,
// and applies declared defaults either way.
func (s *Server) coerceVariables(op *ast.OperationDefinition, in map[string]any) (map[string]any, []gqlError) {
	if s.schema != nil {
		vars, err := validator.VariableValues(s.schema, op, in)
		if err != nil {
			if ge, ok := err.(*gqlerror.Error); ok {
				return nil, fromGQLErrors(gqlerror.List{ge})
			}
			return nil, msgErrors("%s", err.Error())
		}
		return vars, nil
	}
	vars := map[string]any{}
	for k, v := range in {
		vars[k] = v
	}
	for _, d := range op.VariableDefinitions {
		if _, ok := vars[d.Variable]; ok || d.DefaultValue == nil {
			continue
		}
		v, err := d.DefaultValue.Value(nil)
		if err != nil {
			return nil, msgErrors("variable $%s: %s", d.Variable, err.Error())
		}
		vars[d.Variable] = v
	}
	return vars, nil
}

// rootFields lists the top-level field names (not aliases) of the operation.
func (ex *execution) rootFields() []string {
	var names []string
	for _, c := range ex.collect(ex.root().typeName(), ex.op.SelectionSet, nil, map[string]bool{}) {
		names = append(names, c.fields[0].Name)
	}
	return names
}

func (ex *execution) root() object {
	if ex.op.Operation == ast.Mutation {
		return rootMutation{}
	}
	return rootQuery{}
}

// run executes the operation and returns the "data" value.
func (ex *execution) run() json.RawMessage {
	data, ok := ex.selectFields(ex.root(), ex.op.SelectionSet, nil)
	if !ok {
		return json.RawMessage("null")
	}
	var b bytes.Buffer
	if err := writeValue(&b, data); err != nil {
		ex.errs = append(ex.errs, gqlError{Message: "simulator: encode result: " + err.Error()})
		return json.RawMessage("null")
	}
	return b.Bytes()
}

// collectedField is one response key with every field selected under it.
type collectedField struct {
	key    string
	fields []*ast.Field
}

// collect gathers the fields selected on an object of type typ, expanding
// fragments and honouring @skip/@include, keeping first-seen order.
func (ex *execution) collect(typ string, sel ast.SelectionSet, out []collectedField, visited map[string]bool) []collectedField {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if !ex.included(s.Directives) {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			found := false
			for i := range out {
				if out[i].key == key {
					out[i].fields = append(out[i].fields, s)
					found = true
					break
				}
			}
			if !found {
				out = append(out, collectedField{key: key, fields: []*ast.Field{s}})
			}
		case *ast.FragmentSpread:
			if !ex.included(s.Directives) || visited[s.Name] {
				continue
			}
			visited[s.Name] = true
			def := ex.doc.Fragments.ForName(s.Name)
			if def == nil || !ex.applies(def.TypeCondition, typ) {
				continue
			}
			out = ex.collect(typ, def.SelectionSet, out, visited)
		case *ast.InlineFragment:
			if !ex.included(s.Directives) {
				continue
			}
			if s.TypeCondition != "" && !ex.applies(s.TypeCondition, typ) {
				continue
			}
			out = ex.collect(typ, s.SelectionSet, out, visited)
		}
	}
	return out
}

// included evaluates @skip and @include.
func (ex *execution) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		a := d.Arguments.ForName("if")
		if a == nil {
			continue
		}
		v, _ := a.Value.Value(ex.vars)
		b, _ := v.(bool)
		if d.Name == "skip" && b || d.Name == "include" && !b {
			return false
		}
	}
	return true
}

// applies reports whether a fragment on cond applies to an object of typ.
func (ex *execution) applies(cond, typ string) bool {
	if cond == typ {
		return true
	}
	if sc := ex.s.schema; sc != nil {
		if def := sc.Types[cond]; def != nil {
			for _, p := range sc.GetPossibleTypes(def) {
				if p.Name == typ {
					return true
				}
			}
		}
		return false
	}
	switch cond {
	case "Node":
		return typ != "PageInfo" && !strings.HasSuffix(typ, "Connection") && !strings.HasSuffix(typ, "Edge") && !strings.HasSuffix(typ, "Payload")
	case "Connection":
		return strings.HasSuffix(typ, "Connection")
	}
	return false
}

func (ex *execution) collectCached(typ string, sel ast.SelectionSet) []collectedField {
	if len(sel) == 0 {
		return nil
	}
	key := collectKey{typ: typ, first: sel[0], n: len(sel)}
	if c, ok := ex.collected[key]; ok {
		return c
	}
	c := ex.collect(typ, sel, nil, map[string]bool{})
	if ex.collected == nil {
		ex.collected = map[collectKey][]collectedField{}
	}
	ex.collected[key] = c
	return c
}

// selectFields resolves a selection set on obj. ok is false when a
// non-null field failed, so obj itself must become null.
func (ex *execution) selectFields(obj object, sel ast.SelectionSet, path []any) (*orderedMap, bool) {
	m := &orderedMap{}
	for _, c := range ex.collectCached(obj.typeName(), sel) {
		f := c.fields[0]
		p := append(path[:len(path):len(path)], c.key)
		if f.Name == "__typename" {
			m.set(c.key, obj.typeName())
			continue
		}
		v, ok := ex.field(obj, c, p)
		if !ok {
			return nil, false
		}
		m.set(c.key, v)
	}
	return m, true
}

// field resolves and completes one response key. ok is false when the
// field is non-null and came out null.
func (ex *execution) field(obj object, c collectedField, path []any) (any, bool) {
	f := c.fields[0]
	nonNull := f.Definition != nil && f.Definition.Type.NonNull
	sel := f.SelectionSet
	if len(c.fields) > 1 {
		// Merged selections are rebuilt per call, so they miss the cache;
		// they are rare (the same key selected twice).
		sel = nil
		for _, cf := range c.fields {
			sel = append(sel, cf.SelectionSet...)
		}
	}
	val, err := ex.resolveField(obj, f, path)
	if err != nil {
		ex.addError(err.Error(), f, path)
		return nil, !nonNull
	}
	return ex.complete(val, f, sel, path, nonNull)
}

func (ex *execution) resolveField(obj object, f *ast.Field, path []any) (any, error) {
	if len(path) == 1 && ex.failField != "" && f.Name == ex.failField {
		return nil, fmt.Errorf("%s", ex.failMessage)
	}
	var args map[string]any
	if len(f.Arguments) > 0 {
		args = make(map[string]any, len(f.Arguments))
	}
	for _, a := range f.Arguments {
		v, err := a.Value.Value(ex.vars)
		if err != nil {
			return nil, fmt.Errorf("argument %s: %w", a.Name, err)
		}
		if v != nil {
			args[a.Name] = v
		}
	}
	if err := checkArgs(obj.typeName(), f.Name, args); err != nil {
		return nil, err
	}
	return ex.resolve(obj, f.Name, args)
}

// complete turns a resolved value into its response form.
func (ex *execution) complete(val any, f *ast.Field, sel ast.SelectionSet, path []any, nonNull bool) (any, bool) {
	switch v := val.(type) {
	case nil:
		if nonNull {
			ex.addError(fmt.Sprintf("Cannot return null for non-nullable field %s", f.Name), f, path)
		}
		return nil, !nonNull
	case object:
		ex.actual++
		m, ok := ex.selectFields(v, sel, path)
		if !ok {
			return nil, !nonNull
		}
		return m, true
	case []object:
		// Buildkite charges a connection's edges once; each node counts.
		edges := f.Name == "edges"
		if edges {
			ex.actual++
		}
		itemNonNull := f.Definition != nil && f.Definition.Type.Elem != nil && f.Definition.Type.Elem.NonNull
		list := make([]any, 0, len(v))
		for i, item := range v {
			if edges {
				ex.actual--
			}
			iv, ok := ex.complete(item, f, sel, append(path[:len(path):len(path)], i), itemNonNull)
			if !ok {
				return nil, !nonNull
			}
			list = append(list, iv)
		}
		return list, true
	}
	return val, true
}

func (ex *execution) addError(msg string, f *ast.Field, path []any) {
	e := gqlError{Message: msg, Path: append([]any(nil), path...)}
	if f != nil && f.Position != nil {
		e.Locations = []errLocation{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	ex.errs = append(ex.errs, e)
}

// orderedMap is a JSON object that keeps insertion order.
type orderedMap struct {
	keys []string
	vals []any
}

func (m *orderedMap) set(k string, v any) {
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
}

// MarshalJSON writes the members in insertion order.
func (m *orderedMap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	err := writeValue(&b, m)
	return b.Bytes(), err
}

// writeValue encodes a result tree in one pass; nesting json.Marshaler
// values instead would re-validate every level and go quadratic.
func writeValue(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case *orderedMap:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValue(b, k); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := writeValue(b, v.vals[i]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
		return nil
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValue(b, x); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}
