package dsl

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/perfplan/perfplan/plan"
)

// conditionFile names a condition compiled from its text in diagnostics.
const conditionFile = "condition"

// CompileCondition compiles an assertion's condition from its source text,
// as a run document records it, outside its plan: var.NAME reads vars (the
// document's variables, JSON-compatible values), a reference under a
// metric root is a metric whatever its name (a saved run has no scenario to
// check it against), and locals and the iterators of dynamic blocks are not
// available. It is the one compiler of the plan language, for the reports
// that re-evaluate a saved run.
func CompileCondition(src string, vars map[string]any) (plan.Condition, error) {
	expr, err := parseCondition(src)
	if err != nil {
		return nil, err
	}
	refs, err := savedRefs(expr)
	if err != nil {
		return nil, err
	}
	ctx, err := varContext(vars)
	if err != nil {
		return nil, err
	}
	v, _, diags := typeCheck(expr, ctx, refs)
	if diags.HasErrors() {
		return nil, fmt.Errorf("compile condition: %w", errors.New(diagsText(diags)))
	}
	if v.Type() != cty.Bool && v.Type() != cty.DynamicPseudoType {
		return nil, fmt.Errorf("compile condition: the result is %s, not bool", friendlyType(v.Type()))
	}
	text := func(rng hcl.Range) string { return rangeText([]byte(src), conditionFile, rng) }
	return newCondition(expr, ctx, refs, text), nil
}

// ConditionRefs returns the metrics that the condition src reads by name,
// in order of first appearance, with op["get"] read as op.get. It only
// parses src, so it needs no variables.
func ConditionRefs(src string) ([]string, error) {
	expr, err := parseCondition(src)
	if err != nil {
		return nil, err
	}
	var refs []string
	seen := map[string]bool{}
	for _, t := range expr.Variables() {
		if !metricRoot(t.RootName()) {
			continue
		}
		if name, ok := metricName(t); ok && !seen[name] {
			seen[name] = true
			refs = append(refs, name)
		}
	}
	return refs, nil
}

// parseCondition parses src as one expression, after the checks that Load
// makes before it parses a file (size, encoding, nesting).
func parseCondition(src string) (hcl.Expression, error) {
	b := []byte(src)
	if diags := CheckSource(b, conditionFile); diags.HasErrors() {
		return nil, fmt.Errorf("parse condition: %w", errors.New(diagsText(diags)))
	}
	expr, diags := hclsyntax.ParseExpression(b, conditionFile, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parse condition: %w", errors.New(diagsText(diags)))
	}
	return expr, nil
}

// savedRefs returns the metrics expr reads, in order of first appearance.
// A reference that is neither a metric nor var.* is an error.
func savedRefs(expr hcl.Expression) ([]string, error) {
	var refs []string
	seen := map[string]bool{}
	for _, t := range expr.Variables() {
		root := t.RootName()
		if root == "var" {
			continue
		}
		if !metricRoot(root) {
			return nil, fmt.Errorf("compile condition: %s is not available outside its plan", root)
		}
		name, ok := metricName(t)
		if !ok {
			return nil, fmt.Errorf("compile condition: a reference under %s is not a metric name", root)
		}
		if !seen[name] {
			seen[name] = true
			refs = append(refs, name)
		}
	}
	return refs, nil
}

// varContext returns an evaluation context with vars as var.* and the plan
// functions.
func varContext(vars map[string]any) (*hcl.EvalContext, error) {
	obj := cty.EmptyObjectVal
	if len(vars) > 0 {
		b, err := json.Marshal(vars)
		if err != nil {
			return nil, fmt.Errorf("variables: %w", err)
		}
		ty, err := ctyjson.ImpliedType(b)
		if err != nil {
			return nil, fmt.Errorf("variables: %w", err)
		}
		if obj, err = ctyjson.Unmarshal(b, ty); err != nil {
			return nil, fmt.Errorf("variables: %w", err)
		}
	}
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": obj},
		Functions: functions(),
	}, nil
}

// Conditions compiles the conditions of saved run documents again:
// report.Conditions, which report's merge and Document.Recompile take, so
// that report does not import the plan language.
type Conditions struct{}

// CompileCondition is the package's CompileCondition.
func (Conditions) CompileCondition(src string, vars map[string]any) (plan.Condition, error) {
	return CompileCondition(src, vars)
}

// ConditionRefs is the package's ConditionRefs.
func (Conditions) ConditionRefs(src string) ([]string, error) { return ConditionRefs(src) }
