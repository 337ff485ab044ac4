package report

import (
	"math"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
)

// Grade words and their lower bounds.
const (
	GradeExcellent = "Excellent" // score ≥ 90
	GradeGood      = "Good"      // 75 ≤ score < 90
	GradeFair      = "Fair"      // 60 ≤ score < 75
	GradePoor      = "Poor"      // score < 60
)

// Grading constants; see docs/results.md, "The grade".
const (
	// gradeFullMargin is the relative headroom at which a passing comparison
	// scores 100, and the relative miss at which a failing one scores 0.
	gradeFullMargin = 0.5
	// gradePassFloor is the score of a comparison that holds with no
	// headroom at all: the boundary between Fair and Poor.
	gradePassFloor = 60.0
	// gradeFailedCap is the best score a plan with a failed assertion (or an
	// interrupted plan) can get: the top of Fair.
	gradeFailedCap = 74.0
	// gradeUncertainCap is the best score of a plan whose figures cannot
	// be fully trusted: an inconclusive assertion, or a scenario whose
	// runner was saturated. Such a plan is never Excellent.
	gradeUncertainCap = 89.9
)

// GradeWord returns the word for a score: Excellent at 90 and above, Good at
// 75 to 89, Fair at 60 to 74 and Poor below 60.
func GradeWord(score float64) string {
	switch {
	case score >= 90:
		return GradeExcellent
	case score >= 75:
		return GradeGood
	case score >= 60:
		return GradeFair
	}
	return GradePoor
}

// Grade scores a plan from 0 to 100 from its assertions' margins and returns
// the score with its word. The formula is documented in docs/results.md:
//
//   - each comparison a < b (or <=, >, >=) of a condition has a relative
//     margin m = (b − a)/|b| (mirrored for > and >=), positive when it holds;
//   - a comparison that holds scores 60 + 40·min(1, m/0.5); one that fails
//     scores 60·max(0, 1 − |m|/0.5), at most 59.9; so the score is
//     continuous in the margin, 60 exactly at the limit. A comparison
//     without a margin (== and !=, or against 0) scores 100 when it held
//     and 0 when it failed;
//   - && scores its weakest operand, || its strongest, and ! mirrors its
//     operand's comparisons (a < b becomes a >= b);
//   - an assertion whose condition cannot be scored so (a conditional or a
//     function at the top, or a saved condition that no longer compiles)
//     scores 100 when it held and 0 when it failed;
//   - the plan scores the mean over its assertions, capped at 74 (Fair) when
//     any assertion failed, the plan was interrupted or a scenario had a
//     worker error (a Stats that panicked), and at 89.9 (Good) when an
//     assertion was inconclusive or a scenario's runner was saturated. A
//     plan that could not run, or one whose target failed to start, scores
//     0; a plan without
//     assertions scores 100.
//
// The comparisons are those the run recorded; a document written before
// they were recorded has its conditions compiled again by dsl and evaluated
// against the observed values.
func Grade(p PlanDoc) (score float64, word string) {
	if p.Error != "" {
		return 0, GradeWord(0)
	}
	n := 0
	sum := 0.0
	failed, uncertain := p.Interrupted, false
	for _, s := range AssertionGroups(&p) {
		uncertain = uncertain || s.RunnerSaturated != ""
		if s.TargetFailure != "" {
			// As a plan that could not run.
			return 0, GradeWord(0)
		}
		if len(s.WorkerErrors) > 0 {
			failed = true
		}
		for _, a := range s.Assertions {
			sum += AssertionScore(a)
			n++
			switch a.Outcome() {
			case executor.VerdictFail:
				failed = true
			case executor.VerdictInconclusive:
				uncertain = true
			}
		}
	}
	score = 100
	if n > 0 {
		score = sum / float64(n)
	}
	if failed && score > gradeFailedCap {
		score = gradeFailedCap
	}
	if uncertain && score > gradeUncertainCap {
		score = gradeUncertainCap
	}
	score = math.Round(score*10) / 10
	return score, GradeWord(score)
}

// AssertionScore scores one assertion from 0 to 100 by its margins, as Grade
// describes: its recorded comparisons (an older document's, once
// Document.Recompile filled them in), else its verdict.
func AssertionScore(a AssertionDoc) float64 {
	fallback := 0.0
	if a.Passed {
		fallback = 100
	}
	if a.Error != "" {
		return 0
	}
	cmps, logic, ok := a.comparisons()
	if !ok {
		return fallback
	}
	score, ok := logicScore(logic, cmps, false)
	// The score must agree with the recorded verdict. If it does not (the
	// comparisons were recorded by another version, or a saved condition
	// compiles to something else today), trust the verdict.
	if !ok || a.Passed != (score >= gradePassFloor) {
		return fallback
	}
	return score
}

