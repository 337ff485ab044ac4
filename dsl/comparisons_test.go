package dsl

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/plan"
)

// logicString renders l for tests: comparisons by index, "term(TEXT)",
// and operators as OP(ARGS).
func logicString(l plan.Logic) string {
	switch l.Op {
	case plan.LogicCompare:
		return fmt.Sprint(l.Index)
	case plan.LogicTerm:
		return "term(" + l.Text + ")"
	}
	var args []string
	for _, a := range l.Args {
		args = append(args, logicString(a))
	}
	return l.Op.String() + "(" + strings.Join(args, ",") + ")"
}

// logicHolds evaluates l over the comparisons' outcomes; ok is false when
// l has a term.
func logicHolds(l plan.Logic, outs []plan.Outcome) (held, ok bool) {
	switch l.Op {
	case plan.LogicCompare:
		return outs[l.Index].Held, true
	case plan.LogicNot:
		h, ok := logicHolds(l.Args[0], outs)
		return !h, ok
	case plan.LogicAnd, plan.LogicOr:
		and := l.Op == plan.LogicAnd
		held = and
		for _, a := range l.Args {
			h, ok := logicHolds(a, outs)
			if !ok {
				return false, false
			}
			if and {
				held = held && h
			} else {
				held = held || h
			}
		}
		return held, true
	}
	return false, false
}

// cmpText renders a comparison with its outcome, "LEFT OP RIGHT = L OP R".
func cmpText(c plan.Comparison, o plan.Outcome) string {
	return fmt.Sprintf("%s = %g %s %g", c, o.Left, c.Op, o.Right)
}

// checkComparisons evaluates cond's comparisons against m and checks them,
// its logic, and that the logic over the comparisons' outcomes gives the
// condition's own verdict.
func checkComparisons(t *testing.T, cond plan.Condition, m plan.Metrics, logic string, cmps []string) {
	t.Helper()
	if got := logicString(cond.Logic()); got != logic {
		t.Errorf("logic = %s, want %s", got, logic)
	}
	var got []string
	var outs []plan.Outcome
	for _, c := range cond.Comparisons() {
		o, err := c.Eval(m)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		got = append(got, cmpText(c, o))
		outs = append(outs, o)
	}
	if !reflect.DeepEqual(got, cmps) {
		t.Errorf("comparisons:\n got %q\nwant %q", got, cmps)
	}
	want, err := cond.Eval(m)
	if err != nil {
		t.Fatal(err)
	}
	if held, ok := logicHolds(cond.Logic(), outs); ok && held != want {
		t.Errorf("logic over the comparisons gives %v, the condition %v", held, want)
	}
}

func TestConditionComparisons(t *testing.T) {
	t.Parallel()
	const src = `
variable "slo" { default = 5 }
variable "mode" { default = "fast" }
locals { factor = 2 }
target "cache" "c" { capacity = 1 }
workload "w" {
  target = target.cache.c
  op "get" {}
  op "set" {}
}
scenario "s" {
  workload          = workload.w
  executor          = "constant-arrival-rate"
  rate              = 10
  duration          = "1s"
  pre_allocated_vus = 1
  assert { condition = latency.p99 < duration("5ms") }
  assert { condition = op.get.latency.p99 * local.factor < var.slo && target.hit_ratio >= 0.9 }
  assert { condition = error_rate < 0.01 ? throughput > 100 : false }
  assert { condition = max(service_time.p50, op["set"].ops) > 3 }
  assert { condition = dropped == 0 }
  assert { condition = (latency.p50 > 1 || !(errors != 0)) && ops >= 10 }
  assert { condition = var.mode == "fast" || latency.p99 < 5 }
  assert { condition = ops > 1 && (ops > 2 && ops > 3) && ops > 4 }
  assert { condition = !!(throughput >= 100 || throughput <= 1) }
  assert { condition = true && ops == var.slo }
  dynamic "assert" {
    for_each = ["get"]
    content { condition = op[assert.value].ops > 1 }
  }
}
`
	// slo is an untyped variable set from --var: the string "4", which HCL
	// converts for < but not for ==.
	p, diags, l := loadSrc(t, src, []VarArg{{Name: "slo", Value: "4"}}, nil)
	if diags.HasErrors() {
		t.Fatalf("Load: %s", diagText(t, l, diags))
	}
	m := mapMetrics{
		"latency.p99": 4, "latency.p50": 0.5, "op.get.latency.p99": 1.5, "target.hit_ratio": 0.95, "error_rate": 0, "throughput": 120,
		"service_time.p50": 1, "op.set.ops": 4, "op.get.ops": 6, "dropped": 0, "errors": 0, "ops": 10,
	}
	tests := []struct {
		logic string
		cmps  []string
	}{
		{"0", []string{`latency.p99 < duration("5ms") = 4 < 5`}},
		{"&&(0,1)", []string{`op.get.latency.p99 * local.factor < var.slo = 3 < 4`, `target.hit_ratio >= 0.9 = 0.95 >= 0.9`}},
		{"term(error_rate < 0.01 ? throughput > 100 : false)", nil},
		{"0", []string{`max(service_time.p50, op["set"].ops) > 3 = 4 > 3`}},
		{"0", []string{`dropped == 0 = 0 == 0`}},
		{"&&(||(0,!(1)),2)", []string{`latency.p50 > 1 = 0.5 > 1`, `errors != 0 = 0 != 0`, `ops >= 10 = 10 >= 10`}},
		{`||(term(var.mode == "fast"),0)`, []string{`latency.p99 < 5 = 4 < 5`}},
		{"&&(0,1,2,3)", []string{`ops > 1 = 10 > 1`, `ops > 2 = 10 > 2`, `ops > 3 = 10 > 3`, `ops > 4 = 10 > 4`}},
		{"!(!(||(0,1)))", []string{`throughput >= 100 = 120 >= 100`, `throughput <= 1 = 120 <= 1`}},
		{"&&(term(true),term(ops == var.slo))", nil},
		// dynblock wraps the expressions of dynamic content, so the
		// condition is one term.
		{"term(op[assert.value].ops > 1)", nil},
	}
	as := p.Scenarios[0].Asserts
	if len(as) != len(tests) {
		t.Fatalf("%d assertions, want %d", len(as), len(tests))
	}
	for i, tt := range tests {
		t.Run(as[i].Expr, func(t *testing.T) {
			checkComparisons(t, as[i].Condition, m, tt.logic, tt.cmps)
		})
	}
}

