package report

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
)

// TestDocumentRecordsComparisons checks that a run's evaluated comparisons
// reach the document, with the logic when it is not a conjunction, and
// that the grade reads them after a round trip through JSON.
func TestDocumentRecordsComparisons(t *testing.T) {
	t.Parallel()
	assertion := func(src string) *plan.Assertion {
		c, err := dsl.CompileCondition(src, nil)
		if err != nil {
			t.Fatal(err)
		}
		return &plan.Assertion{Expr: src, Condition: c}
	}
	p99 := executor.ComparisonResult{Left: "latency.p99", Op: "<", Right: `duration("5ms")`, LeftValue: 3, RightValue: 5, Held: true}
	errs := executor.ComparisonResult{Left: "errors", Op: "==", Right: "0", Held: true}
	res := &executor.Result{
		Plan: &plan.Plan{Name: "p"},
		Scenarios: []*executor.ScenarioResult{{Name: "s", Assertions: []executor.AssertionResult{
			{Assertion: assertion(`latency.p99 < duration("5ms") && errors == 0`), Passed: true,
				Comparisons: []executor.ComparisonResult{p99, errs}},
			{Assertion: assertion(`latency.p99 < duration("5ms") || !(errors == 0)`), Passed: true,
				Comparisons: []executor.ComparisonResult{p99, errs}},
			{Assertion: assertion(`errors < 1 ? true : latency.p99 < 5`), Passed: true},
			{Assertion: assertion(`latency.p99 < 5`), Err: "metric latency.p99 has no value"},
			{Assertion: assertion(`latency.p99 < duration("5ms")`), Passed: false, Aborted: true,
				Comparisons:      []executor.ComparisonResult{p99},
				AbortComparisons: []executor.ComparisonResult{{Left: "latency.p99", Op: "<", Right: `duration("5ms")`, LeftValue: 7, RightValue: 5}}},
		}}},
	}
	d := &Document{SchemaVersion: SchemaVersion}
	d.AddResult(res)
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(d); err != nil {
		t.Fatal(err)
	}
	back, err := ReadDocument(&buf)
	if err != nil {
		t.Fatal(err)
	}
	as := back.Plans[0].Scenarios[0].Assertions
	p99Doc := ComparisonDoc{Left: "latency.p99", LeftValue: 3, Op: "<", Right: `duration("5ms")`, RightValue: 5, Held: true}
	errsDoc := ComparisonDoc{Left: "errors", Op: "==", Right: "0", Held: true}
	one, two := 0, 1
	tests := []struct {
		cmps  []ComparisonDoc
		logic *LogicDoc
		abort []ComparisonDoc
		score float64
	}{
		{cmps: []ComparisonDoc{p99Doc, errsDoc}, score: 92},
		{cmps: []ComparisonDoc{p99Doc, errsDoc},
			logic: &LogicDoc{Op: "||", Args: []LogicDoc{{Op: "cmp", Cmp: &one}, {Op: "!", Args: []LogicDoc{{Op: "cmp", Cmp: &two}}}}}, score: 92},
		{logic: &LogicDoc{Op: "term", Text: `errors < 1 ? true : latency.p99 < 5`}, score: 100},
		{score: 0},
		{cmps: []ComparisonDoc{p99Doc}, abort: []ComparisonDoc{{Left: "latency.p99", LeftValue: 7, Op: "<", Right: `duration("5ms")`, RightValue: 5}}, score: 0},
	}
	for i, tt := range tests {
		a := as[i]
		if !reflect.DeepEqual(a.Comparisons, tt.cmps) || !reflect.DeepEqual(a.Logic, tt.logic) || !reflect.DeepEqual(a.AbortComparisons, tt.abort) {
			t.Errorf("%s: comparisons %+v logic %+v abort %+v; want %+v %+v %+v", a.Condition, a.Comparisons, a.Logic, a.AbortComparisons, tt.cmps, tt.logic, tt.abort)
		}
		if got := AssertionScore(a); math.Abs(got-tt.score) > 1e-9 {
			t.Errorf("%s: score %v, want %v", a.Condition, got, tt.score)
		}
	}
}
