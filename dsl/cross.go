package dsl

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/perfplan/perfplan/plan"
)

// Cross-scenario references: scenario.NAME.METRIC reads another scenario's
// figure, duet.NAME.FIGURE.STAT a duet's paired difference. Scenarios and
// duets are compiled in file order, so these references are recorded as
// they are met and checked once the whole file is compiled (resolveCross).

// isCrossRoot reports whether name is a root of cross-scenario references.
func isCrossRoot(name string) bool { return name == "scenario" || name == "duet" }

// crossRef is a cross-scenario reference waiting to be checked.
type crossRef struct {
	name string
	rng  hcl.Range
}

// crossState is what the loader keeps about scenarios and duets for the
// cross-scenario references.
type crossState struct {
	// declared holds every scenario block's name and where it is, valid or
	// not, so that a reference to a scenario with errors adds none.
	declared map[string]hcl.Range
	// duetDecl holds every duet block's name; duets the valid ones.
	duetDecl map[string]hcl.Range
	duets    map[string]*plan.Duet
	pending  []crossRef
}

// crossRef records the cross-scenario reference t for resolveCross and
// returns its metric name.
func (s *state) crossRef(t hcl.Traversal) (string, refKind) {
	name, ok := metricName(t)
	var split bool
	if ok {
		if t.RootName() == "scenario" {
			_, _, split = plan.SplitScenarioRef(name)
		} else {
			_, _, split = plan.SplitDuetRef(name)
		}
	}
	if !ok || !split {
		s.errorf(t.SourceRange().Ptr(), "Invalid metric reference",
			"Refer to another scenario's figure as scenario.NAME.METRIC (scenario.old.latency.p99), and to a duet's paired difference as duet.NAME.METRIC.STAT (duet.cache.latency.p99.change), each part a name.")
		return "", refBad
	}
	s.cross.pending = append(s.cross.pending, crossRef{name: name, rng: t.SourceRange()})
	return name, refMetric
}

// rejectCross reports the cross-scenario references of expr, which what
// (a live condition) cannot read, and returns false when there is one.
func (s *state) rejectCross(expr hcl.Expression, what string) bool {
	ok := true
	for _, t := range expr.Variables() {
		if isCrossRoot(t.RootName()) {
			s.errorf(t.SourceRange().Ptr(), "Cross-scenario reference in a live condition",
				"%s is evaluated while the scenario runs, but %s figures exist only once the scenarios it reads have finished. Use it in an assert block without abort_on_fail.", what, t.RootName())
			ok = false
		}
	}
	return ok
}

// resolveCross checks the recorded cross-scenario references against the
// compiled scenarios and duets.
func (s *state) resolveCross() {
	compiled := map[string]*plan.Scenario{}
	for _, sc := range s.plan.Scenarios {
		compiled[sc.Name] = sc
	}
	for _, r := range s.cross.pending {
		if name, metric, ok := plan.SplitScenarioRef(r.name); ok {
			s.resolveScenarioRef(r, name, metric, compiled)
			continue
		}
		name, _, _ := plan.SplitDuetRef(r.name)
		s.resolveDuetRef(r, name)
	}
}

func (s *state) resolveScenarioRef(r crossRef, name, metric string, compiled map[string]*plan.Scenario) {
	if _, ok := s.cross.declared[name]; !ok {
		names := sortedKeys(s.cross.declared)
		s.errorf(r.rng.Ptr(), "Unknown scenario", "There is no scenario %q in this plan.%s Its scenarios are: %s.",
			name, didYouMean(name, names, true), quoteList(names))
		return
	}
	sc := compiled[name]
	if sc == nil {
		return // the scenario has errors, already reported
	}
	if strings.HasPrefix(metric, plan.BaselinePrefix) || !plan.IsMetric(sc, metric) {
		all := plan.MetricNames(sc)
		detail := fmt.Sprintf("Scenario %q has no metric %q.", name, metric)
		if best := suggest(metric, all); best != "" {
			detail += fmt.Sprintf(" Did you mean %s%s.%s?", plan.ScenarioPrefix, name, best)
		}
		if strings.HasPrefix(metric, plan.BaselinePrefix) {
			detail += " Another scenario's baseline is not available; compare the scenarios themselves."
		}
		s.errorf(r.rng.Ptr(), "Unknown metric", "%s", detail)
	}
}

