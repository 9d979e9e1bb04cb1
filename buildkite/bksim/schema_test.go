package bksim_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
)

func TestSchemaPath(t *testing.T) {
	root := t.TempDir()
	mod := filepath.Join(root, "mod")
	sub := filepath.Join(mod, "a", "b")
	shared := filepath.Join(root, "shared", "buildkite", "schema.graphql")
	other := filepath.Join(root, "other.graphql")
	for _, dir := range []string{sub, filepath.Dir(shared)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(mod, "go.mod"), other} {
		if err := os.WriteFile(f, []byte("module x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, env, dir string
		createShared   bool
		want           string
	}{
		{name: "env wins", env: other, dir: sub, createShared: true, want: other},
		{name: "env names a missing file", env: filepath.Join(root, "missing"), dir: sub, createShared: true, want: ""},
		{name: "next to the module root", dir: sub, createShared: true, want: shared},
		{name: "not there", dir: sub, want: ""},
		{name: "no go.mod above", dir: root, createShared: true, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(shared)
			if tt.createShared {
				if err := os.WriteFile(shared, []byte("type Query { a: Int }\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv(bksim.SchemaEnv, tt.env)
			t.Chdir(tt.dir)
			if got := bksim.SchemaPath(); got != tt.want {
				t.Errorf("SchemaPath() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadSchemaErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.graphql")
	if err := os.WriteFile(bad, []byte("type Query { a: Nope }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := bksim.LoadSchema(bad)
	if want := "bksim: load schema: " + bad + ":1:17: Undefined type Nope."; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	_, err = bksim.LoadSchema(filepath.Join(dir, "missing.graphql"))
	if want := "bksim: load schema: open " + filepath.Join(dir, "missing.graphql") + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}
