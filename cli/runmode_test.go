package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/compare"
	"github.com/perfplan/perfplan/report"
)

func TestApplyMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode    string
		set     map[string]bool
		in      runFlags
		scale   float64
		count   int
		noAbort bool
		err     bool
	}{
		{mode: "full", in: runFlags{scale: 1, count: 1}, scale: 1, count: 1},
		{mode: "quick", in: runFlags{scale: 1, count: 1}, scale: quickScale, count: 1},
		{mode: "quick", set: map[string]bool{"duration-scale": true}, in: runFlags{scale: 0.5, count: 1}, scale: 0.5, count: 1},
		{mode: "benchmark", in: runFlags{scale: 1, count: 1}, scale: 1, count: 10, noAbort: true},
		{mode: "benchmark", set: map[string]bool{"count": true, "no-abort": true}, in: runFlags{scale: 1, count: 3}, scale: 1, count: 3},
		{mode: "regression", in: runFlags{scale: 1, count: 5}, scale: 1, count: 5},
		{mode: "fast", in: runFlags{scale: 1, count: 1}, err: true},
	}
	for _, tt := range tests {
		f := tt.in
		f.mode = tt.mode
		err := f.applyMode(tt.set)
		if (err != nil) != tt.err {
			t.Errorf("%s %v: err = %v", tt.mode, tt.set, err)
			continue
		}
		if !tt.err && (f.scale != tt.scale || f.count != tt.count || f.noAbort != tt.noAbort) {
			t.Errorf("%s %v: scale %v count %d noAbort %v; want %v %d %v", tt.mode, tt.set, f.scale, f.count, f.noAbort, tt.scale, tt.count, tt.noAbort)
		}
	}
}

// repDoc is a document with one plan repeated, its p50 in ms per repetition.
func repDoc(p50ms ...float64) *report.Document {
	d := &report.Document{}
	for i, v := range p50ms {
		op := report.OpDoc{Name: "get", Ops: 1000, Throughput: 1000 / v, Latency: report.LatencyDoc{P50: int64(v * 1e6), P90: int64(v * 1.2e6), P99: int64(v * 1.5e6)}}
		d.Plans = append(d.Plans, report.PlanDoc{Name: "p", Repetition: i + 1, Passed: true,
			Scenarios: []report.ScenarioDoc{{Name: "s", Total: op, Ops: []report.OpDoc{op}}}})
	}
	return d
}

func TestRegressionCheck(t *testing.T) {
	t.Parallel()
	fast := repDoc(1.00, 1.02, 0.98, 1.01, 0.99)
	tests := []struct {
		name      string
		base, new *report.Document
		regressed bool
	}{
		// A document compared with itself has identical samples: no change
		// can be significant.
		{"itself", fast, fast, false},
		{"2x slower", fast, repDoc(2.00, 2.04, 1.96, 2.02, 1.98), true},
		{"faster", fast, repDoc(0.50, 0.51, 0.49, 0.505, 0.495), false},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		got, err := regressionCheck(&out, tt.base, tt.new, compare.DefaultOptions(), "base.json", []string{"run of 2026-01-02"})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got != tt.regressed {
			t.Errorf("%s: regressed = %v, want %v\n%s", tt.name, got, tt.regressed, out.String())
		}
		if !strings.Contains(out.String(), "regression check (threshold 5%, alpha 0.05) against base.json:\n  run of 2026-01-02\n") {
			t.Errorf("%s: no heading naming the base:\n%s", tt.name, out.String())
		}
	}
	// Nothing to compare with: said so, and not a regression.
	var out bytes.Buffer
	got, err := regressionCheck(&out, nil, fast, compare.DefaultOptions(), "history h.db", []string{"plan p: no recorded run"})
	if err != nil || got {
		t.Errorf("no base: regressed %v, %v", got, err)
	}
	for _, want := range []string{"regression check: NOT COMPARED: no good earlier run of these plans in history h.db", "plan p: no recorded run"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no base: output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "OK") {
		t.Errorf("no base reads as a passed check:\n%s", out.String())
	}
}
