package report

import "github.com/perfplan/perfplan/plan"

// Conditions compiles the conditions that a run document records as text
// again. Package merge evaluates them on merged figures; Document.Recompile gives
// an older document's assertions the references and comparisons that
// runs record today. Package dsl implements it (dsl.Conditions): report
// does not import the plan language, its callers hand the compiler in.
type Conditions interface {
	// CompileCondition compiles an assertion's condition outside its
	// plan; var.NAME reads vars, the document's variables.
	CompileCondition(src string, vars map[string]any) (plan.Condition, error)
	// ConditionRefs returns the metric names a condition reads, in order
	// of appearance.
	ConditionRefs(src string) ([]string, error)
}

// Recompile fills in, for each assertion of d written before runs recorded
// them (an older document), the metrics its condition reads (Refs) and its
// comparisons evaluated on the observed values (Comparisons, Logic), from
// its condition compiled again by c. Assertions that have them, and
// conditions that no longer compile or evaluate, are left as they are: the
// tables then list the observed values by name and the grade scores such
// an assertion by its verdict alone.
func (d *Document) Recompile(c Conditions) {
	for i := range d.Plans {
		p := &d.Plans[i]
		for k := range p.Assertions {
			recompileAssertion(&p.Assertions[k], c, p.Variables)
		}
		for j := range p.Scenarios {
			for k := range p.Scenarios[j].Assertions {
				recompileAssertion(&p.Scenarios[j].Assertions[k], c, p.Variables)
			}
		}
	}
}

func recompileAssertion(a *AssertionDoc, c Conditions, vars map[string]any) {
	if len(a.Refs) == 0 {
		if read, err := c.ConditionRefs(a.Condition); err == nil {
			a.Refs = observedOrder(read, a.Observed)
		}
	}
	if len(a.Comparisons) > 0 || a.Logic != nil {
		return
	}
	cond, err := c.CompileCondition(a.Condition, vars)
	if err != nil {
		return
	}
	var cmps []ComparisonDoc
	for _, cmp := range cond.Comparisons() {
		o, err := cmp.Eval(observedMetrics(a.Observed))
		if err != nil {
			return
		}
		cmps = append(cmps, ComparisonDoc{Left: cmp.Left.String(), LeftValue: o.Left, Op: cmp.Op, Right: cmp.Right.String(), RightValue: o.Right, Held: o.Held})
	}
	logic := logicDoc(cond.Logic())
	a.Comparisons, a.Logic = cmps, &logic
}

// observedOrder returns the names of the observed values in the order the
// condition reads them (read; names without an observed value, var.* among
// them, drop out), followed by the others in name order.
func observedOrder(read []string, observed map[string]float64) []string {
	var refs []string
	seen := map[string]bool{}
	for _, r := range read {
		if _, ok := observed[r]; ok && !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	for _, k := range sortedKeys(observed) {
		if !seen[k] {
			refs = append(refs, k)
		}
	}
	return refs
}
