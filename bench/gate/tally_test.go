package main

import "testing"

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