func (s *state) resolveDuetRef(r crossRef, name string) {
	if _, ok := s.cross.duetDecl[name]; !ok {
		names := sortedKeys(s.cross.duetDecl)
		detail := fmt.Sprintf("There is no duet %q in this plan.", name)
		if len(names) == 0 {
			detail += " The plan declares no duet blocks."
		} else {
			detail += didYouMean(name, names, true) + " Its duets are: " + quoteList(names) + "."
		}
		s.errorf(r.rng.Ptr(), "Unknown duet", "%s", detail)
		return
	}
	d := s.cross.duets[name]
	if d == nil {
		return
	}
	all := plan.DuetMetricNames(d)
	for _, n := range all {
		if n == r.name {
			return
		}
	}
	detail := fmt.Sprintf("Duet %q has no metric %q.", name, r.name)
	if best := suggest(r.name, all); best != "" {
		detail += fmt.Sprintf(" Did you mean %s?", best)
	}
	detail += fmt.Sprintf(" A duet pairs %s, each with %s.", andList(plan.DuetFigures), andList(plan.DuetStats))
	s.errorf(r.rng.Ptr(), "Unknown metric", "%s", detail)
}

var duetSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "scenarios", Required: true}},
}

// duet decodes a duet block: scenarios = [scenario.A, scenario.B, ...],
// which must be distinct scenarios that run the same load.
func (s *state) duet(b *hcl.Block) {
	name := b.Labels[0]
	if prev, dup := s.cross.duetDecl[name]; dup {
		s.errorf(b.LabelRanges[0].Ptr(), "Duplicate duet", "A duet named %q was already declared on line %d.", name, prev.Start.Line)
		return
	}
	s.cross.duetDecl[name] = b.DefRange
	content, diags := b.Body.Content(duetSchema)
	s.diags = append(s.diags, diags...)
	if content == nil || content.Attributes["scenarios"] == nil {
		return
	}
	a := content.Attributes["scenarios"]
	exprs, diags := hcl.ExprList(a.Expr)
	if diags.HasErrors() {
		s.exprErrorf(a.Expr, "Invalid duet", "scenarios must be a list of scenario references, such as [scenario.old, scenario.new].")
		return
	}
	compiled := map[string]*plan.Scenario{}
	for _, sc := range s.plan.Scenarios {
		compiled[sc.Name] = sc
	}
	d := &plan.Duet{Name: name, Pos: assertPos(b.DefRange)}
	var members []*plan.Scenario
	ok := true
	for _, e := range exprs {
		t, tdiags := hcl.AbsTraversalForExpr(e)
		n, nok := "", false
		if !tdiags.HasErrors() && t.RootName() == "scenario" && len(t) == 2 {
			if at, isAttr := t[1].(hcl.TraverseAttr); isAttr {
				n, nok = at.Name, true
			}
		}
		if !nok {
			s.errorf(e.Range().Ptr(), "Invalid duet member", "A duet member is a scenario reference, such as scenario.old.")
			ok = false
			continue
		}
		if _, declared := s.cross.declared[n]; !declared {
			names := sortedKeys(s.cross.declared)
			s.errorf(e.Range().Ptr(), "Unknown scenario", "There is no scenario %q in this plan.%s Its scenarios are: %s.", n, didYouMean(n, names, true), quoteList(names))
			ok = false
			continue
		}
		if contains(d.Members, n) {
			s.errorf(e.Range().Ptr(), "Duplicate duet member", "Scenario %q is already a member of this duet.", n)
			ok = false
			continue
		}
		d.Members = append(d.Members, n)
		if sc := compiled[n]; sc != nil {
			members = append(members, sc)
		} else {
			ok = false // its errors are reported
		}
	}
	if len(d.Members) < 2 && ok {
		s.exprErrorf(a.Expr, "Invalid duet", "A duet compares at least two scenarios; this one names %d.", len(d.Members))
		return
	}
	if !ok {
		return
	}
	for _, m := range members[1:] {
		if why := sameLoad(members[0], m); why != "" {
			s.exprErrorf(a.Expr, "Duet members differ in load",
				"The members of a duet run the same load at the same time, so that the pairs of intervals compare like with like, but scenario %q %s scenario %q. Give them the same executor, parameters and start_time; they may differ in workload and target.",
				m.Name, why, members[0].Name)
			return
		}
	}
	s.cross.duets[name] = d
	s.plan.Duets = append(s.plan.Duets, d)
}

