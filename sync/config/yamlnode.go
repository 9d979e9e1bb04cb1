package config

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxExpandedNodes bounds how many nodes a file may reach once its aliases
// are followed, so a few lines of nested aliases cannot make loading slow.
// The same bound holds for the file as written: a mapping that large (a
// hundred thousand teams or so) is a generated file gone wrong, not a
// mapping.
const maxExpandedNodes = 1 << 20

// YAML short tags the decoder looks at.
const (
	tagStr   = "!!str"
	tagInt   = "!!int"
	tagFloat = "!!float"
	tagBool  = "!!bool"
	tagNull  = "!!null"
	tagMerge = "!!merge"
)

// decoder turns the node tree of one mapping file into a Mapping, recording
// every problem instead of stopping at the first.
type decoder struct {
	*collector
}

// document parses data into the root node of its single YAML document. It
// returns nil when there is nothing to decode; the reason is recorded.
func (d *decoder) document(data []byte) *yaml.Node {
	if len(bytes.TrimSpace(data)) == 0 {
		d.add(0, "", "file is empty; it needs a buildkite section and teams")
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.add(0, "", "file is empty; it needs a buildkite section and teams")
		} else {
			d.syntax(err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.add(firstLine(&next), "", "a second YAML document starts here; keep the whole mapping in one document")
	case !errors.Is(err, io.EOF):
		d.syntax(err)
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if isNull(root) {
		d.add(0, "", "file is empty; it needs a buildkite section and teams")
		return nil
	}
	if n := writtenNodes(root); n >= maxExpandedNodes {
		d.add(root.Line, "", "the file is too large: it has over %d YAML nodes as written (%d bytes), the most teamsync reads; split the mapping",
			maxExpandedNodes, len(data))
		return nil
	}
	s := sizer{memo: map[*yaml.Node]int{}, active: map[*yaml.Node]bool{}, collector: d.collector}
	if s.size(root) >= maxExpandedNodes {
		d.add(root.Line, "", "aliases expand the file to over %d nodes, the most teamsync reads, from %d nodes as written; repeat fewer or smaller anchored values",
			maxExpandedNodes, writtenNodes(root))
		return nil
	}
	if s.cyclic {
		return nil
	}
	return root
}

// syntax records a YAML parser error, moving its line number into the
// error's Line.
func (d *decoder) syntax(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, after
			}
		}
	}
	d.add(line, "", "invalid YAML: %s", msg)
}

// firstLine is the line a document starts on: its "---" marker, else its
// first content.
func firstLine(doc *yaml.Node) int {
	if doc.Line > 0 {
		return doc.Line
	}
	if len(doc.Content) > 0 {
		return doc.Content[0].Line
	}
	return 0
}

// writtenNodes counts the nodes of a tree as written, an alias counting as
// one node, up to maxExpandedNodes.
func writtenNodes(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	total := 1
	for _, c := range n.Content {
		if total += writtenNodes(c); total >= maxExpandedNodes {
			return maxExpandedNodes
		}
	}
	return total
}

// sizer counts the nodes of a tree with its aliases expanded, and reports
// aliases that refer to a node containing them.
type sizer struct {
	memo      map[*yaml.Node]int
	active    map[*yaml.Node]bool
	collector *collector
	cyclic    bool
}

func (s *sizer) size(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return 1
		}
		if s.active[n.Alias] {
			s.collector.add(n.Line, "", "alias *%s refers to a node that contains it", n.Value)
			s.cyclic = true
			return 1
		}
		return min(1+s.size(n.Alias), maxExpandedNodes)
	}
	if v, ok := s.memo[n]; ok {
		return v
	}
	s.active[n] = true
	total := 1
	for _, c := range n.Content {
		total = min(total+s.size(c), maxExpandedNodes)
	}
	delete(s.active, n)
	s.memo[n] = total
	return total
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is absent or an explicit null (`key:` or `~`).
func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull)
}

// describe names what a node is, for "must be X, got Y" messages. String
// values are quoted so that `"25"` reads differently from `25`.
func describe(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind != yaml.ScalarNode:
		return "a YAML document"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	switch n.ShortTag() {
	case tagStr:
		return strconv.Quote(v)
	case tagInt, tagFloat, tagBool, tagNull:
		return v
	}
	return "a value tagged " + n.Tag
}

// join appends a key or an index to a path.
func join(parent, name string) string {
	switch {
	case parent == "":
		return name
	case strings.HasPrefix(name, "["):
		return parent + name
	}
	return parent + "." + name
}

// field is one key of a mapping with its value, aliases followed.
type field struct {
	key   *yaml.Node
	value *yaml.Node
}

// object is a mapping read strictly: every key known, none repeated.
type object struct {
	path   string // where the mapping is, such as "teams[0]"
	line   int    // the line that introduced it
	fields map[string]field
}

// at says where a value was found: line is 0 when the key is absent or
// null, and ok is false when it is present but unusable (the problem is
// already recorded, so callers neither default nor re-check it).
type at struct {
	line int
	ok   bool
}

func (a at) absent() bool { return a.line == 0 }

