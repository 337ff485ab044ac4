package dsl

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/perfplan/perfplan/plan"
)

// condition implements plan.Condition over an HCL expression. Its
// comparisons are the expression's own sub-expressions, so a verdict and
// the comparisons recorded beside it come from one parse.
type condition struct {
	expr  hcl.Expression
	refs  []string
	ctx   *hcl.EvalContext // var, local and functions; never modified
	cmps  []plan.Comparison
	logic plan.Logic
}

var _ plan.Condition = (*condition)(nil)

// newCondition returns the condition expr, which reads the metrics refs
// and has been type-checked. text returns the source text of a range.
func newCondition(expr hcl.Expression, ctx *hcl.EvalContext, refs []string, text func(hcl.Range) string) *condition {
	c := &condition{expr: expr, refs: refs, ctx: ctx}
	b := &logicBuilder{cond: c, text: text}
	c.logic = b.logic(expr)
	c.cmps = b.cmps
	return c
}

// Refs returns the metric names the condition reads, in order of first use.
func (c *condition) Refs() []string { return append([]string(nil), c.refs...) }

// Comparisons returns the condition's top-level comparisons.
func (c *condition) Comparisons() []plan.Comparison { return append([]plan.Comparison(nil), c.cmps...) }

// Logic returns how the condition combines its comparisons.
func (c *condition) Logic() plan.Logic { return c.logic }

// Eval evaluates the condition against m.
func (c *condition) Eval(m plan.Metrics) (bool, error) {
	v, err := c.value(c.expr, m)
	if err != nil {
		return false, fmt.Errorf("evaluate condition: %w", err)
	}
	if v.Type() != cty.Bool {
		return false, fmt.Errorf("evaluate condition: result is %s, not bool", v.Type().FriendlyName())
	}
	return v.True(), nil
}

// value evaluates expr, the condition or a part of it, against m. The
// result is known, not null and unmarked.
func (c *condition) value(expr hcl.Expression, m plan.Metrics) (result cty.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			result, err = cty.NilVal, fmt.Errorf("panic: %v", r)
		}
	}()
	vals, err := metricValues(c.refs, m)
	if err != nil {
		return cty.NilVal, err
	}
	v, diags := expr.Value(metricContext(c.ctx, vals))
	if diags.HasErrors() {
		return cty.NilVal, errors.New(diagsText(diags))
	}
	if !v.IsKnown() || v.IsNull() {
		return cty.NilVal, errors.New("result is unknown")
	}
	v, _ = v.UnmarkDeep()
	return v, nil
}

// metricValues reads the metrics refs from m.
func metricValues(refs []string, m plan.Metrics) (map[string]cty.Value, error) {
	vals := make(map[string]cty.Value, len(refs))
	for _, r := range refs {
		f, ok := m.Metric(r)
		if !ok {
			return nil, fmt.Errorf("metric %s has no value", r)
		}
		if math.IsNaN(f) {
			return nil, fmt.Errorf("metric %s is not a number", r)
		}
		vals[r] = cty.NumberFloatVal(f)
	}
	return vals, nil
}

func diagsText(diags hcl.Diagnostics) string {
	var parts []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			parts = append(parts, d.Summary+": "+d.Detail)
		}
	}
	return strings.Join(parts, "; ")
}

// operand implements plan.Expr over one side of a comparison.
type operand struct {
	cond *condition
	expr hcl.Expression
	text string
}

// String returns the operand's source text.
func (o operand) String() string { return o.text }

// Eval evaluates the operand to a number against m.
func (o operand) Eval(m plan.Metrics) (float64, error) {
	v, err := o.cond.value(o.expr, m)
	if err != nil {
		return 0, err
	}
	n, err := convert.Convert(v, cty.Number)
	if err != nil {
		return 0, fmt.Errorf("%s is %s, not a number", o.text, friendlyType(v.Type()))
	}
	f, _ := n.AsBigFloat().Float64()
	return f, nil
}

