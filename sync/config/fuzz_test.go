package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, and that it returns either a
// mapping or an error, never both or neither.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(testdata, "*.yaml"))
	seeds = append(seeds, "../../mapping.yaml")
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("teams:\n  - <<: [*x]\n"))
	f.Add([]byte("buildkite: {organization: acme}\nteams: [{slug: a, groups: [{users: [a@b.co]}]}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("fuzz.yaml", data)
		if (m == nil) == (err == nil) {
			t.Fatalf("Parse returned mapping %v and error %v", m != nil, err)
		}
	})
}