// object reads n, found at line under parent as name (both empty for the
// top level), as a mapping with only the known keys. Top-level keys that
// start with "x-" are ignored, as in Compose files, so that they can hold
// anchored values for aliases to repeat. Merge keys (`<<: *defaults`) are honoured; keys
// written in the mapping itself win over merged ones.
func (d *decoder) object(n *yaml.Node, line int, parent, name string, known []string) (object, bool) {
	o := object{path: join(parent, name), line: line, fields: map[string]field{}}
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		subject := name
		if subject == "" {
			subject = "the top level"
		}
		d.add(line, parent, "%s must be a mapping, got %s", subject, describe(n))
		return o, false
	}
	var merges []*yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind == yaml.ScalarNode && k.ShortTag() == tagMerge {
			merges = append(merges, k, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.add(k.Line, o.path, "keys must be plain words, got %s", describe(k))
			continue
		}
		if prev, ok := seen[k.Value]; ok {
			d.add(k.Line, o.path, "duplicate key %q (first at line %d)", k.Value, prev)
			continue
		}
		seen[k.Value] = k.Line
		if o.path == "" && strings.HasPrefix(k.Value, "x-") {
			continue // an extension key: a place to anchor shared values
		}
		if !slices.Contains(known, k.Value) {
			d.add(k.Line, o.path, "unknown key %q%s", k.Value, suggest(k.Value, known))
			continue
		}
		o.fields[k.Value] = field{key: k, value: v}
	}
	for i := 0; i < len(merges); i += 2 {
		k, v := merges[i], merges[i+1]
		sources := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			sources = v.Content
		}
		for _, src := range sources {
			merged, ok := d.object(src, k.Line, o.path, "<<", known)
			if !ok {
				continue
			}
			for key, f := range merged.fields {
				if _, ok := o.fields[key]; !ok {
					o.fields[key] = f
				}
			}
		}
	}
	return o, true
}

// value returns the non-null value of key and the line of the key.
func (o object) value(key string) (*yaml.Node, int) {
	f, ok := o.fields[key]
	if !ok || isNull(f.value) {
		return nil, 0
	}
	return f.value, f.key.Line
}

// child reads key of o as a nested mapping with the known keys. at tells
// whether the key was absent, unusable (reported) or read.
func (d *decoder) child(o object, key string, known []string) (object, at) {
	v, line := o.value(key)
	if v == nil {
		return object{path: join(o.path, key), line: o.line, fields: map[string]field{}}, at{}
	}
	c, ok := d.object(v, line, o.path, key, known)
	return c, at{line: line, ok: ok}
}

// str reads a string. Numbers are taken as written (a slug may be "2024"),
// booleans and collections are errors.
func (d *decoder) str(o object, key string) (string, at) {
	v, line := o.value(key)
	if v == nil {
		return "", at{}
	}
	if !stringish(v) {
		d.add(line, o.path, "%s must be a string, got %s", key, describe(v))
		return "", at{line: line}
	}
	return v.Value, at{line: line, ok: true}
}

// stringish reports whether a scalar can stand for a string.
func stringish(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode {
		return false
	}
	switch n.ShortTag() {
	case tagStr, tagInt, tagFloat:
		return true
	}
	return false
}

// integer reads a whole number.
func (d *decoder) integer(o object, key string) (int, at) {
	v, line := o.value(key)
	if v == nil {
		return 0, at{}
	}
	var i int
	if v.Kind != yaml.ScalarNode || v.ShortTag() != tagInt || v.Decode(&i) != nil {
		d.add(line, o.path, "%s must be a whole number, got %s", key, describe(v))
		return 0, at{line: line}
	}
	return i, at{line: line, ok: true}
}

// boolean reads true or false.
func (d *decoder) boolean(o object, key string) (bool, at) {
	v, line := o.value(key)
	if v == nil {
		return false, at{}
	}
	var b bool
	if v.Kind != yaml.ScalarNode || v.ShortTag() != tagBool || v.Decode(&b) != nil {
		d.add(line, o.path, "%s must be true or false, got %s", key, describe(v))
		return false, at{line: line}
	}
	return b, at{line: line, ok: true}
}

// item is one string of a list, with its line.
type item struct {
	val  string
	line int
	idx  int // position in the list as written
}

// stringList reads a list of strings. An item of the wrong type is reported
// and left out; ok stays true so the rest of the list is still checked.
func (d *decoder) stringList(o object, key string) ([]item, at) {
	v, line := o.value(key)
	if v == nil {
		return nil, at{}
	}
	if v.Kind != yaml.SequenceNode {
		d.add(line, o.path, "%s must be a list, got %s", key, describe(v))
		return nil, at{line: line}
	}
	items := make([]item, 0, len(v.Content))
	for i, c := range v.Content {
		c = deref(c)
		if !stringish(c) {
			d.add(c.Line, o.path, "%s[%d] must be a string, got %s", key, i, describe(c))
			continue
		}
		items = append(items, item{val: c.Value, line: c.Line, idx: i})
	}
	return items, at{line: line, ok: true}
}

// pair is one entry of a string-to-string mapping, with its line.
type pair struct {
	key, val string
	line     int
}

// stringMap reads a mapping of strings to strings, in file order.
func (d *decoder) stringMap(o object, key string) ([]pair, at) {
	v, line := o.value(key)
	if v == nil {
		return nil, at{}
	}
	if v.Kind != yaml.MappingNode {
		d.add(line, o.path, "%s must be a mapping, got %s", key, describe(v))
		return nil, at{line: line}
	}
	path := join(o.path, key)
	var pairs []pair
	first := map[string]int{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := deref(v.Content[i]), deref(v.Content[i+1])
		if !stringish(k) {
			d.add(k.Line, o.path, "%s keys must be strings, got %s", key, describe(k))
			continue
		}
		if prev, ok := first[k.Value]; ok {
			d.add(k.Line, path, "duplicate key %q (first at line %d)", k.Value, prev)
			continue
		}
		first[k.Value] = k.Line
		if !stringish(val) {
			d.add(k.Line, path, "%q must map to a string, got %s", k.Value, describe(val))
			continue
		}
		pairs = append(pairs, pair{key: k.Value, val: val.Value, line: k.Line})
	}
	return pairs, at{line: line, ok: true}
}
