package bksim_test

import (
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

// schemaDiff lists where sub is not a part of full: a type, field,
// argument, input field, enum value, union member or interface of sub that
// full lacks or types differently, and every argument or input field that
// full requires but sub leaves out (a document valid against sub would be
// refused by full). Types are compared by their SDL form, so String and
// String! differ. The result is sorted.
func schemaDiff(sub, full *ast.Schema) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, root := range []struct {
		op        string
		sub, full *ast.Definition
	}{{"query", sub.Query, full.Query}, {"mutation", sub.Mutation, full.Mutation}, {"subscription", sub.Subscription, full.Subscription}} {
		if root.sub != nil && (root.full == nil || root.full.Name != root.sub.Name) {
			add("schema: %s root %s is not the full schema's", root.op, root.sub.Name)
		}
	}
	for name, def := range sub.Types {
		if def.BuiltIn {
			continue
		}
		fdef := full.Types[name]
		switch {
		case fdef == nil:
			add("%s: not in the full schema", name)
			continue
		case fdef.Kind != def.Kind:
			add("%s: %s here, %s in the full schema", name, def.Kind, fdef.Kind)
			continue
		}
		for _, i := range def.Interfaces {
			if !slices.Contains(fdef.Interfaces, i) {
				add("%s: implements %s here, not in the full schema", name, i)
			}
		}
		for _, m := range def.Types {
			if !slices.Contains(fdef.Types, m) {
				add("%s: union member %s not in the full schema", name, m)
			}
		}
		for _, v := range def.EnumValues {
			if fdef.EnumValues.ForName(v.Name) == nil {
				add("%s.%s: not in the full schema", name, v.Name)
			}
		}
		for _, f := range def.Fields {
			ff := fdef.Fields.ForName(f.Name)
			if ff == nil {
				add("%s.%s: not in the full schema", name, f.Name)
				continue
			}
			diffValue(add, name+"."+f.Name, f.Type, ff.Type, f.DefaultValue, ff.DefaultValue)
			for _, a := range f.Arguments {
				fa := ff.Arguments.ForName(a.Name)
				if fa == nil {
					add("%s.%s(%s:): not in the full schema", name, f.Name, a.Name)
					continue
				}
				diffValue(add, fmt.Sprintf("%s.%s(%s:)", name, f.Name, a.Name), a.Type, fa.Type, a.DefaultValue, fa.DefaultValue)
			}
			for _, fa := range ff.Arguments {
				if required(fa.Type, fa.DefaultValue) && f.Arguments.ForName(fa.Name) == nil {
					add("%s.%s(%s:): required in the full schema, missing here", name, f.Name, fa.Name)
				}
			}
		}
		if def.Kind == ast.InputObject {
			for _, ff := range fdef.Fields {
				if required(ff.Type, ff.DefaultValue) && def.Fields.ForName(ff.Name) == nil {
					add("%s.%s: required in the full schema, missing here", name, ff.Name)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// diffValue compares the type and default of one field, argument or input
// field.
func diffValue(add func(string, ...any), where string, typ, fullTyp *ast.Type, def, fullDef *ast.Value) {
	if typ.String() != fullTyp.String() {
		add("%s: type %s here, %s in the full schema", where, typ, fullTyp)
	}
	if valueString(def) != valueString(fullDef) {
		add("%s: default %s here, %s in the full schema", where, valueString(def), valueString(fullDef))
	}
}

func valueString(v *ast.Value) string {
	if v == nil {
		return "none"
	}
	return v.String()
}

// required reports whether an argument or input field must be given.
func required(t *ast.Type, def *ast.Value) bool { return t.NonNull && def == nil }
