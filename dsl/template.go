package dsl

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/perfplan/perfplan/targets"
)

// Template fields are evaluated as marker strings that no plan writes: a
// private-use character, the field's name and another. The evaluated string
// is then split at the markers, so a template may mix fields with any HCL a
// string allows (variables, functions, conditionals, dynamic blocks), as
// long as each field is interpolated as it is.
const (
	fieldOpen  = '\uE000'
	fieldClose = '\uE001'
)

// template decodes a Template attribute whose fields are spec.Fields: each
// field evaluates to its marker, every other name to its plan value.
func (s *state) template(a *hcl.Attribute, spec targets.Attr) (targets.TemplateValue, bool) {
	ok := true
	for _, tr := range a.Expr.Variables() {
		root := tr.RootName()
		if _, plain := s.ctx.Variables[root]; plain || contains(spec.Fields, root) {
			continue
		}
		fields := "It has no fields."
		if len(spec.Fields) > 0 {
			fields = fmt.Sprintf("Its fields are %s.%s", quoteList(spec.Fields), didYouMean(root, spec.Fields, true))
		}
		s.errorf(tr.SourceRange().Ptr(), "Unknown template field", "%q is not a field of the template %q. %s", root, a.Name, fields)
		ok = false
	}
	if !ok {
		return targets.TemplateValue{}, false
	}
	child := s.ctx.NewChild()
	child.Variables = make(map[string]cty.Value, len(spec.Fields))
	for _, f := range spec.Fields {
		child.Variables[f] = cty.StringVal(string(fieldOpen) + f + string(fieldClose))
	}
	v, d := a.Expr.Value(child)
	s.diags = append(s.diags, d...)
	if d.HasErrors() || v.IsNull() || !v.IsWhollyKnown() {
		return targets.TemplateValue{}, false
	}
	v = s.noteSensitive(v)
	v, ok = s.convert(a, v, cty.String, "string")
	if !ok {
		return targets.TemplateValue{}, false
	}
	t, err := splitTemplate(v.AsString(), spec.Fields)
	if err != nil {
		s.exprErrorf(a.Expr, "Invalid template", "The template %q %v.", a.Name, err)
		return targets.TemplateValue{}, false
	}
	return t, true
}

// splitTemplate splits an evaluated template at its field markers.
func splitTemplate(str string, fields []string) (targets.TemplateValue, error) {
	var t targets.TemplateValue
	mangled := fmt.Errorf("must interpolate each field as it is, as ${%s}, not through a function or an operator", firstOr(fields, "key"))
	for str != "" {
		i := strings.IndexAny(str, string(fieldOpen)+string(fieldClose))
		if i < 0 {
			t.Parts = append(t.Parts, targets.TemplatePart{Text: str})
			break
		}
		if i > 0 {
			t.Parts = append(t.Parts, targets.TemplatePart{Text: str[:i]})
			str = str[i:]
		}
		r, n := utf8.DecodeRuneInString(str)
		if r != fieldOpen {
			return t, mangled
		}
		end := strings.IndexRune(str[n:], fieldClose)
		if end < 0 {
			return t, mangled
		}
		name := str[n : n+end]
		if !contains(fields, name) {
			return t, mangled
		}
		t.Parts = append(t.Parts, targets.TemplatePart{Field: name})
		str = str[n+end+utf8.RuneLen(fieldClose):]
	}
	return t, nil
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// stringMap decodes a map-of-string attribute: an object whose values are
// strings.
func (s *state) stringMap(a *hcl.Attribute) (map[string]string, bool) {
	v, ok := s.eval(a)
	if !ok {
		return nil, false
	}
	if v.Type().IsObjectType() && len(v.Type().AttributeTypes()) == 0 {
		return map[string]string{}, true
	}
	v, ok = s.convert(a, v, cty.Map(cty.String), "map of string")
	if !ok {
		return nil, false
	}
	out := make(map[string]string, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() {
			s.exprErrorf(a.Expr, "Invalid map element", "The map %q must not hold null (at %q).", a.Name, k.AsString())
			return nil, false
		}
		out[k.AsString()] = e.AsString()
	}
	return out, true
}
