package buildkite_test

import (
	"os"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/teamsync/teamsync/buildkite"
)

// loadSchema reads Buildkite's published schema from $BUILDKITE_SCHEMA or
// the shared copy beside the repository; it is never copied into the repo.
func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	path := os.Getenv("BUILDKITE_SCHEMA")
	if path == "" {
		path = "../../shared/buildkite/schema.graphql"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("Buildkite schema not available (set BUILDKITE_SCHEMA): %v", err)
	}
	s, err := gqlparser.LoadSchema(&ast.Source{Name: path, Input: string(data)})
	if err != nil {
		t.Fatalf("load schema: %v", err)
	}
	return s
}

func TestOperationsValidateAgainstSchema(t *testing.T) {
	schema := loadSchema(t)
	ops := buildkite.Operations()
	want := []string{
		"OrgMembers", "OrgInvitations", "TeamsBatch", "TeamMembersPage",
		"TeamCreate", "TeamMemberCreate", "TeamMemberUpdate", "TeamMemberDelete",
		"OrganizationInvitationCreate",
	}
	if len(ops) != len(want) {
		t.Errorf("Operations() has %d entries, want %d", len(ops), len(want))
	}
	for _, name := range want {
		t.Run(name, func(t *testing.T) {
			doc, ok := ops[name]
			if !ok {
				t.Fatalf("Operations() has no %s", name)
			}
			q, errs := gqlparser.LoadQuery(schema, doc)
			if len(errs) > 0 {
				t.Fatalf("%s does not validate: %v", name, errs)
			}
			if len(q.Operations) != 1 || q.Operations[0].Name != name {
				t.Fatalf("document holds operations %v, want exactly %s", q.Operations, name)
			}
		})
	}
}

// TestOperationsRejectsBrokenDocument shows the schema check can fail: a
// field Buildkite does not have is caught.
func TestOperationsRejectsBrokenDocument(t *testing.T) {
	schema := loadSchema(t)
	doc := strings.Replace(buildkite.Operations()["OrgMembers"], "email", "emailAddress", 1)
	if _, errs := gqlparser.LoadQuery(schema, doc); len(errs) == 0 {
		t.Fatal("a query asking for User.emailAddress validated")
	}
}
