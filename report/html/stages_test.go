package html

import (
	"bytes"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/report"
)

// TestStageFiguresInEveryFormat: a ramping scenario's per-stage figures
// show in the terminal's table, in Markdown and in the HTML report, with
// the same cells.
func TestStageFiguresInEveryFormat(t *testing.T) {
	t.Parallel()
	op := func(ops int64, p50 int64) report.OpDoc {
		return report.OpDoc{Name: "(all)", Ops: ops, Throughput: float64(ops) / 5,
			Latency: report.LatencyDoc{P50: p50, P95: 2 * p50, P99: 3 * p50, P999: 4 * p50, Max: 5 * p50}}
	}
	s := report.ScenarioDoc{Name: "ramp", Executor: "ramping-arrival-rate", ElapsedNS: 10e9, Total: op(1500, 1e6),
		Stages: []report.StageDoc{
			{Name: "warm", Index: 0, Target: 100, StartNS: 0, EndNS: 5e9, Total: op(500, 1e6)},
			{Index: 1, Target: 200, StartNS: 5e9, EndNS: 10e9, Total: op(1000, 2e6)},
		}}
	d := &report.Document{SchemaVersion: report.SchemaVersion, Plans: []report.PlanDoc{{Name: "p", Scenarios: []report.ScenarioDoc{s}}}}
	var term, md, page bytes.Buffer
	if err := report.WriteDocumentTables(&term, d, report.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteMarkdown(&md, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteRun(&page, d); err != nil {
		t.Fatal(err)
	}
	for _, st := range s.Stages {
		row := report.StageRow(st)
		for name, out := range map[string]string{"terminal": term.String(), "markdown": md.String(), "html": page.String()} {
			for _, cell := range []string{row[0], row[2], row[6]} {
				if !strings.Contains(out, cell) {
					t.Errorf("%s output lacks stage cell %q of %v", name, cell, row)
				}
			}
		}
		if !strings.Contains(md.String(), "| "+strings.Join(row, " | ")+" |") {
			t.Errorf("markdown lacks the row %v:\n%s", row, md.String())
		}
	}
	if !strings.Contains(page.String(), `<caption>Stages</caption>`) {
		t.Errorf("the HTML report has no stage table")
	}
}