// logicBuilder walks the boolean layer of a condition (&&, ||, ! and
// parentheses) and collects the comparisons of numbers it combines.
type logicBuilder struct {
	cond *condition
	text func(hcl.Range) string
	cmps []plan.Comparison
}

// logic returns the structure of e, a boolean expression.
func (b *logicBuilder) logic(e hcl.Expression) plan.Logic {
	switch x := e.(type) {
	case *hclsyntax.ParenthesesExpr:
		return b.logic(x.Expression)
	case *hclsyntax.UnaryOpExpr:
		if x.Op == hclsyntax.OpLogicalNot {
			return plan.Logic{Op: plan.LogicNot, Args: []plan.Logic{b.logic(x.Val)}}
		}
	case *hclsyntax.BinaryOpExpr:
		if op, ok := junction(x.Op); ok {
			return joined(op, b.logic(x.LHS), b.logic(x.RHS))
		}
		if op, ok := comparison(x.Op); ok && b.numeric(op, x.LHS, x.RHS) {
			b.cmps = append(b.cmps, plan.Comparison{Left: b.operand(x.LHS), Op: op, Right: b.operand(x.RHS)})
			return plan.Logic{Op: plan.LogicCompare, Index: len(b.cmps) - 1}
		}
	}
	return plan.Logic{Op: plan.LogicTerm, Text: b.text(e.Range())}
}

func (b *logicBuilder) operand(e hcl.Expression) operand {
	return operand{cond: b.cond, expr: e, text: b.text(e.Range())}
}

// numeric reports whether lhs op rhs compares two numbers. HCL converts
// the operands of <, <=, > and >= to numbers (the string "4" compares as
// 4), but == and != compare values of any type without conversion, so
// that 4 == "4" is false.
func (b *logicBuilder) numeric(op string, lhs, rhs hcl.Expression) bool {
	for _, e := range []hcl.Expression{lhs, rhs} {
		v, _, diags := typeCheck(e, b.cond.ctx, b.cond.refs)
		if diags.HasErrors() {
			return false
		}
		if op == "==" || op == "!=" {
			if v.Type() != cty.Number {
				return false
			}
		} else if _, err := convert.Convert(v, cty.Number); err != nil {
			return false
		}
	}
	return true
}

// junction returns the plan operator of && and ||.
func junction(op *hclsyntax.Operation) (plan.LogicOp, bool) {
	switch op {
	case hclsyntax.OpLogicalAnd:
		return plan.LogicAnd, true
	case hclsyntax.OpLogicalOr:
		return plan.LogicOr, true
	}
	return 0, false
}

// comparison returns the text of a comparison operator.
func comparison(op *hclsyntax.Operation) (string, bool) {
	switch op {
	case hclsyntax.OpLessThan:
		return "<", true
	case hclsyntax.OpLessThanOrEqual:
		return "<=", true
	case hclsyntax.OpGreaterThan:
		return ">", true
	case hclsyntax.OpGreaterThanOrEqual:
		return ">=", true
	case hclsyntax.OpEqual:
		return "==", true
	case hclsyntax.OpNotEqual:
		return "!=", true
	}
	return "", false
}

// joined returns l op r, with the operands of a chain (a && b && c) in
// one node.
func joined(op plan.LogicOp, l, r plan.Logic) plan.Logic {
	out := plan.Logic{Op: op}
	for _, x := range []plan.Logic{l, r} {
		if x.Op == op {
			out.Args = append(out.Args, x.Args...)
		} else {
			out.Args = append(out.Args, x)
		}
	}
	return out
}

// metricMark marks a metric's value during the load-time check.
type metricMark string

