package compare

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/report"
)

// TestOneRunPerOpRows compares one run per side of a scenario with two
// operations: besides the scenario's batch-means rows, each operation gets
// rows of its whole-run figures, with their delta and no verdict, even on
// a large change, and a note says how to test them.
func TestOneRunPerOpRows(t *testing.T) {
	t.Parallel()
	withOps := func(scale float64) *report.Document {
		d := ar1Run(rand.New(rand.NewPCG(7, 7)), 120, 0.5, 0.02, 1)
		s := &d.Plans[0].Scenarios[0]
		s.Ops = []report.OpDoc{
			{Name: "get", Ops: 900, Throughput: 900, Latency: report.LatencyDoc{P50: int64(time.Millisecond), P99: int64(4 * time.Millisecond)}},
			{Name: "set", Ops: 100, Throughput: 100, Latency: report.LatencyDoc{P50: int64(scale * float64(time.Millisecond)), P99: int64(scale * 4 * float64(time.Millisecond))}},
		}
		return d
	}
	res, err := Compare(withOps(1), withOps(2), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var set []Row
	for _, r := range res.Rows {
		if r.Op == "set" {
			set = append(set, r)
		}
	}
	if len(set) == 0 {
		t.Fatalf("no rows for op set: %+v", res.Rows)
	}
	for _, r := range set {
		if !r.Declined || r.Regression || r.Failing || r.Method.Name != MethodWholeRun {
			t.Errorf("set %s: declined %v regression %v method %q; want a row without a verdict", r.Metric.Name, r.Declined, r.Regression, r.Method.Name)
		}
		if r.Metric.Name == "p50" && (r.Delta < 0.99 || r.Delta > 1.01) {
			t.Errorf("set p50 delta %v, want +100%%", r.Delta)
		}
	}
	if res.Failed() {
		t.Error("rows without a verdict failed the comparison")
	}
	var b bytes.Buffer
	if err := res.WriteStyled(&b, Style{Width: 1000}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "whole-run figures without a verdict") {
		t.Errorf("no note on the operations' rows:\n%s", b.String())
	}
}
