package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/executor"
)

// planAssertionsDoc is a run with a plan-level assertion (one that reads
// other scenarios' figures) that fails, and a duet.
func planAssertionsDoc() *Document {
	change, lo, hi := 0.1, 0.08, 0.12
	return &Document{SchemaVersion: SchemaVersion, Plans: []PlanDoc{{
		Name:      "p",
		Scenarios: []ScenarioDoc{{Name: "old", Assertions: []AssertionDoc{{Condition: "ops > 0", Passed: true, Observed: map[string]float64{"ops": 1}}}}},
		Assertions: []AssertionDoc{{Condition: "scenario.new.latency.p50 < scenario.old.latency.p50", ErrorMessage: "new is slower",
			Observed: map[string]float64{"scenario.new.latency.p50": 2, "scenario.old.latency.p50": 1},
			Refs:     []string{"scenario.new.latency.p50", "scenario.old.latency.p50"}}},
		Duets: []DuetDoc{{Name: "pair", Members: []string{"old", "new"}, Method: "paired t", Figures: []DuetFigureDoc{
			{Member: "new", Figure: "latency.p50", Pairs: 20, Change: &change, Low: &lo, High: &hi, Confidence: 0.95, Batches: 20, BatchSize: 1}}}},
	}}}
}

// TestPlanAssertionsInReports checks that a plan-level assertion is
// listed, under the scenario "(plan)", in the table, the Markdown and the
// JUnit report (the HTML report: htmlview_test.go), counts in the verdict,
// and that a duet's figures are printed.
func TestPlanAssertionsInReports(t *testing.T) {
	t.Parallel()
	d := planAssertionsDoc()
	var table bytes.Buffer
	if err := WriteDocumentTables(&table, d, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"(plan)", "scenario.new.latency.p50=2.00ms", "new is slower", "FAIL: 1 of 2 assertions failed  grade 50 (Poor)",
		"duet pair (paired t):", "new vs old  latency.p50   +10.0% [+8.0%, +12.0%] @95%  significant"} {
		if !strings.Contains(table.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, table.String())
		}
	}
	for _, format := range []string{"markdown", "junit"} {
		var buf bytes.Buffer
		if err := Writers()[format](d, &buf); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "(plan)") || !strings.Contains(buf.String(), "new is slower") {
			t.Errorf("%s lacks the plan-level assertion:\n%s", format, buf.String())
		}
	}
}

// TestInconclusiveWhy checks the verdict line's reason for each mix of
// inconclusive assertions: interference, a duet without a verdict, both.
func TestInconclusiveWhy(t *testing.T) {
	t.Parallel()
	interference := AssertionDoc{Verdict: executor.VerdictInconclusive, Inconclusive: "holds once measured interference is allowed for"}
	duet := AssertionDoc{Verdict: executor.VerdictInconclusive, Inconclusive: executor.DuetNoVerdict + "2 usable pairs, fewer than 5"}
	passed := AssertionDoc{Passed: true, Verdict: executor.VerdictPass}
	for _, tc := range []struct {
		name     string
		scenario []AssertionDoc
		plan     []AssertionDoc
		want     string
	}{
		{"interference", []AssertionDoc{interference, passed}, nil, "failed only on figures that measured interference explains"},
		{"duet", []AssertionDoc{passed}, []AssertionDoc{duet}, "read a duet that gave no verdict"},
		{"both", []AssertionDoc{interference}, []AssertionDoc{duet}, "failed only on figures that measured interference explains or read a duet that gave no verdict"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &PlanDoc{Scenarios: []ScenarioDoc{{Name: "s", Assertions: tc.scenario}}, Assertions: tc.plan}
			if got := InconclusiveWhy(p); got != tc.want {
				t.Errorf("InconclusiveWhy = %q, want %q", got, tc.want)
			}
		})
	}
}
