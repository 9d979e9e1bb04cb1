package buildkite_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/teamsync/teamsync/buildkite"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

func TestOperationsValidateAgainstSchema(t *testing.T) {
	schema := bksimtest.Schema(t)
	ops := buildkite.Operations()
	want := []string{
		"OrgMembers", "OrgInvitations", "TeamsBatch", "TeamMembersPage", "MembersByEmail",
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
	schema := bksimtest.Schema(t)
	doc := strings.Replace(buildkite.Operations()["OrgMembers"], "email", "emailAddress", 1)
	if _, errs := gqlparser.LoadQuery(schema, doc); len(errs) == 0 {
		t.Fatal("a query asking for User.emailAddress validated")
	}
}
