package dsl

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

type validation struct {
	cond    hcl.Expression
	message hcl.Expression
}

type varDecl struct {
	name        string
	ty          cty.Type
	defaults    *typeexpr.Defaults
	def         cty.Value // cty.NilVal when there is no default
	block       *hcl.Block
	validations []validation
	ok          bool // declaration decoded without errors
	// sensitive: the value is marked (sensitiveMark) and never shown.
	sensitive bool
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "condition", Required: true}, {Name: "error_message", Required: true}},
}

// rawValue is a variable value from outside the plan file.
type rawValue struct {
	source string         // for messages: "--var", "--var-file x.hcl", "environment variable ..."
	str    string         // unparsed value (--var, environment)
	val    cty.Value      // parsed value (var file); cty.NilVal when str is used
	rng    *hcl.Range     // location in a var file
	expr   hcl.Expression // var file expression
}

// externalValues collects values from the environment, then from args in
// command-line order, so that later entries win.
func (s *state) externalValues() map[string][]rawValue {
	out := map[string][]rawValue{}
	for _, name := range sortedKeys(s.l.env) {
		out[name] = append(out[name], rawValue{source: "environment variable " + EnvPrefix + name, str: s.l.env[name]})
	}
	for _, a := range s.l.args {
		if a.File == "" {
			out[a.Name] = append(out[a.Name], rawValue{source: "--var " + a.Name, str: a.Value})
			continue
		}
		f, d := s.l.parse(nil, a.File)
		s.diags = append(s.diags, d...)
		if f == nil || d.HasErrors() {
			continue
		}
		attrs, d := f.Body.JustAttributes()
		s.diags = append(s.diags, d...)
		for _, name := range sortedAttrNames(attrs) {
			if _, seen := s.l.fileVars[name]; !seen {
				s.l.fileVars[name] = a.File
			}
			attr := attrs[name]
			v, d := attr.Expr.Value(nil)
			s.diags = append(s.diags, d...)
			if d.HasErrors() {
				v = cty.DynamicVal
			}
			out[name] = append(out[name], rawValue{source: "--var-file " + a.File, val: v, rng: attr.Expr.Range().Ptr(), expr: attr.Expr})
		}
	}
	return out
}

func sortedAttrNames(attrs hcl.Attributes) []string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	// Source order reads best in diagnostics.
	sort.Slice(names, func(i, j int) bool {
		return attrs[names[i]].Range.Start.Byte < attrs[names[j]].Range.Start.Byte
	})
	return names
}

// variables decodes the variable blocks and resolves each value:
// default < environment < --var-file and --var in command-line order.
func (s *state) variables(blocks []*hcl.Block) map[string]cty.Value {
	decls := []*varDecl{}
	seen := map[string]*hcl.Block{}
	for _, b := range blocks {
		name := b.Labels[0]
		s.l.declared[name] = true
		if !hclsyntax.ValidIdentifier(name) {
			s.errorf(b.LabelRanges[0].Ptr(), "Invalid variable name", "A variable name must start with a letter and hold only letters, digits, underscores and dashes.")
			continue
		}
		if prev := seen[name]; prev != nil {
			s.errorf(b.LabelRanges[0].Ptr(), "Duplicate variable", "A variable named %q was already declared on line %d.", name, prev.DefRange.Start.Line)
			continue
		}
		seen[name] = b
		decls = append(decls, s.variableDecl(b))
	}

	ext := s.externalValues()
	vals := map[string]cty.Value{}
	for _, d := range decls {
		v := s.resolveVar(d, ext[d.name])
		if v.IsWhollyKnown() && hugeNumber(v) {
			s.errorf(d.block.DefRange.Ptr(), "Invalid value for variable",
				"The value of var.%s holds a number beyond ±1.8e308, the largest a float64 holds.", d.name)
			v = cty.DynamicVal
		}
		if d.sensitive {
			if v.IsWhollyKnown() {
				s.addSecrets(v)
			}
			v = v.Mark(sensitiveMark{})
		}
		vals[d.name] = v
	}

	// Validation rules may read any variable.
	vctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": objectOf(vals)},
		Functions: functions(),
	}
	for _, d := range decls {
		v := vals[d.name]
		if !v.IsWhollyKnown() {
			continue
		}
		for _, rule := range d.validations {
			if !s.checkValidation(d, rule, vctx) {
				vals[d.name] = cty.DynamicVal
				break
			}
		}
	}
	for _, d := range decls {
		v := vals[d.name]
		if !v.IsWhollyKnown() {
			continue
		}
		if d.sensitive {
			s.plan.Variables[d.name] = Sensitive
			continue
		}
		if j, err := toJSON(v); err == nil {
			s.plan.Variables[d.name] = j
		} else {
			s.errorf(d.block.DefRange.Ptr(), "Invalid variable value", "var.%s: %v", d.name, err)
		}
	}
	return vals
}