// typeCheck evaluates expr with every metric of names unknown, each
// marked with its name, and returns the unmarked result, the sorted names
// of the metrics the result depends on, and the diagnostics, including
// those of the operands that && and || skip (see shortCircuited).
func typeCheck(expr hcl.Expression, parent *hcl.EvalContext, names []string) (cty.Value, []string, hcl.Diagnostics) {
	unknown := make(map[string]cty.Value, len(names))
	for _, r := range names {
		unknown[r] = cty.UnknownVal(cty.Number).Mark(metricMark(r))
	}
	ectx := metricContext(parent, unknown)
	v, diags := expr.Value(ectx)
	diags = append(diags, shortCircuited(expr, ectx, diags)...)
	v, marks := v.UnmarkDeep()
	var read []string
	for m := range marks {
		if name, ok := m.(metricMark); ok {
			read = append(read, string(name))
		}
	}
	sort.Strings(read)
	return v, read, diags
}

// mergeRefs returns refs followed by the names of read not in refs.
func mergeRefs(refs, read []string) []string {
	seen := make(map[string]bool, len(refs))
	for _, r := range refs {
		seen[r] = true
	}
	out := append([]string(nil), refs...)
	for _, r := range read {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// shortCircuited evaluates the operands that HCL skips when a && or ||
// operand, or a conditional's condition, is unknown, so that an error on the
// right of || is found at load time too. It returns diagnostics not already
// in have.
func shortCircuited(expr hcl.Expression, ctx *hcl.EvalContext, have hcl.Diagnostics) hcl.Diagnostics {
	sx, ok := expr.(hclsyntax.Expression)
	if !ok {
		return nil
	}
	seen := map[string]bool{}
	key := func(d *hcl.Diagnostic) string {
		if d.Subject == nil {
			return d.Summary
		}
		return d.Summary + "@" + d.Subject.String()
	}
	for _, d := range have {
		seen[key(d)] = true
	}
	var out hcl.Diagnostics
	check := func(e hclsyntax.Expression) {
		_, diags := e.Value(ctx)
		for _, d := range diags {
			if !seen[key(d)] {
				seen[key(d)] = true
				out = append(out, d)
			}
		}
	}
	_ = hclsyntax.VisitAll(sx, func(n hclsyntax.Node) hcl.Diagnostics {
		switch e := n.(type) {
		case *hclsyntax.BinaryOpExpr:
			if e.Op == hclsyntax.OpLogicalOr || e.Op == hclsyntax.OpLogicalAnd {
				check(e.RHS)
			}
		case *hclsyntax.ConditionalExpr:
			check(e.TrueResult)
			check(e.FalseResult)
		}
		return nil
	})
	return out
}

// metricContext returns a child of parent with the metrics as nested
// objects: "op.get.latency.p99" becomes op.get.latency.p99.
func metricContext(parent *hcl.EvalContext, vals map[string]cty.Value) *hcl.EvalContext {
	type node struct {
		leaf cty.Value
		kids map[string]*node
	}
	root := &node{kids: map[string]*node{}}
	for name, v := range vals {
		n := root
		for _, part := range strings.Split(name, ".") {
			if n.kids == nil {
				n.kids = map[string]*node{}
			}
			next := n.kids[part]
			if next == nil {
				next = &node{}
				n.kids[part] = next
			}
			n = next
		}
		n.leaf = v
	}
	var build func(n *node) cty.Value
	build = func(n *node) cty.Value {
		if len(n.kids) == 0 {
			if n.leaf == cty.NilVal {
				return cty.DynamicVal
			}
			return n.leaf
		}
		attrs := make(map[string]cty.Value, len(n.kids))
		for k, kid := range n.kids {
			attrs[k] = build(kid)
		}
		return cty.ObjectVal(attrs)
	}
	ctx := parent.NewChild()
	ctx.Variables = make(map[string]cty.Value, len(root.kids))
	for k, kid := range root.kids {
		ctx.Variables[k] = build(kid)
	}
	return ctx
}

// rangeText returns src's text over rng, or "" when rng is not in
// filename or not within src.
func rangeText(src []byte, filename string, rng hcl.Range) string {
	if rng.Filename != filename || rng.Start.Byte < 0 || rng.End.Byte > len(src) || rng.Start.Byte > rng.End.Byte {
		return ""
	}
	return string(src[rng.Start.Byte:rng.End.Byte])
}