// sameLoad says how b's load differs from a's, or "" when it does not.
func sameLoad(a, b *plan.Scenario) string {
	switch {
	case a.ExecutorName() != b.ExecutorName():
		return fmt.Sprintf("uses the executor %q, not %q like", b.ExecutorName(), a.ExecutorName())
	case a.StartTime != b.StartTime:
		return fmt.Sprintf("starts at %v, not %v like", b.StartTime, a.StartTime)
	case !reflect.DeepEqual(a.Config, b.Config):
		return "has other executor parameters than"
	}
	return ""
}

// planAssertion compiles a plan-level assert block, which reads only
// cross-scenario figures, variables and locals.
func (s *state) planAssertion(blk *hcl.Block) {
	before := s.errCount()
	content, diags := blk.Body.Content(assertSchema)
	s.diags = append(s.diags, diags...)
	if content == nil {
		return
	}
	content.Attributes = s.dropNull(content.Attributes, "condition")
	as := &plan.Assertion{}
	s.assertArgs(content, as)
	if a := content.Attributes["abort_on_fail"]; a != nil && as.AbortOnFail {
		s.errorf(a.NameRange.Ptr(), "Invalid plan-level assertion", "A plan-level assertion is evaluated once every scenario has finished, so it cannot stop a run: abort_on_fail belongs in a scenario's assert block.")
	}
	a := content.Attributes["condition"]
	if a == nil {
		return
	}
	var refs []string
	seen := map[string]bool{}
	for _, t := range a.Expr.Variables() {
		root := t.RootName()
		switch {
		case root == "var" || root == "local":
		case isCrossRoot(root):
			if name, kind := s.crossRef(t); kind == refMetric && !seen[name] {
				seen[name] = true
				refs = append(refs, name)
			}
		default:
			detail := fmt.Sprintf("A plan-level assertion reads other scenarios' figures, as scenario.NAME.METRIC or duet.NAME.METRIC.STAT, and var or local; %q is none of them.", root)
			if metricRoot(root) {
				detail += " A metric of one scenario belongs in that scenario's assert block, or reads as scenario.NAME." + root + "."
			}
			s.errorf(t.SourceRange().Ptr(), "Unknown variable", "%s", detail)
		}
	}
	if s.errCount() != before {
		return
	}
	v, _, diags := typeCheck(a.Expr, s.ctx, refs)
	s.diags = append(s.diags, diags...)
	if diags.HasErrors() {
		return
	}
	if v.Type() != cty.Bool && v.Type() != cty.DynamicPseudoType {
		s.exprErrorf(a.Expr, "Invalid condition", "A condition must be true or false, but this one is %s.", friendlyType(v.Type()))
		return
	}
	rng := a.Expr.Range()
	as.Condition = newCondition(a.Expr, s.ctx, refs, s.sourceText)
	as.Expr = s.sourceText(rng)
	as.Pos = assertPos(rng)
	s.plan.Asserts = append(s.plan.Asserts, as)
}
