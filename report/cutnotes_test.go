package report

import (
	"strings"
	"testing"
)

// TestCutNotesByCause: the cuts of graceful_stop, graceful_ramp_down and an
// interrupt are told apart (issue 19: every cut used to read "cut at
// graceful_stop").
func TestCutNotesByCause(t *testing.T) {
	t.Parallel()
	s := ScenarioDoc{Name: "s", Cut: 10, CutRampDown: 3, CutInterrupt: 2}
	got := strings.Join(cutNotes(s), "\n")
	for _, want := range []string{"s: 5 iterations cut at graceful_stop", "s: 3 iterations cut at graceful_ramp_down", "s: 2 iterations cut by the interrupt"} {
		if !strings.Contains(got, want) {
			t.Errorf("notes %q lack %q", got, want)
		}
	}
	if n := cutNotes(ScenarioDoc{Name: "s", Cut: 4, CutRampDown: 4}); len(n) != 1 || strings.Contains(n[0], "graceful_stop") {
		t.Errorf("ramp-down cuts only: %q", n)
	}
}

// TestDroppedNoteClosedModel: dropped iterations of a closed model are the
// ones max_duration left unstarted, not lower bounds of latency.
func TestDroppedNoteClosedModel(t *testing.T) {
	t.Parallel()
	closed := strings.Join(trustNotes(ScenarioDoc{Name: "s", Executor: "per-vu-iterations", Dropped: 95}, ""), "\n")
	if !strings.Contains(closed, "95 iterations never started: max_duration") || strings.Contains(closed, "lower bound") {
		t.Errorf("closed model note %q", closed)
	}
	open := strings.Join(trustNotes(ScenarioDoc{Name: "s", Executor: "constant-arrival-rate", Dropped: 5}, ""), "\n")
	if !strings.Contains(open, "5 iterations dropped with all max_vus workers busy") {
		t.Errorf("open model note %q", open)
	}
}
