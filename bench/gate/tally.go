package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// perfplan's exit codes that the gate tells apart.
const (
	exitPass         = 0
	exitFail         = 1
	exitInconclusive = 6
)

// tally counts the exit codes of repeated perfplan commands.
type tally struct {
	runs, pass, fail, inconclusive int
	// other counts every other exit code (usage, interrupted, a target
	// that failed to start, a result file not written, ...).
	other map[int]int
}

// add counts one exit code.
func (t *tally) add(code int) {
	t.runs++
	switch code {
	case exitPass:
		t.pass++
	case exitFail:
		t.fail++
	case exitInconclusive:
		t.inconclusive++
	default:
		if t.other == nil {
			t.other = map[int]int{}
		}
		t.other[code]++
	}
}

// merge adds u's counts to t.
func (t *tally) merge(u tally) {
	t.runs += u.runs
	t.pass += u.pass
	t.fail += u.fail
	t.inconclusive += u.inconclusive
	for code, n := range u.other {
		if t.other == nil {
			t.other = map[int]int{}
		}
		t.other[code] += n
	}
}

// others is the number of runs with another exit code.
func (t tally) others() int {
	n := 0
	for _, c := range t.other {
		n += c
	}
	return n
}

// otherString lists the other exit codes, such as "exit 2 ×1, exit 4 ×3";
// "0" when there were none.
func (t tally) otherString() string {
	if len(t.other) == 0 {
		return "0"
	}
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(t.other)) {
		parts = append(parts, fmt.Sprintf("exit %d ×%d", code, t.other[code]))
	}
	return strings.Join(parts, ", ")
}

// goal is what a row of the gate must show.
type goal int

const (
	// goalNoFail: no run fails (exit 1); inconclusive (exit 6) allowed.
	goalNoFail goal = iota
	// goalClean: every run passes: no FAIL and no INCONCLUSIVE.
	goalClean
	// goalAllFail: every run fails (a genuine regression).
	goalAllFail
	// goalFewFalse: at most 5% of the verdicts fail (A/A compare).
	goalFewFalse
)

// maxFalse is the share of A/A comparisons that may fail under goalFewFalse.
const maxFalse = 0.05

// String describes the goal for the table.
func (g goal) String() string {
	switch g {
	case goalNoFail:
		return "FAIL 0 (exit 6 allowed)"
	case goalClean:
		return "INCONCLUSIVE 0, FAIL 0"
	case goalAllFail:
		return "FAIL N of N"
	case goalFewFalse:
		return fmt.Sprintf("false verdicts ≤ %.0f%%", 100*maxFalse)
	}
	return "?"
}

// judge returns the measured figure of t for goal g and whether the goal
// held. No runs, or any run with another exit code, is a miss: a row must
// not pass because nothing was measured.
func judge(g goal, t tally) (measured string, ok bool) {
	clean := t.runs > 0 && t.others() == 0
	switch g {
	case goalNoFail:
		return fmt.Sprintf("FAIL %d of %d", t.fail, t.runs), clean && t.fail == 0
	case goalClean:
		return fmt.Sprintf("INCONCLUSIVE %d, FAIL %d of %d", t.inconclusive, t.fail, t.runs), clean && t.fail == 0 && t.inconclusive == 0
	case goalAllFail:
		return fmt.Sprintf("FAIL %d of %d", t.fail, t.runs), clean && t.fail == t.runs
	case goalFewFalse:
		share := 0.0
		if t.runs > 0 {
			share = float64(t.fail) / float64(t.runs)
		}
		return fmt.Sprintf("%d of %d false (%.0f%%)", t.fail, t.runs, 100*share), clean && share <= maxFalse
	}
	return "?", false
}
