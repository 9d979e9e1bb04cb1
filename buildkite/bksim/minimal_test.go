package bksim_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// TestMinimalSchemaMatchesFull checks the embedded schema against
// Buildkite's whenever that is found, so the simulators never accept
// what Buildkite would refuse. Without it the test passes and says the
// comparison did not run, except on CI, where it fails.
func TestMinimalSchemaMatchesFull(t *testing.T) {
	full := bksimtest.FullSchemaOnCI(t)
	if full == nil {
		t.Log("the embedded schema was not compared with Buildkite's")
		return
	}
	for _, d := range schemaDiff(bksim.MinimalSchema(), full) {
		t.Error(d)
	}
}

// TestMinimalSchemaHasNoDescriptions keeps Buildkite's prose out of the
// repository: the embedded schema is names and types only.
func TestMinimalSchemaHasNoDescriptions(t *testing.T) {
	sc := bksim.MinimalSchema()
	if sc.Query == nil || sc.Mutation == nil {
		t.Fatal("the embedded schema has no Query or Mutation root")
	}
	for name, def := range sc.Types {
		if def.BuiltIn {
			continue
		}
		if def.Description != "" {
			t.Errorf("%s has a description", name)
		}
		for _, f := range def.Fields {
			if f.Description != "" {
				t.Errorf("%s.%s has a description", name, f.Name)
			}
			for _, a := range f.Arguments {
				if a.Description != "" {
					t.Errorf("%s.%s(%s:) has a description", name, f.Name, a.Name)
				}
			}
		}
		for _, v := range def.EnumValues {
			if v.Description != "" {
				t.Errorf("%s.%s has a description", name, v.Name)
			}
		}
	}
}

const diffFull = `
type Query {
  team(slug: ID!, first: Int = 10): Team
  node(id: ID!): Node
  viewer: Viewer
}
type Mutation { teamCreate(input: TeamInput!): Team }
interface Node { id: ID! }
type Team implements Node { id: ID! name: String! privacy: TeamPrivacy! }
type Viewer { id: ID! }
enum TeamPrivacy { SECRET VISIBLE }
input TeamInput { name: String! description: String }
`

func TestSchemaDiff(t *testing.T) {
	full := mustSchema(t, diffFull)
	tests := []struct {
		name, sub string
		want      []string
	}{
		{name: "the full schema is a part of itself", sub: diffFull},
		{name: "a part", sub: `
			type Query { team(slug: ID!): Team }
			type Team { name: String! }`},
		{name: "missing field", sub: `
			type Query { team(slug: ID!): Team }
			type Team { slogan: String }`,
			want: []string{"Team.slogan: not in the full schema"}},
		{name: "wrong type", sub: `
			type Query { team(slug: ID!): Team }
			type Team { name: String }`,
			want: []string{"Team.name: type String here, String! in the full schema"}},
		{name: "missing argument", sub: `
			type Query { team(slug: ID!, last: Int): Team }
			type Team { name: String! }`,
			want: []string{"Query.team(last:): not in the full schema"}},
		{name: "missing enum value", sub: `
			type Query { team(slug: ID!): Team }
			type Team { privacy: TeamPrivacy! }
			enum TeamPrivacy { SECRET PUBLIC }`,
			want: []string{"TeamPrivacy.PUBLIC: not in the full schema"}},
		{name: "argument of another type", sub: `
			type Query { team(slug: ID): Team }
			type Team { name: String! }`,
			want: []string{"Query.team(slug:): type ID here, ID! in the full schema"}},
		{name: "required argument left out", sub: `
			type Query { team: Team }
			type Team { name: String! }`,
			want: []string{"Query.team(slug:): required in the full schema, missing here"}},
		{name: "another default", sub: `
			type Query { team(slug: ID!, first: Int = 5): Team }
			type Team { name: String! }`,
			want: []string{"Query.team(first:): default 5 here, 10 in the full schema"}},
		{name: "missing type", sub: `
			type Query { viewer: Pipeline }
			type Pipeline { id: ID! }`,
			want: []string{"Pipeline: not in the full schema", "Query.viewer: type Pipeline here, Viewer in the full schema"}},
		{name: "another kind", sub: `
			type Query { viewer: Viewer }
			type Viewer { id: ID! }
			type TeamInput { name: String! }`,
			want: []string{"TeamInput: OBJECT here, INPUT_OBJECT in the full schema"}},
		{name: "interface not implemented", sub: `
			type Query { viewer: Viewer }
			interface Node { id: ID! }
			type Viewer implements Node { id: ID! }`,
			want: []string{"Viewer: implements Node here, not in the full schema"}},
		{name: "input fields", sub: `
			type Query { viewer: Viewer }
			type Viewer { id: ID! }
			type Mutation { teamCreate(input: TeamInput!): Viewer }
			input TeamInput { description: String! colour: String }`,
			want: []string{
				"Mutation.teamCreate: type Viewer here, Team in the full schema",
				"TeamInput.colour: not in the full schema",
				"TeamInput.description: type String! here, String in the full schema",
				"TeamInput.name: required in the full schema, missing here",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := schemaDiff(mustSchema(t, tt.sub), full)
			if !slices.Equal(got, tt.want) {
				t.Errorf("schemaDiff:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
		})
	}
}

func mustSchema(t *testing.T, sdl string) *ast.Schema {
	t.Helper()
	sc, err := gqlparser.LoadSchema(&ast.Source{Name: t.Name(), Input: sdl})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
