// Package bksimtest starts validating Buildkite simulators for tests: it
// loads the real Buildkite schema once per process and serves a bksim.Server
// on an httptest.Server that is closed when the test ends.
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

// schemaOnce caches the schema for the process: it is 263 KB of SDL and
// every test wants the same one.
type schemaOnce struct {
	once   sync.Once
	schema *ast.Schema
	err    error
	path   string
	msg    string
}

var loaded schemaOnce

// Schema returns the real Buildkite schema, loaded once per process. When
// it cannot be found the test is skipped, or fails when the CI environment
// variable is set, with a message naming the places searched.
func Schema(t testing.TB) *ast.Schema {
	t.Helper()
	return loaded.get(t)
}

func (l *schemaOnce) get(t testing.TB) *ast.Schema {
	t.Helper()
	l.once.Do(func() {
		l.path = bksim.SchemaPath()
		if l.path == "" {
			where := bksim.DefaultSchemaPath()
			if where == "" {
				where = "../shared/buildkite/schema.graphql next to go.mod (no go.mod found above the working directory)"
			}
			l.msg = "Buildkite schema not found: looked at $" + bksim.SchemaEnv + " (" + envState() + ") and " + where +
				"; set " + bksim.SchemaEnv + "=/path/to/schema.graphql (Buildkite's data/graphql/schema.graphql from github.com/buildkite/docs)"
			return
		}
		l.schema, l.err = bksim.LoadSchema(l.path)
	})
	switch {
	case l.err != nil:
		t.Fatalf("bksimtest: %v", l.err)
	case l.schema == nil && os.Getenv("CI") != "":
		t.Fatalf("bksimtest: %s", l.msg)
	case l.schema == nil:
		t.Skipf("bksimtest: %s", l.msg)
	}
	return l.schema
}

func envState() string {
	if v := os.Getenv(bksim.SchemaEnv); v != "" {
		return "set to " + v + ", which does not exist"
	}
	return "unset"
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
