package bksim

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// SchemaEnv names the environment variable that points at the Buildkite
// schema for tests.
const SchemaEnv = "BUILDKITE_SCHEMA"

// LoadSchema reads and validates a GraphQL SDL file (Buildkite's
// schema.graphql) for Options.Schema.
func LoadSchema(path string) (*ast.Schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bksim: load schema: %w", err)
	}
	sc, err := gqlparser.LoadSchema(&ast.Source{Name: path, Input: string(data)})
	if err != nil {
		return nil, fmt.Errorf("bksim: load schema: %w", err)
	}
	return sc, nil
}

// SchemaPath finds the real schema for tests: $BUILDKITE_SCHEMA if set,
// else ../shared/buildkite/schema.graphql relative to the directory holding
// go.mod, found by walking up from the working directory. It returns "" if
// neither exists. (Test support: this is the one place below cmd/ that
// reads the environment, because `go test` has no other way in.)
func SchemaPath() string {
	if p := os.Getenv(SchemaEnv); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		return ""
	}
	p := DefaultSchemaPath()
	if p == "" {
		return ""
	}
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// DefaultSchemaPath is where SchemaPath looks when $BUILDKITE_SCHEMA is
// unset: ../shared/buildkite/schema.graphql next to the module root, or ""
// when no go.mod is found above the working directory.
func DefaultSchemaPath() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "buildkite", "schema.graphql")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
