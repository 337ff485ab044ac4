package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// sweepDoc is a plan whose scenario steady was declared with for_each over
// L1 sizes, the instances in key order (large, small).
func sweepDoc() *PlanDoc {
	sc := func(key, value string, p99 time.Duration, thr float64) ScenarioDoc {
		return ScenarioDoc{Name: `steady["` + key + `"]`, Executor: "constant-vus", Sweep: &plan.Sweep{Name: "steady", Key: key, Value: value},
			Total:      OpDoc{Name: "total", Ops: 1000, Throughput: thr, Latency: LatencyDoc{P50: int64(p99 / 4), P99: int64(p99), Max: int64(2 * p99)}},
			Assertions: []AssertionDoc{{Condition: "ops > 0", Passed: key != "small"}}}
	}
	return &PlanDoc{Name: "sweep", Scenarios: []ScenarioDoc{
		sc("large", "100000", time.Millisecond, 9000),
		sc("small", "1000", 3*time.Millisecond, 3000),
		{Name: "other", Executor: "constant-vus"},
	}}
}

// TestSweepTable: the instances of a for_each scenario print as one table
// with the key and the swept value as columns.
func TestSweepTable(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WritePlanTables(&b, sweepDoc(), TableOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"sweep steady (for_each):", "│ each.key │ each.value │", "│ large    │ 100000     │", "│ small    │ 1000       │ ", "0/1 held", "1/1 held"} {
		if !strings.Contains(out, want) {
			t.Errorf("tables lack %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "sweep steady") != 1 {
		t.Errorf("want one sweep table:\n%s", out)
	}
}

// TestSweepTableCorrected: a stalled closed model's instance shows the
// corrected latencies, marked, with a note.
func TestSweepTableCorrected(t *testing.T) {
	t.Parallel()
	p := sweepDoc()
	p.Scenarios[1].Total.Corrected = &LatencyDoc{P50: int64(7 * time.Millisecond), P99: int64(70 * time.Millisecond), Max: int64(90 * time.Millisecond)}
	var b bytes.Buffer
	if err := writeSweepTables(&b, p, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"│ small *  │", "70.0ms", `figures of steady["small"] cannot be trusted`} {
		if !strings.Contains(out, want) {
			t.Errorf("sweep table lacks %q:\n%s", want, out)
		}
	}
}