func TestCompileCondition(t *testing.T) {
	t.Parallel()
	obs := mapMetrics{"latency.p99": 4, "baseline.latency.p99": 3.5, "error_rate": 0.0005, "op.get.latency.p50": 1, "throughput": 900}
	vars := map[string]any{"limit": 5.0, "mode": "fast", "text": "4"}
	for _, tc := range []struct {
		cond    string
		logic   string
		cmps    []string
		wantErr string
	}{
		{cond: `latency.p99 < duration("5ms")`, logic: "0", cmps: []string{`latency.p99 < duration("5ms") = 4 < 5`}},
		{cond: `latency.p99 <= baseline.latency.p99 * 1.10`, logic: "0", cmps: []string{`latency.p99 <= baseline.latency.p99 * 1.10 = 4 <= 3.85`}},
		{cond: `error_rate < 0.001 && (throughput >= 1e3)`, logic: "&&(0,1)",
			cmps: []string{`error_rate < 0.001 = 0.0005 < 0.001`, `throughput >= 1e3 = 900 >= 1000`}},
		{cond: `op["get"].latency.p50 < duration("250us") * 4`, logic: "0", cmps: []string{`op["get"].latency.p50 < duration("250us") * 4 = 1 < 1`}},
		{cond: `-latency.p99 > -(2 + 3)`, logic: "0", cmps: []string{`-latency.p99 > -(2 + 3) = -4 > -5`}},
		{cond: `latency.p99 < var.limit`, logic: "0", cmps: []string{`latency.p99 < var.limit = 4 < 5`}},
		{cond: `latency.p99 < var.text`, logic: "0", cmps: []string{`latency.p99 < var.text = 4 < 4`}},
		{cond: `latency.p99 < 5 || error_rate < 1`, logic: "||(0,1)", cmps: []string{`latency.p99 < 5 = 4 < 5`, `error_rate < 1 = 0.0005 < 1`}},
		{cond: `max(latency.p99, 1) < 5`, logic: "0", cmps: []string{`max(latency.p99, 1) < 5 = 4 < 5`}},
		{cond: `var.mode == "fast" && !(throughput > 1000)`, logic: `&&(term(var.mode == "fast"),!(0))`, cmps: []string{`throughput > 1000 = 900 > 1000`}},
		{cond: "latency.p99 <\n  5", logic: "0", cmps: []string{"latency.p99 < 5 = 4 < 5"}},
		{cond: `latency.p99 < var.nosuch`, wantErr: "nosuch"},
		{cond: `latency.p99 < local.limit`, wantErr: "local is not available"},
		{cond: `op[o.value].latency.p99 < 1`, wantErr: "o is not available"},
		{cond: `latency.p99`, wantErr: "not bool"},
		{cond: `latency.p99 < 1 < 2`, wantErr: "compile condition"},
		{cond: `latency.p99 < duration("5 parsecs")`, wantErr: "invalid duration"},
		{cond: `"unterminated`, wantErr: "parse condition"},
		{cond: `latency.p99 < 1 extra`, wantErr: "parse condition"},
		{cond: strings.Repeat("(", 1000) + "1 < 2" + strings.Repeat(")", 1000), wantErr: "parse condition"},
	} {
		t.Run(tc.cond, func(t *testing.T) {
			t.Parallel()
			c, err := CompileCondition(tc.cond, vars)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one that says %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkComparisons(t, c, obs, tc.logic, tc.cmps)
		})
	}
}

