package bksim

import (
	_ "embed"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

//go:embed schema.graphql
var minimalSDL string

// minimal parses the embedded schema once: every simulator a test run
// starts shares it, and nothing writes to it.
var minimal = sync.OnceValue(func() *ast.Schema {
	return gqlparser.MustLoadSchema(&ast.Source{Name: "bksim/schema.graphql", Input: minimalSDL})
})

// MinimalSchema returns the part of Buildkite's schema that teamsync uses
// and the simulator serves, shipped with the package (schema.graphql), so
// that a validating simulator needs no file outside the repository. Its
// types match Buildkite's; a test checks them against the full schema when
// that is found. The result is shared: do not modify it.
func MinimalSchema() *ast.Schema { return minimal() }
