package executor

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// belowBaseline is the condition metric < baseline.metric * factor.
type belowBaseline struct {
	metric string
	factor float64
}

func (c belowBaseline) Refs() []string { return []string{c.metric, plan.BaselinePrefix + c.metric} }
func (c belowBaseline) Comparisons() []plan.Comparison {
	return []plan.Comparison{{Left: metricExpr{name: c.metric}, Op: "<", Right: metricExpr{plan.BaselinePrefix + c.metric, c.factor}}}
}
func (c belowBaseline) Logic() plan.Logic { return oneComparison }
func (c belowBaseline) Eval(m plan.Metrics) (bool, error) {
	v, ok := m.Metric(c.metric)
	b, bok := m.Metric(plan.BaselinePrefix + c.metric)
	if !ok || !bok {
		return false, errors.New("no value")
	}
	return v < b*c.factor, nil
}

func TestBaselineAssertions(t *testing.T) {
	t.Parallel()
	fixed := func(v float64) func(string, string) (float64, error) {
		return func(scenario, metric string) (float64, error) {
			if scenario != "b" || metric != "ops" {
				return 0, errors.New("unexpected " + scenario + " " + metric)
			}
			return v, nil
		}
	}
	tests := []struct {
		name     string
		baseline func(string, string) (float64, error)
		passed   bool
		err      string
	}{
		{name: "no baseline", err: "no baseline value for baseline.ops: no baseline given"},
		{name: "missing scenario", baseline: func(string, string) (float64, error) { return 0, errors.New("scenario not in base.json") },
			err: "no baseline value for baseline.ops: scenario not in base.json"},
		{name: "holds", baseline: fixed(1000), passed: true},
		{name: "fails", baseline: fixed(50)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := &plan.Assertion{Expr: "ops < baseline.ops * 1.1", Condition: belowBaseline{"ops", 1.1}}
			sc := &plan.Scenario{Name: "b", Config: &PerVUIterations{VUs: 1, Iterations: 100, MaxDuration: time.Minute}, Workload: workload(noopTarget()), Asserts: []*plan.Assertion{a}}
			ar := run(t, onePlan(sc), Options{Baseline: tt.baseline}).Scenarios[0].Assertions[0]
			if ar.Passed != tt.passed {
				t.Errorf("passed = %v, want %v (%+v)", ar.Passed, tt.passed, ar)
			}
			if tt.err != "" && !strings.Contains(ar.Err, tt.err) {
				t.Errorf("err = %q, want %q", ar.Err, tt.err)
			}
			if tt.err == "" {
				if ar.Err != "" {
					t.Errorf("unexpected err %q", ar.Err)
				}
				if want, _ := tt.baseline("b", "ops"); ar.Observed["baseline.ops"] != want {
					t.Errorf("observed baseline.ops = %v, want %v", ar.Observed["baseline.ops"], want)
				}
			}
		})
	}
}

// TestLiveAbortBaseline checks that abort_on_fail sees baseline values, and
// that NoAbort turns live aborts off.
func TestLiveAbortBaseline(t *testing.T) {
	t.Parallel()
	for _, noAbort := range []bool{false, true} {
		a := &plan.Assertion{Expr: "ops < baseline.ops", AbortOnFail: true, AbortGrace: 50 * time.Millisecond, Condition: belowBaseline{"ops", 1}}
		dur := time.Minute
		if noAbort {
			dur = 400 * time.Millisecond
		}
		sc := &plan.Scenario{Name: "b", Config: &ConstantVUs{VUs: 1, Duration: dur}, Workload: workload(noopTarget()), Asserts: []*plan.Assertion{a}}
		r := run(t, onePlan(sc), Options{
			SnapshotInterval: 50 * time.Millisecond, NoAbort: noAbort,
			Baseline: func(string, string) (float64, error) { return 10, nil },
		}).Scenarios[0]
		if r.Aborted == noAbort || r.Assertions[0].Passed {
			t.Errorf("noAbort=%v: aborted=%v reason=%q assertion=%+v", noAbort, r.Aborted, r.AbortReason, r.Assertions[0])
		}
	}
}
