package bksimtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Skipf and Fatalf instead of
// stopping, so the messages can be checked.
type recorder struct {
	testing.TB
	skipped, fatal string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func TestSchemaMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.graphql")
	tests := []struct {
		name, ci            string
		wantSkip, wantFatal bool
	}{
		{name: "locally it skips", ci: "", wantSkip: true},
		{name: "on CI it fails", ci: "true", wantFatal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("BUILDKITE_SCHEMA", missing)
			t.Setenv("CI", tt.ci)
			rec := &recorder{TB: t}
			var l schemaOnce
			if got := l.get(rec); got != nil {
				t.Fatal("got a schema from a missing file")
			}
			msg := rec.skipped + rec.fatal
			if (rec.skipped != "") != tt.wantSkip || (rec.fatal != "") != tt.wantFatal {
				t.Fatalf("skipped %q, fatal %q", rec.skipped, rec.fatal)
			}
			for _, want := range []string{"$BUILDKITE_SCHEMA (set to " + missing + ", which does not exist)", filepath.Join("shared", "buildkite", "schema.graphql"), "set BUILDKITE_SCHEMA="} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not mention %q", msg, want)
				}
			}
		})
	}
}

func TestSchemaFromEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.graphql")
	if err := os.WriteFile(path, []byte("type Query { viewer: String }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BUILDKITE_SCHEMA", path)
	var l schemaOnce
	rec := &recorder{TB: t}
	sc := l.get(rec)
	if sc == nil || sc.Query == nil || sc.Query.Fields.ForName("viewer") == nil {
		t.Fatalf("schema not loaded from $BUILDKITE_SCHEMA: skipped %q fatal %q", rec.skipped, rec.fatal)
	}
	// Loaded once: a later change of the variable is not seen.
	t.Setenv("BUILDKITE_SCHEMA", "")
	if l.get(rec) != sc {
		t.Error("second call loaded again")
	}
}
