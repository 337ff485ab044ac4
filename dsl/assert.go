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

	"github.com/perfplan/perfplan/plan"
)

var assertSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true}, {Name: "error_message"},
		{Name: "abort_on_fail"}, {Name: "abort_grace"},
	},
}

func (s *state) assertArgs(content *hcl.BodyContent, as *plan.Assertion) {
	if a := content.Attributes["error_message"]; a != nil {
		as.ErrorMessage, _ = s.str(a)
	}
	if a := content.Attributes["abort_on_fail"]; a != nil {
		as.AbortOnFail, _ = s.boolean(a)
	}
	if a := content.Attributes["abort_grace"]; a != nil {
		as.AbortGrace, _ = s.dur(a)
	}
}

// metricRoot reports whether name is the root of a metric reference.
func metricRoot(name string) bool {
	for _, r := range plan.MetricRoots {
		if r == name {
			return true
		}
	}
	return false
}

// metricName turns a traversal such as op.get.latency.p99 (or
// op["get"].latency.p99) into its dotted metric name.
func metricName(t hcl.Traversal) (string, bool) {
	parts := []string{t.RootName()}
	for _, step := range t[1:] {
		switch st := step.(type) {
		case hcl.TraverseAttr:
			parts = append(parts, st.Name)
		case hcl.TraverseIndex:
			if st.Key.IsNull() || !st.Key.IsKnown() || st.Key.Type() != cty.String {
				return "", false
			}
			parts = append(parts, st.Key.AsString())
		default:
			return "", false
		}
	}
	return strings.Join(parts, "."), true
}

// assertion compiles an assert block of sc. When complete is false, sc's
// executor or workload is unknown (an error already reported), so only what
// does not depend on them is checked.
func (s *state) assertion(sc *plan.Scenario, blk *hcl.Block, complete bool) *plan.Assertion {
	before := s.errCount()
	content, diags := blk.Body.Content(assertSchema)
	s.diags = append(s.diags, diags...)
	if content == nil {
		return nil
	}
	content.Attributes = s.dropNull(content.Attributes, "condition")
	as := &plan.Assertion{}
	s.assertArgs(content, as)
	a := content.Attributes["condition"]
	if a == nil {
		return nil
	}
	cond := s.compileCondition(sc, a.Expr, complete)
	if cond == nil || !complete || s.errCount() != before {
		return nil
	}
	rng := a.Expr.Range()
	as.Condition = cond
	as.Expr = s.sourceText(rng)
	as.Pos = assertPos(rng)
	return as
}

// sourceText returns the plan file's text over rng, or "" when rng is not
// in the plan file.
func (s *state) sourceText(rng hcl.Range) string {
	if rng.Filename != s.path || rng.Start.Byte < 0 || rng.End.Byte > len(s.src) || rng.Start.Byte > rng.End.Byte {
		return ""
	}
	return string(s.src[rng.Start.Byte:rng.End.Byte])
}

