package report

import (
	"math"
	"testing"
)

func TestEvalCondition(t *testing.T) {
	t.Parallel()
	obs := map[string]float64{"latency.p99": 4, "baseline.latency.p99": 3.5, "error_rate": 0.0005, "op.get.latency.p50": 1, "throughput": 900}
	for _, tc := range []struct {
		cond    string
		want    []Comparison
		wantErr bool
	}{
		{cond: `latency.p99 < duration("5ms")`, want: []Comparison{{4, 5, "<"}}},
		{cond: `latency.p99 <= baseline.latency.p99 * 1.10`, want: []Comparison{{4, 3.85, "<="}}},
		{cond: `error_rate < 0.001 && (throughput >= 1e3)`, want: []Comparison{{0.0005, 0.001, "<"}, {900, 1000, ">="}}},
		{cond: `op["get"].latency.p50 < duration("250us") * 4`, want: []Comparison{{1, 1, "<"}}},
		{cond: `-latency.p99 > -(2 + 3)`, want: []Comparison{{-4, -5, ">"}}},
		{cond: `latency.p99 < var.limit`, wantErr: true},
		{cond: `latency.p99 < 5 || error_rate < 1`, wantErr: true},
		{cond: `latency.p99`, wantErr: true},
		{cond: `latency.p99 < 1 < 2`, wantErr: true},
		{cond: `max(latency.p99, 1) < 5`, wantErr: true},
		{cond: `latency.p99 < duration("5 parsecs")`, wantErr: true},
		{cond: `"unterminated`, wantErr: true},
	} {
		t.Run(tc.cond, func(t *testing.T) {
			t.Parallel()
			got, err := EvalCondition(tc.cond, obs)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i].Op != tc.want[i].Op || math.Abs(got[i].Left-tc.want[i].Left) > 1e-9 || math.Abs(got[i].Right-tc.want[i].Right) > 1e-9 {
					t.Errorf("comparison %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestConditionRefs(t *testing.T) {
	t.Parallel()
	got := ConditionRefs(`op["get"].latency.p99 < baseline.latency.p99 * 1.1 && error_rate < 0.01 && op["get"].latency.p99 > 0`)
	want := []string{"op.get.latency.p99", "baseline.latency.p99", "error_rate"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}

func TestAssertionScore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		a    AssertionDoc
		want float64
	}{
		{"half headroom", AssertionDoc{Condition: "latency.p99 < 10", Passed: true, Observed: map[string]float64{"latency.p99": 5}}, 100},
		{"quarter headroom", AssertionDoc{Condition: "latency.p99 < 10", Passed: true, Observed: map[string]float64{"latency.p99": 7.5}}, 80},
		{"at the limit", AssertionDoc{Condition: "latency.p99 <= 10", Passed: true, Observed: map[string]float64{"latency.p99": 10}}, 60},
		{"missed by 25%", AssertionDoc{Condition: "latency.p99 < 10", Passed: false, Observed: map[string]float64{"latency.p99": 12.5}}, 30},
		{"missed by 60%", AssertionDoc{Condition: "latency.p99 < 10", Passed: false, Observed: map[string]float64{"latency.p99": 16}}, 0},
		{"throughput 10% over", AssertionDoc{Condition: "throughput > 1000", Passed: true, Observed: map[string]float64{"throughput": 1100}}, 68},
		{"weakest of &&", AssertionDoc{Condition: "latency.p99 < 10 && throughput > 1000", Passed: true,
			Observed: map[string]float64{"latency.p99": 5, "throughput": 1100}}, 68},
		{"zero limit passed", AssertionDoc{Condition: "errors == 0", Passed: true, Observed: map[string]float64{"errors": 0}}, 100},
		{"zero limit failed", AssertionDoc{Condition: "errors <= 0", Passed: false, Observed: map[string]float64{"errors": 3}}, 0},
		{"unparsable passed", AssertionDoc{Condition: "latency.p99 < var.x", Passed: true, Observed: map[string]float64{"latency.p99": 5}}, 100},
		{"evaluation error", AssertionDoc{Condition: "latency.p99 < 10", Error: "no data", Observed: map[string]float64{}}, 0},
		{"verdict disagrees", AssertionDoc{Condition: "latency.p99 < 10", Passed: false, Observed: map[string]float64{"latency.p99": 5}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := AssertionScore(tc.a); math.Abs(got-tc.want) > 1e-9 {
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
			s, w := Grade(tc.p)
			if math.Abs(s-tc.score) > 1e-9 || w != tc.word {
				t.Errorf("got %v %s, want %v %s", s, w, tc.score, tc.word)
			}
		})
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

func FuzzEvalCondition(f *testing.F) {
	for _, s := range []string{`latency.p99 < duration("5ms")`, `a.b <= c.d * 1.1 && (x > 2)`, `op["get"].latency.p99 < 5`, `-(-1) < 2`, `"\"`, `1e5 > .5`} {
		f.Add(s)
	}
	obs := map[string]float64{"latency.p99": 3, "a.b": 1, "c.d": 2, "x": 3, "op.get.latency.p99": 4}
	f.Fuzz(func(t *testing.T, cond string) {
		cmps, err := EvalCondition(cond, obs)
		if err == nil && len(cmps) == 0 {
			t.Fatalf("no error and no comparisons for %q", cond)
		}
		_ = ConditionRefs(cond)
		s := AssertionScore(AssertionDoc{Condition: cond, Passed: true, Observed: obs})
		if s < 0 || s > 100 || math.IsNaN(s) {
			t.Fatalf("score %v out of range for %q", s, cond)
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
