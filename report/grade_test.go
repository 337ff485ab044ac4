package report

import (
	"math"
	"reflect"
	"testing"

	"github.com/perfplan/perfplan/dsl"
)

// recompiled is a as the CLI reads it: an older document's assertion gets
// its comparisons from its condition compiled again with vars.
func recompiled(a AssertionDoc, vars map[string]any) AssertionDoc {
	d := Document{Plans: []PlanDoc{{Variables: vars, Scenarios: []ScenarioDoc{{Assertions: []AssertionDoc{a}}}}}}
	d.Recompile(dsl.Conditions{})
	return d.Plans[0].Scenarios[0].Assertions[0]
}

func TestAssertionScore(t *testing.T) {
	t.Parallel()
	obs := func(kv ...any) map[string]float64 {
		m := map[string]float64{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(float64)
		}
		return m
	}
	p99 := func(v, limit float64) ComparisonDoc {
		return ComparisonDoc{Left: "latency.p99", LeftValue: v, Op: "<", Right: "10", RightValue: limit, Held: v < limit}
	}
	idx := func(i int) *int { return &i }
	for _, tc := range []struct {
		name string
		a    AssertionDoc
		vars map[string]any
		want float64
	}{
		// Documents without recorded comparisons: compiled again by dsl
		// (Document.Recompile).
		{name: "half headroom", a: AssertionDoc{Condition: "latency.p99 < 10", Passed: true, Observed: obs("latency.p99", 5.0)}, want: 100},
		{name: "quarter headroom", a: AssertionDoc{Condition: "latency.p99 < 10", Passed: true, Observed: obs("latency.p99", 7.5)}, want: 80},
		{name: "at the limit", a: AssertionDoc{Condition: "latency.p99 <= 10", Passed: true, Observed: obs("latency.p99", 10.0)}, want: 60},
		{name: "missed by 25%", a: AssertionDoc{Condition: "latency.p99 < 10", Passed: false, Observed: obs("latency.p99", 12.5)}, want: 30},
		{name: "missed by 60%", a: AssertionDoc{Condition: "latency.p99 < 10", Passed: false, Observed: obs("latency.p99", 16.0)}, want: 0},
		{name: "failed at the limit", a: AssertionDoc{Condition: "latency.p99 < 10", Passed: false, Observed: obs("latency.p99", 10.0)}, want: 59.9},
		{name: "throughput 10% over", a: AssertionDoc{Condition: "throughput > 1000", Passed: true, Observed: obs("throughput", 1100.0)}, want: 68},
		{name: "weakest of &&", a: AssertionDoc{Condition: "latency.p99 < 10 && throughput > 1000", Passed: true,
			Observed: obs("latency.p99", 5.0, "throughput", 1100.0)}, want: 68},
		{name: "duration and arithmetic", a: AssertionDoc{Condition: `op["get"].latency.p99 < duration("2500us") * 4`, Passed: true,
			Observed: obs("op.get.latency.p99", 7.5)}, want: 80},
		{name: "function", a: AssertionDoc{Condition: `max(latency.p99, latency.p50) < 10`, Passed: true,
			Observed: obs("latency.p99", 7.5, "latency.p50", 1.0)}, want: 80},
		{name: "zero limit passed", a: AssertionDoc{Condition: "errors == 0", Passed: true, Observed: obs("errors", 0.0)}, want: 100},
		{name: "zero limit failed", a: AssertionDoc{Condition: "errors <= 0", Passed: false, Observed: obs("errors", 3.0)}, want: 0},
		// A comparison without a margin no longer hides its neighbours'
		// margins (it scored the whole assertion 100 before).
		{name: "== beside a margin", a: AssertionDoc{Condition: "throughput > 1000 && errors == 0", Passed: true,
			Observed: obs("throughput", 1100.0, "errors", 0.0)}, want: 68},
		{name: "strongest of ||", a: AssertionDoc{Condition: "latency.p99 < 10 || throughput > 1000", Passed: true,
			Observed: obs("latency.p99", 12.5, "throughput", 1100.0)}, want: 68},
		{name: "|| failed: nearest miss", a: AssertionDoc{Condition: "latency.p99 < 10 || throughput > 1000", Passed: false,
			Observed: obs("latency.p99", 12.5, "throughput", 900.0)}, want: 48},
		{name: "! mirrors", a: AssertionDoc{Condition: "!(latency.p99 >= 10)", Passed: true, Observed: obs("latency.p99", 7.5)}, want: 80},
		{name: "! of &&", a: AssertionDoc{Condition: "!(latency.p99 < 10 && throughput > 1000)", Passed: true,
			Observed: obs("latency.p99", 12.5, "throughput", 1100.0)}, want: 80},
		{name: "variable", a: AssertionDoc{Condition: "latency.p99 < var.slo", Passed: true, Observed: obs("latency.p99", 7.5)},
			vars: map[string]any{"slo": 10.0}, want: 80},
		{name: "variable missing", a: AssertionDoc{Condition: "latency.p99 < var.x", Passed: true, Observed: obs("latency.p99", 5.0)}, want: 100},
		{name: "local", a: AssertionDoc{Condition: "latency.p99 < local.x", Passed: false, Observed: obs("latency.p99", 5.0)}, want: 0},
		{name: "conditional", a: AssertionDoc{Condition: "error_rate < 0.01 ? throughput > 100 : false", Passed: true,
			Observed: obs("error_rate", 0.0, "throughput", 101.0)}, want: 100},
		{name: "bool variable", a: AssertionDoc{Condition: "latency.p99 < 10 && var.strict", Passed: true, Observed: obs("latency.p99", 7.5)},
			vars: map[string]any{"strict": true}, want: 100},
		{name: "not observed", a: AssertionDoc{Condition: "latency.p99 < 10", Passed: true, Observed: obs()}, want: 100},
		{name: "evaluation error", a: AssertionDoc{Condition: "latency.p99 < 10", Error: "no data", Observed: obs()}, want: 0},
		{name: "verdict disagrees", a: AssertionDoc{Condition: "latency.p99 < 10", Passed: false, Observed: obs("latency.p99", 5.0)}, want: 0},

		// Recorded comparisons: the condition is not read again.
		{name: "recorded", a: AssertionDoc{Condition: "not read", Passed: true, Comparisons: []ComparisonDoc{p99(7.5, 10)}}, want: 80},
		{name: "recorded &&", a: AssertionDoc{Condition: "not read", Passed: true,
			Comparisons: []ComparisonDoc{p99(5, 10), {Left: "throughput", LeftValue: 1100, Op: ">", Right: "1000", RightValue: 1000, Held: true}}}, want: 68},
		{name: "recorded ||", a: AssertionDoc{Condition: "not read", Passed: true,
			Comparisons: []ComparisonDoc{p99(12.5, 10), {Left: "throughput", LeftValue: 1100, Op: ">", Right: "1000", RightValue: 1000, Held: true}},
			Logic:       &LogicDoc{Op: "||", Args: []LogicDoc{{Op: "cmp", Cmp: idx(0)}, {Op: "cmp", Cmp: idx(1)}}}}, want: 68},
		{name: "recorded term", a: AssertionDoc{Condition: "not read", Passed: false,
			Comparisons: []ComparisonDoc{p99(5, 10)},
			Logic:       &LogicDoc{Op: "&&", Args: []LogicDoc{{Op: "cmp", Cmp: idx(0)}, {Op: "term", Text: "var.strict"}}}}, want: 0},
		{name: "recorded index out of range", a: AssertionDoc{Condition: "not read", Passed: true,
			Comparisons: []ComparisonDoc{p99(5, 10)}, Logic: &LogicDoc{Op: "cmp", Cmp: idx(1)}}, want: 100},
		{name: "recorded, verdict disagrees", a: AssertionDoc{Condition: "not read", Passed: true, Comparisons: []ComparisonDoc{p99(12.5, 10)}}, want: 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := AssertionScore(recompiled(tc.a, tc.vars)); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGradePlan(t *testing.T) {
	t.Parallel()
	pass := func(v float64) AssertionDoc {
		return AssertionDoc{Condition: "latency.p99 < 10", Passed: v < 10, Observed: map[string]float64{"latency.p99": v}}
	}
	plan := func(as ...AssertionDoc) PlanDoc {
		return PlanDoc{Name: "p", Passed: true, Scenarios: []ScenarioDoc{{Name: "s", Assertions: as}}}
	}
	for _, tc := range []struct {
		name  string
		p     PlanDoc
		score float64
		word  string
	}{
		{"excellent", plan(pass(5), pass(6)), 96, GradeExcellent},
		{"good", plan(pass(7.5)), 80, GradeGood},
		{"fair", plan(pass(9)), 68, GradeFair},
		{"failed is capped", plan(pass(1), pass(1), pass(1), pass(10.5)), 74, GradeFair},
		{"poor", plan(pass(14)), 12, GradePoor},
		{"no assertions", plan(), 100, GradeExcellent},
		{"could not run", PlanDoc{Error: "boom"}, 0, GradePoor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := Document{Plans: []PlanDoc{tc.p}}
			d.Recompile(dsl.Conditions{})
			s, w := Grade(d.Plans[0])
			if math.Abs(s-tc.score) > 1e-9 || w != tc.word {
				t.Errorf("got %v %s, want %v %s", s, w, tc.score, tc.word)
			}
		})
	}
}

// TestRecompile: an older document's assertion (no refs, no comparisons)
// scores by its verdict alone and lists its observed values by name until
// Recompile compiles its condition again; then it reads as a run records
// it today. What a document recorded is left alone.
func TestRecompile(t *testing.T) {
	t.Parallel()
	old := AssertionDoc{Condition: "throughput > var.min && latency.p99 < 10", Passed: true, Observed: map[string]float64{"latency.p99": 7.5, "throughput": 1100, "errors": 0}}
	if got := AssertionScore(old); got != 100 {
		t.Errorf("before Recompile: score %v, want 100 (the verdict)", got)
	}
	if got := ObservedRefs(old); !reflect.DeepEqual(got, []string{"errors", "latency.p99", "throughput"}) {
		t.Errorf("before Recompile: refs %v", got)
	}
	recorded := AssertionDoc{Condition: "latency.p99 < 10", Passed: true, Refs: []string{"x"}, Comparisons: []ComparisonDoc{{Left: "latency.p99", LeftValue: 1, Op: "<", Right: "10", RightValue: 10, Held: true}}}
	d := Document{Plans: []PlanDoc{{Variables: map[string]any{"min": 1000.0}, Scenarios: []ScenarioDoc{{Assertions: []AssertionDoc{old, recorded}}}}}}
	d.Recompile(dsl.Conditions{})
	a := d.Plans[0].Scenarios[0].Assertions[0]
	if got := ObservedRefs(a); !reflect.DeepEqual(got, []string{"throughput", "latency.p99", "errors"}) {
		t.Errorf("after Recompile: refs %v, want the condition's order, then the others", got)
	}
	if len(a.Comparisons) != 2 || a.Comparisons[0].RightValue != 1000 || a.Logic == nil {
		t.Errorf("after Recompile: comparisons %+v logic %+v", a.Comparisons, a.Logic)
	}
	if got := AssertionScore(a); got != 68 {
		t.Errorf("after Recompile: score %v, want 68 (throughput 10%% over its limit)", got)
	}
	if got := d.Plans[0].Scenarios[0].Assertions[1]; !reflect.DeepEqual(got, recorded) {
		t.Errorf("a recorded assertion changed: %+v", got)
	}
}

func TestGradeWord(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s float64
		w string
	}{{100, GradeExcellent}, {90, GradeExcellent}, {89.9, GradeGood}, {75, GradeGood}, {74.9, GradeFair}, {60, GradeFair}, {59.9, GradePoor}, {0, GradePoor}} {
		if got := GradeWord(tc.s); got != tc.w {
			t.Errorf("GradeWord(%v) = %s, want %s", tc.s, got, tc.w)
		}
	}
}

func FuzzAssertionScore(f *testing.F) {
	for _, s := range []string{`latency.p99 < duration("5ms")`, `a.b <= c.d * 1.1 && (x > 2)`, `op["get"].latency.p99 < 5`, `-(-1) < 2`, `"\"`, `1e5 > .5`,
		`!(x > 2 || latency.p99 != 3)`, `x > 2 ? x < 9 : false`} {
		f.Add(s, true)
	}
	obs := map[string]float64{"latency.p99": 3, "a.b": 1, "c.d": 2, "x": 3, "op.get.latency.p99": 4}
	f.Fuzz(func(t *testing.T, cond string, passed bool) {
		s := AssertionScore(recompiled(AssertionDoc{Condition: cond, Passed: passed, Observed: obs}, nil))
		if s < 0 || s > 100 || math.IsNaN(s) || passed != (s >= gradePassFloor) {
			t.Fatalf("score %v out of range for %q (passed %v)", s, cond, passed)
		}
	})
}

func FuzzReadDocument(f *testing.F) {
	f.Add(`{"schema_version":1,"plans":[{"name":"p","scenarios":[{"name":"s","assertions":[{"condition":"latency.p99 < 5","passed":true,"observed":{"latency.p99":3}}]}]}]}`)
	f.Add(`{"schema_version":1}`)
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ReadDocument(stringsReader(in))
		if err != nil {
			return
		}
		for name, write := range Writers() {
			if err := write(d, discard{}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	})
}
