package dsl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/perfplan/perfplan/executor"
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
	if isCrossRoot(name) {
		return true
	}
	return slices.Contains(plan.MetricRoots(), name)
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
	if as.AbortOnFail && !s.rejectCross(a.Expr, "An abort_on_fail condition") {
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
func (s *state) sourceText(rng hcl.Range) string { return rangeText(s.src, s.path, rng) }

// compileCondition checks that every metric the expression reads exists for
// sc and that the expression yields a bool, and returns it as a Condition.
// When complete is false, sc's executor or workload is unknown: only the
// references that do not depend on them are checked, and nil is returned.
func (s *state) compileCondition(sc *plan.Scenario, expr hcl.Expression, complete bool) *condition {
	refs, dynamic, ok := s.metricRefs(sc, expr, complete)
	if !ok || !complete {
		return nil
	}
	// Type-check with every metric unknown. A prefix indexed by an
	// expression (dynamic) may read any metric: the marks on the result
	// tell which it did.
	names := refs
	if dynamic {
		names = mergeRefs(withBaselines(plan.MetricNames(sc)), refs)
	}
	v, read, diags := typeCheck(expr, s.ctx, names)
	s.diags = append(s.diags, diags...)
	if diags.HasErrors() {
		return nil
	}
	if v.Type() != cty.Bool && v.Type() != cty.DynamicPseudoType {
		s.exprErrorf(expr, "Invalid condition", "A condition must be true or false, but this one is %s.", friendlyType(v.Type()))
		return nil
	}
	return newCondition(expr, s.ctx, mergeRefs(refs, read), s.sourceText)
}

// withBaselines returns names followed by each name's baseline.
func withBaselines(names []string) []string {
	out := append([]string(nil), names...)
	for _, n := range names {
		out = append(out, plan.BaselinePrefix+n)
	}
	return out
}

// refKind classifies a variable reference of a condition.
type refKind int

const (
	// refOther is var.* or local.*, evaluated against the plan's values,
	// or a metric not checked because the scenario is incomplete.
	refOther refKind = iota
	// refMetric is a metric of the scenario.
	refMetric
	// refDynamic is a metric prefix indexed by an expression, such as
	// op[o.value].error_rate in a dynamic block.
	refDynamic
	// refBad is an error, already reported.
	refBad
)

// metricRefs checks the references of expr against sc's metrics. It returns
// the metrics that expr reads by name, in order of first appearance,
// whether it indexes a metric prefix by an expression, and false when a
// reference is an error (reported).
func (s *state) metricRefs(sc *plan.Scenario, expr hcl.Expression, complete bool) (refs []string, dynamic, ok bool) {
	ok = true
	seen := map[string]bool{}
	all := plan.MetricNames(sc)
	for _, t := range expr.Variables() {
		name, kind := s.checkRef(sc, t, complete, all)
		switch kind {
		case refBad:
			ok = false
		case refDynamic:
			dynamic = true
		case refMetric:
			if !seen[name] {
				seen[name] = true
				refs = append(refs, name)
			}
		}
	}
	return refs, dynamic, ok
}

// checkRef classifies the reference t of a condition of sc, whose metrics
// are all, and reports it when it is an error.
func (s *state) checkRef(sc *plan.Scenario, t hcl.Traversal, complete bool, all []string) (string, refKind) {
	root := t.RootName()
	if root == "var" || root == "local" || (root == "each" && s.ctx.Variables["each"] != cty.NilVal) {
		return "", refOther
	}
	if isCrossRoot(root) {
		return s.crossRef(t)
	}
	if !metricRoot(root) {
		s.errorf(t.SourceRange().Ptr(), "Unknown variable",
			"%q is neither a metric nor var or local. Metrics start with one of: %s.%s", root, strings.Join(plan.MetricRoots(), ", "), didYouMean(root, plan.MetricRoots(), true))
		return "", refBad
	}
	name, ok := metricName(t)
	if !ok {
		s.errorf(t.SourceRange().Ptr(), "Invalid metric reference", "Refer to metrics by name, such as latency.p99 or op.get.error_rate.")
		return "", refBad
	}
	// base is the metric a baseline.X reference reads X of.
	base := strings.TrimPrefix(name, plan.BaselinePrefix)
	switch {
	case !complete && scenarioDependent(base):
		return "", refOther
	case plan.IsMetric(sc, name):
		return name, refMetric
	case isMetricPrefix(all, base):
		// The evaluation finds the metrics a dynamic index reads.
		return "", refDynamic
	}
	if detail, isStage := unknownStage(sc, base); isStage {
		s.errorf(t.SourceRange().Ptr(), "Unknown stage", "%s", detail)
		return "", refBad
	}
	s.errorf(t.SourceRange().Ptr(), "Unknown metric", "%s", unknownMetric(sc, name, base, all))
	return "", refBad
}

// unknownStage explains a stage.NAME reference (base) to a stage that sc
// does not have, with a suggestion; false when base is not stage.NAME... or
// names a stage sc has.
func unknownStage(sc *plan.Scenario, base string) (string, bool) {
	rest, ok := strings.CutPrefix(base, plan.StagePrefix)
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rest, ".")
	var names []string
	for _, st := range sc.Stages() {
		if st.Name == name {
			return "", false
		}
		if st.Name != "" {
			names = append(names, st.Name)
		}
	}
	switch {
	case len(sc.Stages()) == 0:
		return fmt.Sprintf("Scenario %q has no stages: stage.NAME reads a named stage of a ramping-vus or ramping-arrival-rate scenario.", sc.Name), true
	case len(names) == 0:
		return fmt.Sprintf("Scenario %q has no stage named %q: none of its stages has a name. Name one with name = \"%s\" in its stage block.", sc.Name, name, name), true
	}
	return fmt.Sprintf("Scenario %q has no stage named %q.%s Its named stages are: %s.", sc.Name, name, didYouMean(name, names, true), quoteList(names)), true
}