// comparisons returns the assertion's comparisons and how its condition
// combines them, as the run recorded them (or Document.Recompile, for an
// older document). ok is false when there are none.
func (a AssertionDoc) comparisons() ([]ComparisonDoc, LogicDoc, bool) {
	switch {
	case a.Logic != nil:
		return a.Comparisons, *a.Logic, true
	case len(a.Comparisons) > 0:
		return a.Comparisons, conjunction(len(a.Comparisons)), true
	}
	return nil, LogicDoc{}, false
}

// observedMetrics serves an assertion's observed values as plan.Metrics.
type observedMetrics map[string]float64

// Metric implements plan.Metrics.
func (m observedMetrics) Metric(name string) (float64, bool) {
	v, ok := m[name]
	return v, ok
}

// conjunction is the logic of n comparisons joined by &&.
func conjunction(n int) LogicDoc {
	if n == 1 {
		return cmpLogic(0)
	}
	l := LogicDoc{Op: plan.LogicAnd.String()}
	for i := range n {
		l.Args = append(l.Args, cmpLogic(i))
	}
	return l
}

func cmpLogic(i int) LogicDoc { return LogicDoc{Op: plan.LogicCompare.String(), Cmp: &i} }

// logicScore scores the node l over cmps, negated when neg is set. ok is
// false when l or a node below it cannot be scored.
func logicScore(l LogicDoc, cmps []ComparisonDoc, neg bool) (score float64, ok bool) {
	switch l.Op {
	case plan.LogicCompare.String():
		if l.Cmp == nil || *l.Cmp < 0 || *l.Cmp >= len(cmps) {
			return 0, false
		}
		return cmps[*l.Cmp].score(neg), true
	case plan.LogicNot.String():
		if len(l.Args) != 1 {
			return 0, false
		}
		return logicScore(l.Args[0], cmps, !neg)
	case plan.LogicAnd.String(), plan.LogicOr.String():
		// !(a && b) is !a || !b, and !(a || b) is !a && !b.
		weakest := (l.Op == plan.LogicAnd.String()) != neg
		return junctionScore(l.Args, cmps, neg, weakest)
	}
	return 0, false
}

// junctionScore is the lowest (weakest) or the highest score of args.
func junctionScore(args []LogicDoc, cmps []ComparisonDoc, neg, weakest bool) (float64, bool) {
	if len(args) == 0 {
		return 0, false
	}
	var out float64
	for i, a := range args {
		s, ok := logicScore(a, cmps, neg)
		if !ok {
			return 0, false
		}
		if i == 0 || weakest && s < out || !weakest && s > out {
			out = s
		}
	}
	return out, true
}

// Margin is the relative headroom of the comparison: (Right−Left)/|Right|
// for < and <=, (Left−Right)/|Right| for > and >=; positive when it holds.
// ok is false for == and != and when Right is 0 or a value is not finite.
func (c ComparisonDoc) Margin() (m float64, ok bool) {
	if c.RightValue == 0 || math.IsNaN(c.LeftValue) || math.IsNaN(c.RightValue) || math.IsInf(c.RightValue, 0) || math.IsInf(c.LeftValue, 0) {
		return 0, false
	}
	switch c.Op {
	case "<", "<=":
		return (c.RightValue - c.LeftValue) / math.Abs(c.RightValue), true
	case ">", ">=":
		return (c.LeftValue - c.RightValue) / math.Abs(c.RightValue), true
	}
	return 0, false
}

// score scores the comparison, or its negation (a < b read as a >= b)
// when neg is set.
func (c ComparisonDoc) score(neg bool) float64 {
	held := c.Held != neg
	m, ok := c.Margin()
	switch {
	case !ok && held:
		return 100
	case !ok:
		return 0
	case neg:
		m = -m
	}
	if held {
		return gradePassFloor + (100-gradePassFloor)*math.Min(1, math.Max(0, m)/gradeFullMargin)
	}
	// A failure exactly at the limit still scores just below the pass floor.
	return math.Min(gradePassFloor-0.1, gradePassFloor*math.Max(0, 1-math.Abs(m)/gradeFullMargin))
}
