package dsl

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// eval evaluates an attribute's expression. ok is false when evaluation
// failed (diagnostics appended), when the value is null, or when it is
// unknown (an earlier error, already reported, left it undetermined).
func (s *state) eval(a *hcl.Attribute) (cty.Value, bool) {
	v, d := a.Expr.Value(s.ctx)
	s.diags = append(s.diags, d...)
	if d.HasErrors() || v.IsNull() || !v.IsWhollyKnown() {
		return cty.DynamicVal, false
	}
	return s.noteSensitive(v), true
}

// isNull reports whether a's value is null (evaluation errors are reported
// elsewhere, when the value is decoded).
func (s *state) isNull(a *hcl.Attribute) bool {
	v, diags := a.Expr.Value(s.ctx)
	return !diags.HasErrors() && v.IsNull()
}

// dropNull returns attrs without the attributes whose value is null, which
// count as absent, and reports those among required.
func (s *state) dropNull(attrs hcl.Attributes, required ...string) hcl.Attributes {
	out := make(hcl.Attributes, len(attrs))
	for name, a := range attrs {
		if !s.isNull(a) {
			out[name] = a
			continue
		}
		if contains(required, name) {
			s.errorf(a.Expr.Range().Ptr(), "Missing required argument", "The argument %q is required, but its value is null.", name)
		}
	}
	return out
}

func (s *state) convert(a *hcl.Attribute, v cty.Value, ty cty.Type, what string) (cty.Value, bool) {
	out, err := convert.Convert(v, ty)
	if err != nil {
		got := "got " + friendlyType(v.Type())
		if ty.IsListType() && (v.Type().IsTupleType() || v.Type().IsListType() || v.Type().IsSetType()) {
			got = err.Error()
			var pe cty.PathError
			if errors.As(err, &pe) && len(pe.Path) > 0 {
				if idx, isIdx := pe.Path[0].(cty.IndexStep); isIdx && idx.Key.Type() == cty.Number {
					got = fmt.Sprintf("but element %s: %s", idx.Key.AsBigFloat().Text('f', -1), err)
				}
			}
		}
		s.exprErrorf(a.Expr, "Incorrect attribute value type", "Inappropriate value for attribute %q: %s required, %s.", a.Name, what, got)
		return cty.DynamicVal, false
	}
	if out.IsNull() || !out.IsWhollyKnown() {
		return cty.DynamicVal, false
	}
	return out, true
}

func friendlyType(ty cty.Type) string {
	switch {
	case ty == cty.DynamicPseudoType:
		return "any value"
	case ty.IsPrimitiveType():
		return ty.FriendlyName()
	case ty.IsTupleType() || ty.IsListType() || ty.IsSetType():
		return "a list"
	case ty.IsObjectType() || ty.IsMapType():
		return "an object"
	}
	return ty.FriendlyName()
}

func (s *state) str(a *hcl.Attribute) (string, bool) {
	v, ok := s.eval(a)
	if !ok {
		return "", false
	}
	v, ok = s.convert(a, v, cty.String, "string")
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

func (s *state) boolean(a *hcl.Attribute) (bool, bool) {
	v, ok := s.eval(a)
	if !ok {
		return false, false
	}
	v, ok = s.convert(a, v, cty.Bool, "bool")
	if !ok {
		return false, false
	}
	return v.True(), true
}

func (s *state) num(a *hcl.Attribute) (float64, bool) {
	v, ok := s.eval(a)
	if !ok {
		return 0, false
	}
	return s.numVal(a, v)
}

func (s *state) numVal(a *hcl.Attribute, v cty.Value) (float64, bool) {
	v, ok := s.convert(a, v, cty.Number, "number")
	if !ok {
		return 0, false
	}
	f, _ := v.AsBigFloat().Float64()
	if math.IsInf(f, 0) || math.IsNaN(f) {
		s.exprErrorf(a.Expr, "Invalid number", "The value of %q must be a finite number.", a.Name)
		return 0, false
	}
	return f, true
}

func (s *state) integer(a *hcl.Attribute) (int64, bool) {
	v, ok := s.eval(a)
	if !ok {
		return 0, false
	}
	v, ok = s.convert(a, v, cty.Number, "whole number")
	if !ok {
		return 0, false
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		s.exprErrorf(a.Expr, "Invalid whole number", "The value of %q must be a whole number.", a.Name)
		return 0, false
	}
	i, acc := bf.Int64()
	if acc != big.Exact {
		s.exprErrorf(a.Expr, "Invalid whole number", "The value of %q is out of range.", a.Name)
		return 0, false
	}
	return i, true
}

// dur decodes a duration attribute. Durations are strings such as "250us" or
// "1.5s"; a bare number is rejected because its unit would be a guess.
func (s *state) dur(a *hcl.Attribute) (time.Duration, bool) {
	v, ok := s.eval(a)
	if !ok {
		return 0, false
	}
	switch v.Type() {
	case cty.Number:
		s.exprErrorf(a.Expr, "Duration must be a string",
			"The value of %q is a number, but durations are written as strings with a unit, such as \"30s\", \"250ms\" or \"1m30s\".", a.Name)
		return 0, false
	case cty.String:
	default:
		s.exprErrorf(a.Expr, "Incorrect attribute value type",
			"Inappropriate value for attribute %q: duration string required, such as \"30s\", got %s.", a.Name, friendlyType(v.Type()))
		return 0, false
	}
	d, err := parseDuration(v.AsString())
	if errors.Is(err, errDurationRange) {
		s.exprErrorf(a.Expr, "Value out of range", "The value of %q, %q, is out of range: durations go from 0 to %s (about 292 years).",
			a.Name, v.AsString(), maxDurationText)
		return 0, false
	}
	if err != nil {
		s.exprErrorf(a.Expr, "Invalid duration", "The value of %q is not a valid duration: %v.", a.Name, err)
		return 0, false
	}
	return d, true
}

// errDurationRange marks a well-formed duration too long for a
// time.Duration.
var errDurationRange = errors.New("out of range")

// maxDurationText is the longest duration, as a plan would write it.
const maxDurationText = "2562047h47m16.854775807s"

// parseDuration parses a non-negative duration such as "250us", "1.5s" or
// "5m" ("µs" works too).
func parseDuration(str string) (time.Duration, error) {
	trimmed := strings.TrimSpace(str)
	d, err := time.ParseDuration(trimmed)
	if err != nil {
		if durationSyntax(trimmed) {
			// Well formed, so the standard library failed on the size.
			return 0, fmt.Errorf("%q is %w: durations go from 0 to %s (about 292 years)", str, errDurationRange, maxDurationText)
		}
		return 0, fmt.Errorf("%q: write a number with a unit (ns, us, ms, s, m, h), such as \"30s\"", str)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative, %w: durations go from 0 to %s", str, errDurationRange, maxDurationText)
	}
	return d, nil
}

// durationUnits are the units time.ParseDuration knows, longest first.
var durationUnits = []string{"ns", "us", "µs", "μs", "ms", "s", "m", "h"}

// durationSyntax reports whether s is written as time.ParseDuration
// expects, [-+]?(number unit)+ with number = digits[.digits] or .digits,
// whatever its size.
func durationSyntax(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return false
	}
	for s != "" {
		digits := 0
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
		if i < len(s) && s[i] == '.' {
			i++
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
				digits++
			}
		}
		if digits == 0 {
			return false
		}
		s = s[i:]
		unit := ""
		for _, u := range durationUnits {
			if strings.HasPrefix(s, u) && len(u) > len(unit) {
				unit = u
			}
		}
		if unit == "" {
			return false
		}
		s = s[len(unit):]
	}
	return true
}

