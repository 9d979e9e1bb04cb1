package bksimtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/teamsync/teamsync/buildkite/bksim"
)

// recorder is a testing.TB that records Skipf, Fatalf and Logf instead of
// stopping or printing, so the messages can be checked.
type recorder struct {
	testing.TB
	skipped, fatal, logged string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }
func (r *recorder) Logf(format string, args ...any)   { r.logged = fmt.Sprintf(format, args...) }

// fresh is a module root with no schema beside it, so that the default
// place is empty whatever machine the test runs on.
func fresh(t *testing.T) string {
	t.Helper()
	mod := filepath.Join(t.TempDir(), "mod")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(mod)
	return mod
}

func TestSimulatorSchemaIsMinimalByDefault(t *testing.T) {
	fresh(t)
	t.Setenv(bksim.SchemaEnv, "")
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		rec := &recorder{TB: t}
		var l schemaOnce
		if got := l.simulator(rec); got != bksim.MinimalSchema() {
			t.Errorf("CI=%q: simulator schema is not the minimal one", ci)
		}
		if rec.skipped != "" || rec.fatal != "" {
			t.Errorf("CI=%q: skipped %q, fatal %q", ci, rec.skipped, rec.fatal)
		}
	}
}

func TestFullSchemaMissing(t *testing.T) {
	mod := fresh(t)
	missing := filepath.Join(t.TempDir(), "nope.graphql")
	shared := filepath.Join(filepath.Dir(mod), "shared", "buildkite", "schema.graphql")
	tests := []struct {
		name, env, ci string
		get           func(*schemaOnce, testing.TB) *ast.Schema
		wantFatal     bool
		wantInMsg     []string
		notInMsg      []string
	}{
		{name: "FullSchema locally logs", get: full(false), wantInMsg: []string{"$BUILDKITE_SCHEMA (unset)", shared}},
		{name: "FullSchema on CI logs", ci: "true", get: full(false), wantInMsg: []string{shared}},
		{name: "FullSchemaOnCI locally logs", get: full(true), wantInMsg: []string{"$BUILDKITE_SCHEMA (unset)", shared}},
		{name: "FullSchemaOnCI on CI fails", ci: "true", get: full(true), wantFatal: true, wantInMsg: []string{"$BUILDKITE_SCHEMA (unset)", shared, "set BUILDKITE_SCHEMA="}},
		{name: "env names a missing file: FullSchemaOnCI logs it", env: missing, get: full(true), wantInMsg: []string{"$BUILDKITE_SCHEMA (set to " + missing + ", which does not exist)"}, notInMsg: []string{shared}},
		{name: "env names a missing file: the simulator fails", env: missing, get: (*schemaOnce).simulator, wantFatal: true, wantInMsg: []string{"$BUILDKITE_SCHEMA (set to " + missing + ", which does not exist)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(bksim.SchemaEnv, tt.env)
			t.Setenv("CI", tt.ci)
			rec := &recorder{TB: t}
			var l schemaOnce
			if got := tt.get(&l, rec); got != nil {
				t.Fatal("got a schema from a missing file")
			}
			if rec.skipped != "" {
				t.Errorf("skipped: %q", rec.skipped)
			}
			msg := rec.fatal
			if !tt.wantFatal {
				msg = rec.logged
			}
			if (rec.fatal != "") != tt.wantFatal || msg == "" {
				t.Fatalf("fatal %q, logged %q", rec.fatal, rec.logged)
			}
			for _, want := range tt.wantInMsg {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not mention %q", msg, want)
				}
			}
			for _, not := range tt.notInMsg {
				if strings.Contains(msg, not) {
					t.Errorf("message %q mentions %q, where it did not look", msg, not)
				}
			}
		})
	}
}

func full(requiredOnCI bool) func(*schemaOnce, testing.TB) *ast.Schema {
	return func(l *schemaOnce, t testing.TB) *ast.Schema { return l.full(t, requiredOnCI) }
}

func TestSchemaFromEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.graphql")
	if err := os.WriteFile(path, []byte("type Query { viewer: String }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(bksim.SchemaEnv, path)
	var l schemaOnce
	rec := &recorder{TB: t}
	sc := l.simulator(rec)
	if sc == nil || sc.Query == nil || sc.Query.Fields.ForName("viewer") == nil {
		t.Fatalf("schema not loaded from $BUILDKITE_SCHEMA: skipped %q fatal %q", rec.skipped, rec.fatal)
	}
	if l.full(rec, true) != sc {
		t.Error("FullSchema did not return the file named by $BUILDKITE_SCHEMA")
	}
	// Loaded once: a later change of the file is not seen.
	if err := os.WriteFile(path, []byte("type Query { other: String }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if l.simulator(rec) != sc {
		t.Error("second call loaded again")
	}
}

func TestSchemaUnparsable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.graphql")
	if err := os.WriteFile(path, []byte("type Query { a: Nope }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(bksim.SchemaEnv, path)
	var l schemaOnce
	rec := &recorder{TB: t}
	if l.full(rec, false) != nil {
		t.Fatal("got a schema from a bad file")
	}
	if want := "bksimtest: bksim: load schema: " + path + ":1:17: Undefined type Nope."; rec.fatal != want {
		t.Errorf("fatal %q, want %q", rec.fatal, want)
	}
}
