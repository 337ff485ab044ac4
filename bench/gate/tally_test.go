package main

import (
	"strings"
	"testing"
)

func TestJudge(t *testing.T) {
	t.Parallel()
	mk := func(codes ...int) tally {
		var t tally
		for _, c := range codes {
			t.add(c)
		}
		return t
	}
	ten := func(code, n, rest int) []int {
		var cs []int
		for i := range 10 {
			if i < n {
				cs = append(cs, code)
			} else {
				cs = append(cs, rest)
			}
		}
		return cs
	}
	for _, tc := range []struct {
		name string
		g    goal
		t    tally
		want bool
	}{
		{"no runs never passes", goalNoFail, tally{}, false},
		{"no fail", goalNoFail, mk(ten(6, 3, 0)...), true},
		{"a fail", goalNoFail, mk(ten(1, 1, 0)...), false},
		{"a usage error", goalNoFail, mk(ten(2, 1, 0)...), false},
		{"idle clean", goalClean, mk(ten(0, 10, 0)...), true},
		{"idle inconclusive", goalClean, mk(ten(6, 1, 0)...), false},
		{"idle fail", goalClean, mk(ten(1, 1, 0)...), false},
		{"regression caught every time", goalAllFail, mk(ten(1, 10, 0)...), true},
		{"regression missed once", goalAllFail, mk(ten(1, 9, 0)...), false},
		{"regression inconclusive once", goalAllFail, mk(ten(1, 9, 6)...), false},
		{"regression: target failed to start", goalAllFail, mk(ten(1, 9, 4)...), false},
		{"A/A 1 of 20", goalFewFalse, mk(append(ten(1, 1, 0), ten(0, 10, 0)...)...), true},
		{"A/A 2 of 20", goalFewFalse, mk(append(ten(1, 2, 0), ten(0, 10, 0)...)...), false},
		{"A/A 1 of 10", goalFewFalse, mk(ten(1, 1, 0)...), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if m, ok := judge(tc.g, tc.t); ok != tc.want {
				t.Errorf("judge(%v, %+v) = %q, %v; want ok %v", tc.g, tc.t, m, ok, tc.want)
			}
		})
	}
}

func TestTally(t *testing.T) {
	t.Parallel()
	var a, b tally
	for _, c := range []int{0, 1, 6, 6, 2, 4, 4} {
		a.add(c)
	}
	b.add(0)
	b.add(4)
	a.merge(b)
	if a.runs != 9 || a.pass != 2 || a.fail != 1 || a.inconclusive != 2 || a.others() != 4 {
		t.Errorf("tally = %+v", a)
	}
	if got, want := a.otherString(), "exit 2 ×1, exit 4 ×3"; got != want {
		t.Errorf("otherString() = %q, want %q", got, want)
	}
	if got := (tally{}).otherString(); got != "0" {
		t.Errorf("empty otherString() = %q, want 0", got)
	}
}

func TestVerdictLines(t *testing.T) {
	t.Parallel()
	out := `┌──────────┬───────┬────────┬────────┐
│ scenario │ op    │ errors │ dropped│
│ s        │ (all) │     0% │      0 │
  s: WARNING runner saturated: schedule lag p99 2.79ms
│ result │ scenario │ condition                      │ observed           │
│ FAIL   │ s        │ latency.p50 < duration("10ms") │ latency.p50=20.0ms │
│ PASS   │ s        │ errors == 0                    │ errors=0           │
FAIL: 1 of 2 assertions failed  grade 50 (Poor)
3 plans: 1 passed, 1 failed (cache), 1 inconclusive (soak)
Regressions:
  High smoke-open/s (all) p99: +39% [fails: ≥ threshold]
REGRESSION: 1 significant regressions, 1 at or beyond the 10% threshold
perfplan: open plans/x.hcl: no such file or directory
`
	want := []string{
		"s: WARNING runner saturated: schedule lag p99 2.79ms",
		`│ FAIL   │ s        │ latency.p50 < duration("10ms") │ latency.p50=20.0ms │`,
		"FAIL: 1 of 2 assertions failed  grade 50 (Poor)",
		"3 plans: 1 passed, 1 failed (cache), 1 inconclusive (soak)",
		"High smoke-open/s (all) p99: +39% [fails: ≥ threshold]",
		"REGRESSION: 1 significant regressions, 1 at or beyond the 10% threshold",
		"perfplan: open plans/x.hcl: no such file or directory",
	}
	got := verdictLines([]byte(out), 10)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("verdictLines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := verdictLines([]byte(out), 2); len(got) != 2 {
		t.Errorf("verdictLines(max 2) gave %d lines", len(got))
	}
}
