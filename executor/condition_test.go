package executor

import (
	"errors"
	"reflect"
	"strconv"
	"testing"

	"github.com/perfplan/perfplan/plan"
)

// metricExpr is a plan.Expr that reads one metric, times factor (1 when 0).
type metricExpr struct {
	name   string
	factor float64
}

func (e metricExpr) String() string {
	if e.factor == 0 {
		return e.name
	}
	return e.name + " * " + strconv.FormatFloat(e.factor, 'g', -1, 64)
}

func (e metricExpr) Eval(m plan.Metrics) (float64, error) {
	v, ok := m.Metric(e.name)
	if !ok {
		return 0, errors.New("no value for " + e.name)
	}
	if e.factor != 0 {
		v *= e.factor
	}
	return v, nil
}

// constExpr is a plan.Expr for a number.
type constExpr float64

func (e constExpr) String() string                     { return strconv.FormatFloat(float64(e), 'g', -1, 64) }
func (e constExpr) Eval(plan.Metrics) (float64, error) { return float64(e), nil }

// oneComparison is the Logic of a condition that is one comparison.
var oneComparison = plan.Logic{Op: plan.LogicCompare}

func TestEvalAssertionsRecordsComparisons(t *testing.T) {
	t.Parallel()
	r := &ScenarioResult{Name: "s", Executor: ConstantVUsName, Total: OpStats{Ops: 200, Errors: 3}}
	base := func(_, metric string) (float64, error) {
		if metric == "ops" {
			return 150, nil
		}
		return 0, errors.New("no " + metric)
	}
	sc := &plan.Scenario{Name: "s", Asserts: []*plan.Assertion{
		{Expr: "ops < 300", Condition: lessThan("ops", 300)},
		{Expr: "errors > 5", Condition: greaterThan("errors", 5)},
		{Expr: "ops < baseline.ops * 1.1", Condition: belowBaseline{"ops", 1.1}},
		{Expr: "target.hit_ratio > 0.5", Condition: greaterThan("target.hit_ratio", 0.5)},
	}}
	evalAssertions(r, sc, base, nil)
	tests := []struct {
		passed bool
		want   []ComparisonResult
	}{
		{true, []ComparisonResult{{Left: "ops", Op: "<", Right: "300", LeftValue: 200, RightValue: 300, Held: true}}},
		{false, []ComparisonResult{{Left: "errors", Op: ">", Right: "5", LeftValue: 3, RightValue: 5}}},
		{false, []ComparisonResult{{Left: "ops", Op: "<", Right: "baseline.ops * 1.1", LeftValue: 200, RightValue: 150 * 1.1}}},
		// The target has no such statistic: nothing is recorded.
		{false, nil},
	}
	for i, tt := range tests {
		a := r.Assertions[i]
		if a.Passed != tt.passed || !reflect.DeepEqual(a.Comparisons, tt.want) {
			t.Errorf("%s: passed %v comparisons %+v, want %v %+v", a.Assertion.Expr, a.Passed, a.Comparisons, tt.passed, tt.want)
		}
	}
}