// TestCompileConditionAgrees checks that a condition compiled from its
// text, as a report does for a saved run, has the comparisons and the
// verdict of the one compiled with its plan.
func TestCompileConditionAgrees(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/valid/*.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid plans: %v", err)
	}
	n := 0
	for _, file := range files {
		l := NewLoader(testRegistry(t), nil, nil)
		p, diags := l.Load(file)
		if diags.HasErrors() {
			t.Fatal(diagText(t, l, diags))
		}
		n += checkSavedConditions(t, p)
	}
	if n < 10 {
		t.Errorf("only %d conditions compiled again", n)
	}
}

// checkSavedConditions compiles p's conditions again from their text and
// checks them against those of the plan. It returns how many it checked.
func checkSavedConditions(t *testing.T, p *plan.Plan) int {
	t.Helper()
	n := 0
	for _, sc := range p.Scenarios {
		m := mapMetrics{}
		for i, n := range plan.MetricNames(sc) {
			m[n] = float64(i%7) + 0.5
			m[plan.BaselinePrefix+n] = float64(i%5) + 0.25
		}
		for _, a := range sc.Asserts {
			saved, err := CompileCondition(a.Expr, p.Variables)
			if err != nil {
				// Locals and the iterators of dynamic blocks are not
				// recorded in a run document.
				if !strings.Contains(a.Expr, "local.") && !strings.Contains(a.Expr, ".value") {
					t.Errorf("%s: %v", a.Expr, err)
				}
				continue
			}
			n++
			want, err1 := a.Condition.Eval(m)
			got, err2 := saved.Eval(m)
			if want != got || (err1 == nil) != (err2 == nil) {
				t.Errorf("%s: plan %v, %v; saved %v, %v", a.Expr, want, err1, got, err2)
			}
			if !reflect.DeepEqual(saved.Refs(), a.Condition.Refs()) || logicString(saved.Logic()) != logicString(a.Condition.Logic()) {
				t.Errorf("%s: saved refs %v logic %s; plan %v %s", a.Expr, saved.Refs(), logicString(saved.Logic()), a.Condition.Refs(), logicString(a.Condition.Logic()))
			}
			pc, sv := a.Condition.Comparisons(), saved.Comparisons()
			if len(pc) != len(sv) {
				t.Fatalf("%s: %d comparisons saved, %d in the plan", a.Expr, len(sv), len(pc))
			}
			for i := range pc {
				po, err1 := pc[i].Eval(m)
				so, err2 := sv[i].Eval(m)
				if pc[i].String() != sv[i].String() || po != so || (err1 == nil) != (err2 == nil) {
					t.Errorf("%s: comparison %d: plan %s %+v, saved %s %+v", a.Expr, i, pc[i], po, sv[i], so)
				}
			}
		}
	}
	return n
}

func TestConditionRefs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cond string
		want []string
	}{
		{`op["get"].latency.p99 < baseline.latency.p99 * 1.1 && error_rate < 0.01 && op["get"].latency.p99 > 0`,
			[]string{"op.get.latency.p99", "baseline.latency.p99", "error_rate"}},
		{`throughput > var.min_rate`, []string{"throughput"}},
		{`max(latency.p50, local.x) < 3 ? ops > 1 : errors == 0`, []string{"latency.p50", "ops", "errors"}},
		{`1 < 2`, nil},
	} {
		got, err := ConditionRefs(tc.cond)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ConditionRefs(%s) = %v, %v; want %v", tc.cond, got, err, tc.want)
		}
	}
	if _, err := ConditionRefs(`(`); err == nil {
		t.Error("ConditionRefs of a syntax error: no error")
	}
}

// FuzzCompileCondition checks that compiling any text never panics, and
// that a condition that compiles evaluates, with its comparisons, without
// panicking.
func FuzzCompileCondition(f *testing.F) {
	for _, s := range []string{`latency.p99 < duration("5ms")`, `a.b <= c.d * 1.1 && (x > 2)`, `op["get"].latency.p99 < 5`, `-(-1) < 2`, `"\"`, `1e5 > .5`,
		`!(latency.p99 > 2 || var.limit != 3)`, `latency.p99 > 2 ? ops < 9 : false`, `max(ops, 1) == var.text`} {
		f.Add(s)
	}
	obs := mapMetrics{"latency.p99": 3, "ops": 1, "op.get.latency.p99": 4}
	vars := map[string]any{"limit": 5.0, "text": "4", "list": []any{1.0, "a"}}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := CompileCondition(src, vars)
		if err != nil {
			return
		}
		_, _ = c.Eval(obs)
		n := len(c.Comparisons())
		for _, cmp := range c.Comparisons() {
			if o, err := cmp.Eval(obs); err == nil && (math.IsNaN(o.Left) || math.IsNaN(o.Right)) {
				t.Fatalf("%s: NaN", cmp)
			}
		}
		var walk func(l plan.Logic)
		walk = func(l plan.Logic) {
			if l.Op == plan.LogicCompare && (l.Index < 0 || l.Index >= n) {
				t.Fatalf("%s: logic index %d of %d comparisons", src, l.Index, n)
			}
			for _, a := range l.Args {
				walk(a)
			}
		}
		walk(c.Logic())
	})
}