func (s *state) variableDecl(b *hcl.Block) *varDecl {
	d := &varDecl{name: b.Labels[0], ty: cty.DynamicPseudoType, def: cty.NilVal, block: b, ok: true}
	content, diags := b.Body.Content(variableSchema)
	s.diags = append(s.diags, diags...)
	if diags.HasErrors() {
		d.ok = false
	}
	if content == nil {
		return d
	}
	if a := content.Attributes["type"]; a != nil {
		ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		s.diags = append(s.diags, diags...)
		if diags.HasErrors() {
			d.ok = false
		} else {
			d.ty, d.defaults = ty, defaults
		}
	}
	if a := content.Attributes["sensitive"]; a != nil {
		v, diags := a.Expr.Value(nil)
		s.diags = append(s.diags, diags...)
		switch {
		case diags.HasErrors():
			d.ok = false
		case v.IsNull() || v.Type() != cty.Bool:
			s.errorf(a.Expr.Range().Ptr(), "Invalid sensitive value", "sensitive must be true or false.")
			d.ok = false
		default:
			d.sensitive = v.True()
		}
	}
	if a := content.Attributes["description"]; a != nil {
		v, diags := a.Expr.Value(nil)
		s.diags = append(s.diags, diags...)
		if !diags.HasErrors() && (v.IsNull() || v.Type() != cty.String) {
			s.errorf(a.Expr.Range().Ptr(), "Invalid description", "The description must be a string.")
		}
	}
	if a := content.Attributes["default"]; a != nil {
		v, diags := a.Expr.Value(nil)
		s.diags = append(s.diags, diags...)
		if diags.HasErrors() {
			d.ok = false
		} else if !v.IsNull() {
			if d.defaults != nil {
				v = d.defaults.Apply(v)
			}
			cv, err := convert.Convert(v, d.ty)
			if err != nil {
				s.errorf(a.Expr.Range().Ptr(), "Invalid default value for variable", "This default value is not compatible with the variable's type constraint: %s.", err)
				d.ok = false
			} else {
				d.def = cv
			}
		}
	}
	for _, vb := range content.Blocks {
		vc, diags := vb.Body.Content(validationSchema)
		s.diags = append(s.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		cond, msg := vc.Attributes["condition"], vc.Attributes["error_message"]
		refsSelf := false
		for _, t := range cond.Expr.Variables() {
			if t.RootName() == "var" {
				refsSelf = true
			}
		}
		if !refsSelf {
			s.errorf(cond.Expr.Range().Ptr(), "Invalid variable validation condition", "The condition for variable %q must refer to var.%s in order to test incoming values.", d.name, d.name)
			continue
		}
		d.validations = append(d.validations, validation{cond: cond.Expr, message: msg.Expr})
	}
	return d
}

// resolveVar picks the winning value for d and converts it to d's type.
func (s *state) resolveVar(d *varDecl, ext []rawValue) cty.Value {
	if !d.ok {
		return cty.DynamicVal
	}
	if len(ext) == 0 {
		if d.def == cty.NilVal {
			s.errorf(d.block.DefRange.Ptr(), "No value for required variable",
				"The variable %q has no default, so set it with --var %s=VALUE, in a --var-file, or with the environment variable %s%s.", d.name, d.name, EnvPrefix, d.name)
			return cty.DynamicVal
		}
		return d.def
	}
	raw := ext[len(ext)-1]
	v := raw.val
	if v == cty.NilVal {
		var ok bool
		if v, ok = s.parseRawValue(d, raw); !ok {
			return cty.DynamicVal
		}
	}
	if !v.IsWhollyKnown() {
		return cty.DynamicVal
	}
	if d.defaults != nil {
		v = d.defaults.Apply(v)
	}
	cv, err := convert.Convert(v, d.ty)
	if err != nil && raw.val == cty.NilVal && d.ty.IsPrimitiveType() {
		s.invalidRawValue(d, raw)
		return cty.DynamicVal
	}
	if err != nil {
		subj := raw.rng
		if subj == nil || d.sensitive {
			subj = d.block.DefRange.Ptr()
		}
		s.errorf(subj, "Invalid value for variable",
			"The value for var.%s from %s is not compatible with the variable's type constraint %s: %s.", d.name, raw.source, typeexpr.TypeString(d.ty), err)
		return cty.DynamicVal
	}
	if cv.IsNull() {
		if d.def != cty.NilVal {
			return d.def
		}
		s.errorf(d.block.DefRange.Ptr(), "No value for required variable", "The value for var.%s from %s is null and the variable has no default.", d.name, raw.source)
		return cty.DynamicVal
	}
	return cv
}

// checkValidation runs one validation rule; false when it failed.
func (s *state) checkValidation(d *varDecl, rule validation, ctx *hcl.EvalContext) bool {
	res, diags := rule.cond.Value(ctx)
	s.diags = append(s.diags, diags...)
	if diags.HasErrors() {
		return false
	}
	res, _ = res.UnmarkDeep()
	res, err := convert.Convert(res, cty.Bool)
	if err != nil || res.IsNull() {
		s.errorf(rule.cond.Range().Ptr(), "Invalid variable validation result", "The condition for variable %q must return true or false.", d.name)
		return false
	}
	if !res.IsKnown() || res.True() {
		return true
	}
	msg := "The value is not valid."
	if mv, mdiags := rule.message.Value(ctx); !mdiags.HasErrors() && mv.IsKnown() && !mv.IsNull() && !mv.IsMarked() {
		if sv, err := convert.Convert(mv, cty.String); err == nil && !sv.IsNull() {
			msg = strings.TrimSpace(sv.AsString())
		}
	}
	s.diags = append(s.diags, &hcl.Diagnostic{
		Severity:    hcl.DiagError,
		Summary:     "Invalid value for variable",
		Detail:      fmt.Sprintf("%s\n\nThis was checked by the validation rule of variable %q.", msg, d.name),
		Subject:     rule.cond.Range().Ptr(),
		Expression:  rule.cond,
		EvalContext: ctx,
	})
	return false
}

// hugeNumber reports whether v (known) holds a number that a float64 cannot
// hold (1e400), which no attribute takes and JSON cannot carry.
func hugeNumber(v cty.Value) bool {
	v, _ = v.UnmarkDeep()
	switch {
	case v.IsNull():
		return false
	case v.Type() == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return math.IsInf(f, 0)
	case v.CanIterateElements():
		for it := v.ElementIterator(); it.Next(); {
			if _, e := it.Element(); hugeNumber(e) {
				return true
			}
		}
	}
	return false
}

// toJSON converts a cty value to JSON-compatible Go values.
func toJSON(v cty.Value) (any, error) {
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil, fmt.Errorf("encode value: %w", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode value: %w", err)
	}
	return out, nil
}

// locals evaluates the locals blocks in dependency order.
func (s *state) locals(blocks []*hcl.Block, vars map[string]cty.Value) map[string]cty.Value {
	attrs := map[string]*hcl.Attribute{}
	var order []string
	for _, b := range blocks {
		as, diags := b.Body.JustAttributes()
		s.diags = append(s.diags, diags...)
		for _, name := range sortedAttrNames(as) {
			a := as[name]
			if prev := attrs[name]; prev != nil {
				s.errorf(a.NameRange.Ptr(), "Duplicate local value", "A local value named %q was already defined on line %d.", name, prev.NameRange.Start.Line)
				continue
			}
			attrs[name] = a
			order = append(order, name)
		}
	}
	vals := map[string]cty.Value{}
	varObj, funcs := objectOf(vars), functions()
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var stack []string
	var visit func(name string)
	visit = func(name string) {
		switch state[name] {
		case done:
			return
		case visiting:
			// Report the cycle once, at the local that closes it.
			i := 0
			for i < len(stack) && stack[i] != name {
				i++
			}
			cycle := append(append([]string(nil), stack[i:]...), name)
			for j := range cycle {
				cycle[j] = "local." + cycle[j]
			}
			s.errorf(attrs[name].NameRange.Ptr(), "Cycle in local values", "The local values refer to each other in a cycle: %s.", strings.Join(cycle, " → "))
			for _, n := range stack[i:] {
				vals[n] = cty.DynamicVal
			}
			return
		}
		state[name] = visiting
		stack = append(stack, name)
		a := attrs[name]
		for _, t := range a.Expr.Variables() {
			if t.RootName() != "local" || len(t) < 2 {
				continue
			}
			if step, ok := t[1].(hcl.TraverseAttr); ok && attrs[step.Name] != nil {
				visit(step.Name)
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
		if _, failed := vals[name]; failed {
			return
		}
		ctx := &hcl.EvalContext{
			Variables: map[string]cty.Value{"var": varObj, "local": localScope(a.Expr, attrs, vals)},
			Functions: funcs,
		}
		v, diags := a.Expr.Value(ctx)
		s.diags = append(s.diags, diags...)
		if diags.HasErrors() {
			v = cty.DynamicVal
		}
		vals[name] = v
	}
	for _, name := range order {
		visit(name)
	}
	return vals
}

// localScope returns the "local" object to evaluate expr with: the values
// of the locals it refers to. Building the object of every local for each
// one would make a plan with thousands of locals quadratic. A reference to
// a local that does not exist fails as it would against every local, and
// explainReferences words its diagnostic.
func localScope(expr hcl.Expression, attrs map[string]*hcl.Attribute, vals map[string]cty.Value) cty.Value {
	scope := map[string]cty.Value{}
	for _, t := range expr.Variables() {
		if t.RootName() != "local" || len(t) < 2 {
			continue
		}
		step, ok := t[1].(hcl.TraverseAttr)
		if !ok || attrs[step.Name] == nil {
			continue
		}
		if v, ok := vals[step.Name]; ok {
			scope[step.Name] = v
		} else {
			scope[step.Name] = cty.DynamicVal
		}
	}
	return objectOf(scope)
}

// explainReferences rewords HCL's "Unsupported attribute" error ("This
// object does not have an attribute named ...") for a reference to a
// variable or local value that the plan does not declare, and suggests the
// name meant.
func (s *state) explainReferences(vars, locals map[string]cty.Value) {
	var varRefs, localRefs []string
	for _, d := range s.diags {
		if d.Summary != "Unsupported attribute" || d.Expression == nil || d.Subject == nil {
			continue
		}
		for _, t := range d.Expression.Variables() {
			root := t.RootName()
			if (root != "var" && root != "local") || len(t) < 2 {
				continue
			}
			step, ok := t[1].(hcl.TraverseAttr)
			if !ok || step.SrcRange.Filename != d.Subject.Filename || step.SrcRange.Start.Byte != d.Subject.Start.Byte {
				continue
			}
			if root == "var" {
				if _, declared := vars[step.Name]; declared {
					continue
				}
				varRefs = declaredRefs(&varRefs, vars, "var.")
				d.Summary = "Reference to undeclared input variable"
				d.Detail = fmt.Sprintf("The plan declares no variable %q.%s Declare it with a variable %q block.",
					step.Name, s.didYouMeanRef("var."+step.Name, varRefs), step.Name)
			} else {
				if _, declared := locals[step.Name]; declared {
					continue
				}
				localRefs = declaredRefs(&localRefs, locals, "local.")
				d.Summary = "Reference to undeclared local value"
				d.Detail = fmt.Sprintf("The plan defines no local value %q.%s Define it in a locals block.",
					step.Name, s.didYouMeanRef("local."+step.Name, localRefs))
			}
			break
		}
	}
}

// parseRawValue reads a value from --var or the environment: as it stands
// for a string (or untyped) variable, as a number or bool for those types,
// and otherwise as an HCL expression (a list, map or object, or a number
// written as an expression). ok is false when it reported an error.
func (s *state) parseRawValue(d *varDecl, raw rawValue) (cty.Value, bool) {
	str := strings.TrimSpace(raw.str)
	switch d.ty {
	case cty.String, cty.DynamicPseudoType:
		return cty.StringVal(raw.str), true
	case cty.Number:
		if f, _, err := big.ParseFloat(str, 10, 512, big.ToNearestEven); err == nil {
			if f.IsInf() {
				s.invalidRawValue(d, raw)
				return cty.NilVal, false
			}
			return cty.NumberVal(f), true
		}
	case cty.Bool:
		switch str {
		case "true":
			return cty.True, true
		case "false":
			return cty.False, true
		}
	}
	if d.sensitive {
		// Not parsed where a diagnostic would quote it.
		expr, diags := hclsyntax.ParseExpression([]byte(raw.str), "<sensitive value>", hcl.InitialPos)
		if !diags.HasErrors() {
			if v, diags := expr.Value(nil); !diags.HasErrors() {
				return v, true
			}
		}
		s.invalidRawValue(d, raw)
		return cty.NilVal, false
	}
	fname := fmt.Sprintf("<value for var.%s>", d.name)
	s.l.extra[fname] = &hcl.File{Bytes: []byte(raw.str)}
	if diags := checkExprSource([]byte(raw.str), fname); diags.HasErrors() {
		s.diags = append(s.diags, diags...)
		return cty.NilVal, false
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw.str), fname, hcl.InitialPos)
	s.diags = append(s.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		// A bare word such as fast reads as a reference, and HCL's
		// "Variables not allowed" would not say what is wrong.
		s.invalidRawValue(d, raw)
		return cty.NilVal, false
	}
	s.diags = append(s.diags, diags...)
	return v, true
}

// invalidRawValue reports a --var or environment value that is not of the
// variable's type, on the variable's declaration.
func (s *state) invalidRawValue(d *varDecl, raw rawValue) {
	shown := fmt.Sprintf("%q", raw.str)
	if d.sensitive {
		shown = Sensitive
	}
	var detail string
	switch {
	case d.ty == cty.Number:
		detail = fmt.Sprintf("The value %s for var.%s from %s is not a valid number (variable %q has type number). Write a number such as 5000, 0.25 or 1e6.",
			shown, d.name, raw.source, d.name)
	case d.ty == cty.Bool:
		detail = fmt.Sprintf("The value %s for var.%s from %s is not a valid bool (variable %q has type bool). Write true or false.",
			shown, d.name, raw.source, d.name)
	default:
		example := `["a", "b"] or [1, 2]`
		if d.ty.IsMapType() || d.ty.IsObjectType() {
			example = `{ name = "a", size = 2 }`
		}
		ty := typeexpr.TypeString(d.ty)
		detail = fmt.Sprintf("The value %s for var.%s from %s is not a valid %s (variable %q has type %s). A value of this type is written in HCL syntax, such as %s, with strings in quotes.",
			shown, d.name, raw.source, ty, d.name, ty, example)
	}
	s.errorf(d.block.DefRange.Ptr(), "Invalid value for variable", "%s", detail)
}
