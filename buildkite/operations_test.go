package buildkite_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/teamsync/teamsync/buildkite"
	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

type namedSchema struct {
	name   string
	schema *ast.Schema
}

// schemas are the schemas every document must validate against: the one
// shipped with the simulator always, and Buildkite's full one when it is
// found (FullSchema logs when it is not).
func schemas(t *testing.T) []namedSchema {
	t.Helper()
	out := []namedSchema{{"minimal", bksim.MinimalSchema()}}
	if full := bksimtest.FullSchema(t); full != nil {
		out = append(out, namedSchema{"full", full})
	}
	return out
}

func TestOperationsValidateAgainstSchema(t *testing.T) {
	ops := buildkite.Operations()
	want := []string{
		"OrgMembers", "OrgPeople", "OrgInvitations", "TeamsBatch", "TeamMembersPage", "MembersByEmail",
		"TeamFingerprints", "AuditEvents", "TeamCreate", "TeamMemberCreate", "TeamMemberUpdate", "TeamMemberDelete",
		"OrganizationInvitationCreate", "OrganizationMemberDelete", "OrganizationInvitationRevoke",
		"TeamBySlug", "TeamMembership", "TeamMember", "OrganizationMember", "OrganizationInvitation", "TokenAccess", "Viewer",
	}
	if len(ops) != len(want) {
		t.Errorf("Operations() has %d entries, want %d", len(ops), len(want))
	}
	for _, sc := range schemas(t) {
		for _, name := range want {
			t.Run(sc.name+"/"+name, func(t *testing.T) {
				doc, ok := ops[name]
				if !ok {
					t.Fatalf("Operations() has no %s", name)
				}
				q, errs := gqlparser.LoadQuery(sc.schema, doc)
				if len(errs) > 0 {
					t.Fatalf("%s does not validate: %v", name, errs)
				}
				if len(q.Operations) != 1 || q.Operations[0].Name != name {
					t.Fatalf("document holds operations %v, want exactly %s", q.Operations, name)
				}
			})
		}
	}
}

// TestOperationsRejectsBrokenDocument shows the schema check can fail: a
// field Buildkite does not have is caught.
func TestOperationsRejectsBrokenDocument(t *testing.T) {
	doc := strings.Replace(buildkite.Operations()["OrgMembers"], "email", "emailAddress", 1)
	for _, sc := range schemas(t) {
		t.Run(sc.name, func(t *testing.T) {
			if _, errs := gqlparser.LoadQuery(sc.schema, doc); len(errs) == 0 {
				t.Fatal("a query asking for User.emailAddress validated")
			}
		})
	}
}
