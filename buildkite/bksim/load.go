package bksim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// LoadState reads a seed file: strict YAML (unknown keys are errors), or
// JSON when the name ends in .json. It also validates the seed as New does.
// Errors name the file and, for YAML, the line: "seed.yaml:12: …".
func LoadState(path string) (State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return State{}, fmt.Errorf("bksim: load state: %w", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return loadJSON(path, data)
	}
	return loadYAML(path, data)
}

func loadYAML(path string, data []byte) (State, error) {
	var st State
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&st); err != nil {
		if errors.Is(err, io.EOF) {
			return State{}, fmt.Errorf("%s: empty seed file", path)
		}
		return State{}, fmt.Errorf("%s", yamlErrorText(path, err))
	}
	if err := validateSeed(st); err != nil {
		var se *seedError
		if errors.As(err, &se) {
			var doc yaml.Node
			if yaml.Unmarshal(data, &doc) == nil {
				if line := nodeLine(&doc, se.loc); line > 0 {
					return State{}, fmt.Errorf("%s:%d: %s", path, line, se.msg)
				}
			}
		}
		return State{}, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// yamlErrorText rewrites yaml.v3's "yaml: line N: msg" (and the per-line
// entries of a TypeError) into "path:N: msg".
func yamlErrorText(path string, err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			lines = append(lines, prefixLine(path, e))
		}
		return strings.Join(lines, "\n")
	}
	return prefixLine(path, strings.TrimPrefix(err.Error(), "yaml: "))
}

func prefixLine(path, msg string) string {
	var n int
	if _, err := fmt.Sscanf(msg, "line %d:", &n); err == nil {
		rest := msg[strings.IndexByte(msg, ':')+1:]
		return fmt.Sprintf("%s:%d:%s", path, n, rest)
	}
	return path + ": " + msg
}

// nodeLine follows loc (mapping keys and sequence indexes) from the document
// node and returns the line of the element it reaches, or 0.
func nodeLine(doc *yaml.Node, loc []any) int {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range loc {
		switch p := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return 0
			}
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					next = n.Content[i+1]
					if next.Kind == yaml.ScalarNode {
						// Point at the key's line for scalar values.
						next = n.Content[i]
					}
				}
			}
			if next == nil {
				return 0
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || p >= len(n.Content) {
				return 0
			}
			n = n.Content[p]
		}
	}
	return n.Line
}

func loadJSON(path string, data []byte) (State, error) {
	var st State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return State{}, fmt.Errorf("%s:%d: %w", path, lineAt(data, se.Offset), err)
		case errors.As(err, &te):
			return State{}, fmt.Errorf("%s:%d: %w", path, lineAt(data, te.Offset), err)
		}
		return State{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := validateSeed(st); err != nil {
		return State{}, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

func lineAt(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}