func (s *state) strList(a *hcl.Attribute) ([]string, bool) {
	v, ok := s.eval(a)
	if !ok {
		return nil, false
	}
	v, ok = s.convert(a, v, cty.List(cty.String), "list of string")
	if !ok {
		return nil, false
	}
	out := []string{}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			s.exprErrorf(a.Expr, "Invalid list element", "The list %q must not contain null.", a.Name)
			return nil, false
		}
		out = append(out, e.AsString())
	}
	return out, true
}

func (s *state) numList(a *hcl.Attribute) ([]float64, bool) {
	v, ok := s.eval(a)
	if !ok {
		return nil, false
	}
	v, ok = s.convert(a, v, cty.List(cty.Number), "list of number")
	if !ok {
		return nil, false
	}
	out := []float64{}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			s.exprErrorf(a.Expr, "Invalid list element", "The list %q must not contain null.", a.Name)
			return nil, false
		}
		f, _ := e.AsBigFloat().Float64()
		if math.IsInf(f, 0) {
			s.exprErrorf(a.Expr, "Invalid number", "The list %q must hold finite numbers.", a.Name)
			return nil, false
		}
		out = append(out, f)
	}
	return out, true
}

// suggest returns the candidate closest to name, or "" when none is close.
func suggest(name string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := levenshtein.Distance(name, c, nil)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 {
		return ""
	}
	limit := (len(name) + 1) / 3
	if limit < 1 {
		limit = 1
	}
	if bestD > limit {
		return ""
	}
	return best
}

// Suggest returns the candidate closest to name in edit distance when it is
// close enough to be a likely misspelling (at most a third of name's
// length), or "". The command line uses it for names that are not plan
// syntax: target kinds, --var names.
func Suggest(name string, candidates []string) string { return suggest(name, candidates) }

// didYouMean returns " Did you mean X?" or "".
func didYouMean(name string, candidates []string, quote bool) string {
	best := suggest(name, candidates)
	if best == "" {
		return ""
	}
	if quote {
		return fmt.Sprintf(" Did you mean %q?", best)
	}
	return fmt.Sprintf(" Did you mean %s?", best)
}

// maxListed is how many names a diagnostic lists ("Declared targets: ...").
const maxListed = 10

// listNames joins names, at most maxListed of them, so that a plan with
// thousands of targets does not repeat them all in each diagnostic.
func listNames(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
}

// suggestBudget bounds the candidate comparisons that "Did you mean"
// suggestions for references make in one Load. A suggestion compares the
// name with every declared one, so a plan with thousands of targets and
// thousands of broken references to them would otherwise take quadratic
// time; past the budget the diagnostics go without a suggestion (and only
// the first MaxPrintedDiagnostics are printed anyway).
const suggestBudget = 200_000

// didYouMeanRef is didYouMean(name, candidates, false) within the Load's
// suggestion budget.
func (s *state) didYouMeanRef(name string, candidates []string) string {
	s.suggestCost += len(candidates)
	if s.suggestCost > suggestBudget {
		return ""
	}
	return didYouMean(name, candidates, false)
}