// scenarioDependent reports whether the metric base exists only for some
// executors or workloads.
func scenarioDependent(base string) bool {
	root, _, _ := strings.Cut(base, ".")
	fam, isFamily := plan.LookupFamily(root)
	return root == "op" || root == "target" || root == "stage" || (isFamily && fam.OpenOnly)
}

// unknownMetric explains that sc has no metric name (base without its
// baseline. prefix), with a suggestion from all.
func unknownMetric(sc *plan.Scenario, name, base string, all []string) string {
	detail := fmt.Sprintf("Scenario %q has no metric %q.", sc.Name, name)
	if best := suggest(base, all); best != "" {
		detail += fmt.Sprintf(" Did you mean %s%s?", strings.TrimSuffix(name, base), best)
	}
	if readsOpenFamily(base) && !sc.Open() {
		detail += fmt.Sprintf(" %s are measured only by the %s executors.", andList(plan.OpenFamilies()), openExecutors())
	}
	if k, ok := metricOwner(base); ok && k.Name != sc.ExecutorName() {
		detail += fmt.Sprintf(" %s are results of the %s executor.", andList(k.Metrics), k.Name)
	}
	return detail
}

func isMetricPrefix(all []string, prefix string) bool {
	for _, n := range all {
		if strings.HasPrefix(n, prefix+".") {
			return true
		}
	}
	return false
}

// readsOpenFamily reports whether the metric name base reads (or tries to
// read, with a misspelt field) a latency family that only open models
// measure.
func readsOpenFamily(base string) bool {
	open := false
	for _, part := range strings.Split(base, ".") {
		if fam, ok := plan.LookupFamily(part); ok {
			open = fam.OpenOnly
		}
	}
	return open
}

// openExecutors names the open-model executors for a diagnostic: "the
// arrival-rate and breakpoint" executors.
func openExecutors() string {
	var names []string
	for _, k := range executor.Kinds() {
		if !k.Open {
			continue
		}
		name := k.Name
		if _, rest, ok := strings.Cut(name, "-"); ok && strings.HasSuffix(rest, "arrival-rate") {
			name = "arrival-rate"
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return andList(names)
}