// compileCondition checks that every metric the expression reads exists for
// sc and that the expression yields a bool, and returns it as a Condition.
func (s *state) compileCondition(sc *plan.Scenario, expr hcl.Expression, complete bool) *condition {
	ok := true
	var refs []string
	seen := map[string]bool{}
	dynamic := false
	all := plan.MetricNames(sc)
	for _, t := range expr.Variables() {
		root := t.RootName()
		switch {
		case metricRoot(root):
			name, nok := metricName(t)
			if !nok {
				s.errorf(t.SourceRange().Ptr(), "Invalid metric reference", "Refer to metrics by name, such as latency.p99 or op.get.error_rate.")
				ok = false
				continue
			}
			// base is the metric a baseline.X reference reads X of.
			base := strings.TrimPrefix(name, plan.BaselinePrefix)
			baseRoot, _, _ := strings.Cut(base, ".")
			if !complete && (baseRoot == "op" || baseRoot == "target" || baseRoot == "service_time" || baseRoot == "schedule_lag") {
				continue
			}
			if !plan.IsMetric(sc, name) {
				if isMetricPrefix(all, base) {
					// A prefix indexed by an expression, such as
					// op[o.value].error_rate in a dynamic block: the
					// evaluation below finds the metrics it reads.
					dynamic = true
					continue
				}
				detail := fmt.Sprintf("Scenario %q has no metric %q.", sc.Name, name)
				if best := suggest(base, all); best != "" {
					detail += fmt.Sprintf(" Did you mean %s%s?", strings.TrimSuffix(name, base), best)
				}
				if (baseRoot == "service_time" || baseRoot == "schedule_lag" || strings.Contains(base, ".service_time.") || strings.Contains(base, ".schedule_lag.")) && !sc.Open() {
					detail += " service_time and schedule_lag are measured only by the arrival-rate and breakpoint executors."
				}
				if k, ok := metricOwner(base); ok && k.Name != sc.ExecutorName() {
					detail += fmt.Sprintf(" %s are results of the %s executor.", andList(k.Metrics), k.Name)
				}
				s.errorf(t.SourceRange().Ptr(), "Unknown metric", "%s", detail)
				ok = false
				continue
			}
			if !seen[name] {
				seen[name] = true
				refs = append(refs, name)
			}
		case root == "var" || root == "local":
			// Evaluated below against the plan's values.
		default:
			s.errorf(t.SourceRange().Ptr(), "Unknown variable",
				"%q is neither a metric nor var or local. Metrics start with one of: %s.%s", root, strings.Join(plan.MetricRoots, ", "), didYouMean(root, plan.MetricRoots, true))
			ok = false
		}
	}
	if !ok || !complete {
		return nil
	}
	c := &condition{expr: expr, ctx: s.ctx}
	// Type-check with every metric unknown. Each value is marked with its
	// name, so that the result's marks tell which metrics a dynamic index
	// read.
	names := refs
	if dynamic {
		names = all
		for _, n := range all {
			names = append(names, plan.BaselinePrefix+n)
		}
	}
	unknown := map[string]cty.Value{}
	for _, r := range names {
		unknown[r] = cty.UnknownVal(cty.Number).Mark(metricMark(r))
	}
	ectx := c.evalContext(unknown)
	v, diags := expr.Value(ectx)
	diags = append(diags, shortCircuited(expr, ectx, diags)...)
	s.diags = append(s.diags, diags...)
	if diags.HasErrors() {
		return nil
	}
	v, marks := v.UnmarkDeep()
	var extra []string
	for m := range marks {
		if name, isMetric := m.(metricMark); isMetric && !seen[string(name)] {
			seen[string(name)] = true
			extra = append(extra, string(name))
		}
	}
	sort.Strings(extra)
	c.refs = append(refs, extra...)
	if v.Type() != cty.Bool && v.Type() != cty.DynamicPseudoType {
		s.exprErrorf(expr, "Invalid condition", "A condition must be true or false, but this one is %s.", friendlyType(v.Type()))
		return nil
	}
	return c
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

// metricMark marks a metric's value during the load-time check.
type metricMark string

func isMetricPrefix(all []string, prefix string) bool {
	for _, n := range all {
		if strings.HasPrefix(n, prefix+".") {
			return true
		}
	}
	return false
}

// condition implements plan.Condition over an HCL expression.
type condition struct {
	expr hcl.Expression
	refs []string
	ctx  *hcl.EvalContext // var, local and functions; never modified
}

var _ plan.Condition = (*condition)(nil)

// Refs returns the metric names the condition reads, in order of first use.
func (c *condition) Refs() []string { return append([]string(nil), c.refs...) }

// Eval evaluates the condition against m.
func (c *condition) Eval(m plan.Metrics) (result bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			result, err = false, fmt.Errorf("evaluate condition: panic: %v", r)
		}
	}()
	vals := make(map[string]cty.Value, len(c.refs))
	for _, r := range c.refs {
		f, ok := m.Metric(r)
		if !ok {
			return false, fmt.Errorf("evaluate condition: metric %s has no value", r)
		}
		if math.IsNaN(f) {
			return false, fmt.Errorf("evaluate condition: metric %s is not a number", r)
		}
		vals[r] = cty.NumberFloatVal(f)
	}
	v, diags := c.expr.Value(c.evalContext(vals))
	if diags.HasErrors() {
		return false, fmt.Errorf("evaluate condition: %w", errors.New(diagsText(diags)))
	}
	if !v.IsKnown() || v.IsNull() {
		return false, errors.New("evaluate condition: result is unknown")
	}
	if v.Type() != cty.Bool {
		return false, fmt.Errorf("evaluate condition: result is %s, not bool", v.Type().FriendlyName())
	}
	v, _ = v.Unmark()
	return v.True(), nil
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

// evalContext returns a child of the plan's context with the metrics as
// nested objects: "op.get.latency.p99" becomes op.get.latency.p99.
func (c *condition) evalContext(vals map[string]cty.Value) *hcl.EvalContext {
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
	ctx := c.ctx.NewChild()
	ctx.Variables = make(map[string]cty.Value, len(root.kids))
	for k, kid := range root.kids {
		ctx.Variables[k] = build(kid)
	}
	return ctx
}
