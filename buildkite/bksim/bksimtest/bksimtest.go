// Package bksimtest starts validating Buildkite simulators for tests and
// gives tests Buildkite's full schema when it is at hand.
//
// Simulators validate against bksim.MinimalSchema, which ships with the
// repository, so every test runs on a fresh clone. Setting
// $BUILDKITE_SCHEMA to Buildkite's schema.graphql makes them validate
// against that file instead. FullSchema and FullSchemaOnCI find the full
// schema ($BUILDKITE_SCHEMA, else ../shared/buildkite/schema.graphql beside
// the module) for the tests that compare with Buildkite itself.
package bksimtest

import (
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/teamsync/teamsync/buildkite/bksim"
)

// Token is the bearer token the simulators started by Start require.
const Token = "test-token"

// schemaOnce caches the full schema for the process: it is 263 KB of SDL
// and every test wants the same one.
type schemaOnce struct {
	once   sync.Once
	schema *ast.Schema
	err    error
	msg    string
}

var loaded schemaOnce

// Schema returns the schema the simulators validate against: the file
// named by $BUILDKITE_SCHEMA when it is set (the test fails when that file
// is missing or does not parse), else bksim.MinimalSchema.
func Schema(t testing.TB) *ast.Schema {
	t.Helper()
	return loaded.simulator(t)
}

// FullSchema returns Buildkite's full schema, loaded once per process, or
// nil when it is not found; then it logs where it looked, so that a test
// that compares with it shows it did not. A file that is found but does
// not parse fails the test.
func FullSchema(t testing.TB) *ast.Schema {
	t.Helper()
	return loaded.full(t, false)
}

// FullSchemaOnCI is FullSchema for the tests that must compare with
// Buildkite on CI: when the schema is not found and the CI environment
// variable is set, the test fails with a message naming where it looked.
func FullSchemaOnCI(t testing.TB) *ast.Schema {
	t.Helper()
	return loaded.full(t, true)
}

func (l *schemaOnce) simulator(t testing.TB) *ast.Schema {
	t.Helper()
	if os.Getenv(bksim.SchemaEnv) == "" {
		return bksim.MinimalSchema()
	}
	sc := l.load(t)
	if sc == nil {
		t.Fatalf("bksimtest: %s", l.msg)
	}
	return sc
}

func (l *schemaOnce) full(t testing.TB, requiredOnCI bool) *ast.Schema {
	t.Helper()
	sc := l.load(t)
	switch {
	case sc == nil && requiredOnCI && os.Getenv("CI") != "":
		t.Fatalf("bksimtest: %s", l.msg)
	case sc == nil:
		t.Logf("bksimtest: %s", l.msg)
	}
	return sc
}

// load finds and parses the full schema once; a parse failure fails every
// test that asks.
func (l *schemaOnce) load(t testing.TB) *ast.Schema {
	t.Helper()
	l.once.Do(func() {
		path := bksim.SchemaPath()
		if path == "" {
			l.msg = "Buildkite schema not found: looked at " + searched() +
				"; set " + bksim.SchemaEnv + "=/path/to/schema.graphql (Buildkite's data/graphql/schema.graphql from github.com/buildkite/docs)"
			return
		}
		l.schema, l.err = bksim.LoadSchema(path)
	})
	if l.err != nil {
		t.Fatalf("bksimtest: %v", l.err)
	}
	return l.schema
}

// searched names the places bksim.SchemaPath looked: only the file
// $BUILDKITE_SCHEMA names when it is set.
func searched() string {
	if v := os.Getenv(bksim.SchemaEnv); v != "" {
		return "$" + bksim.SchemaEnv + " (set to " + v + ", which does not exist)"
	}
	where := bksim.DefaultSchemaPath()
	if where == "" {
		where = "../shared/buildkite/schema.graphql next to go.mod (no go.mod found above the working directory)"
	}
	return "$" + bksim.SchemaEnv + " (unset) and " + where
}

// Start starts a validating simulator holding st that requires the bearer
// token Token, and closes it with t.Cleanup.
func Start(t testing.TB, st bksim.State) (*bksim.Server, *httptest.Server) {
	t.Helper()
	return StartWith(t, st, bksim.Options{})
}

// StartWith is Start with options; Schema and Token are filled in when
// left empty.
func StartWith(t testing.TB, st bksim.State, opts bksim.Options) (*bksim.Server, *httptest.Server) {
	t.Helper()
	if opts.Schema == nil {
		opts.Schema = Schema(t)
	}
	if opts.Token == "" {
		opts.Token = Token
	}
	srv, err := bksim.New(st, opts)
	if err != nil {
		t.Fatalf("bksimtest: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, hs
}
