package report

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
)

func TestBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0B"}, {512, "512B"}, {1536, "1.50KiB"}, {52 << 20, "52.0MiB"}, {-2048, "-2.00KiB"},
		{123456789, "118MiB"}, {12<<20 + 300<<10, "12.3MiB"}, {1023, "1023B"}, {-9, "-9B"},
		{math.MinInt64, "-8.00EiB"},
	}
	for _, tc := range tests {
		if got := Bytes(tc.in); got != tc.want {
			t.Errorf("Bytes(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRSSNotMeasured: a resident set of 0 (no /proc: macOS, Windows)
// reads "not measured" in the resource line, never "0B".
func TestRSSNotMeasured(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rss  int64
		want string
	}{{0, "rss not measured heap"}, {52 << 20, "rss 52.0MiB heap"}} {
		lines := resourceNotes(ScenarioDoc{Name: "s", Resources: &executor.Resources{RSSPeak: tc.rss}})
		if !strings.Contains(lines[0], tc.want) {
			t.Errorf("RSS %d: %q lacks %q", tc.rss, lines[0], tc.want)
		}
	}
}

// TestResourcesInDocument: the resources object survives the JSON document,
// resolves every resource metric (so baseline.* works for them) and shows
// in the scenario notes.
func TestResourcesInDocument(t *testing.T) {
	t.Parallel()
	rs := &executor.Resources{
		CPUPercent: 143, CPUUserSeconds: 1.2, CPUSystemSeconds: 0.3, RSSPeak: 52 << 20,
		HeapInUsePeak: 12 << 20, HeapInUseEnd: 10 << 20, GCCount: 4,
		GCPauseP99: 300 * time.Microsecond, GCPauseMax: time.Millisecond, GoroutinesMax: 9, AllocsPerOp: 0.5,
		Soak: executor.Soak{ThroughputCV: 0.02, P99Drift: 0.1, HeapSlope: 3 << 20, HeapSlopeLow: 2 << 20, HeapSlopeHigh: 4 << 20, LeakThreshold: 1 << 20, Leak: true, HeapSamples: 5},
		Machine: &executor.Machine{Cores: 2, CPUPressure: pf(40), MemoryPressure: pf(1), MemoryFull: pf(0.5), IOPressure: pf(3), IOFull: pf(2),
			Steal: pf(4), OtherCPU: pf(150), Throttled: pf(6), ThrottledPeriods: pi(7)},
	}
	in := &executor.Interference{Intervals: 8, Disturbed: 2, WakeMax: 12 * time.Millisecond, PauseTotal: 30 * time.Millisecond}
	sd := scenarioDoc(&executor.ScenarioResult{Name: "s", Executor: "constant-vus", Resources: rs, Interference: in, Elapsed: 2 * time.Minute})
	b, err := json.Marshal(sd)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"resources":{"cpu_user_seconds":1.2`) {
		t.Errorf("document lacks resources: %s", b)
	}
	var back ScenarioDoc
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"cpu.percent": 143, "cpu.user_seconds": 1.2, "cpu.system_seconds": 0.3, "memory.rss_peak": 52 << 20,
		"heap.in_use_peak": 12 << 20, "heap.in_use_end": 10 << 20, "gc.count": 4, "gc.pause_p99": 0.3,
		"gc.pause_max": 1, "goroutines.max": 9, "allocs_per_op": 0.5, "soak.throughput_cv": 0.02,
		"soak.p99_drift": 0.1, "heap.slope": 3 << 20, "heap.leak": 1,
		"machine.cores": 2, "machine.cpu_pressure": 40, "machine.memory_pressure": 1, "machine.memory_pressure_full": 0.5,
		"machine.io_pressure": 3, "machine.io_pressure_full": 2, "machine.steal": 4, "machine.other_cpu": 150,
		"machine.throttled": 6, "machine.throttled_periods": 7,
		"interference.disturbed": 0.25, "interference.pause_max": 12, "interference.pause_total": 30,
	}
	if len(want) != len(plan.ResourceMetrics) {
		t.Fatalf("test covers %d metrics, plan has %d", len(want), len(plan.ResourceMetrics))
	}
	for _, name := range plan.ResourceMetrics {
		got, ok := back.Metric(name)
		if !ok || got != want[name] {
			t.Errorf("Metric(%s) = %v, %v; want %v", name, got, ok, want[name])
		}
	}
	var none ScenarioDoc
	if _, ok := none.Metric("cpu.percent"); ok {
		t.Error("a document without resources resolves cpu.percent")
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, &Document{Plans: []PlanDoc{{Name: "p", Scenarios: []ScenarioDoc{back}}}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "- cpu 143% rss 52.0MiB") || !strings.Contains(md.String(), "- ⚠️ soak throughput cv") {
		t.Errorf("markdown lacks the resource notes:\n%s", md.String())
	}
	notes := strings.Join(ScenarioNotes(&PlanDoc{Scenarios: []ScenarioDoc{back}}), "\n")
	for _, s := range []string{"cpu 143% rss 52.0MiB heap 12.0MiB gc 4 (p99 300µs)", "allocs/op 0.5", "heap slope 3.00MiB/min [2.00MiB, 4.00MiB] over 5 GC cycles", "LEAK"} {
		if !strings.Contains(notes, s) {
			t.Errorf("notes lack %q:\n%s", s, notes)
		}
	}
}

// TestSoakLineOnlyWhenMeaningful: a short scenario (too few GC cycles for a
// heap verdict, or shorter than MinSoakDuration) gets the resource line but
// no soak line, unless one of its
// assertions reads a soak.* or heap.* figure.
func TestSoakLineOnlyWhenMeaningful(t *testing.T) {
	t.Parallel()
	short := &executor.Resources{CPUPercent: 12, GCCount: 1, Soak: executor.Soak{ThroughputCV: 0.3, P99Drift: -2.2, HeapSamples: 1}}
	long := &executor.Resources{CPUPercent: 12, GCCount: 9, Soak: executor.Soak{HeapSamples: 4, LeakThreshold: 1 << 20}}
	asserting := func(ref string) []AssertionDoc {
		return []AssertionDoc{{Condition: ref + " < 1", Passed: true, Observed: map[string]float64{ref: 0}, Refs: []string{ref}}}
	}
	tests := []struct {
		name string
		s    ScenarioDoc
		want string // in the soak line; "" for none
	}{
		{"short", ScenarioDoc{Name: "s", Resources: short}, ""},
		{"short, latency asserted", ScenarioDoc{Name: "s", Resources: short, Assertions: asserting("latency.p99")}, ""},
		{"short, heap.leak asserted", ScenarioDoc{Name: "s", Resources: short, Assertions: asserting("heap.leak")}, "heap slope: no verdict, 1 GC cycles (3 needed; run longer)"},
		{"short, soak.p99_drift against the baseline", ScenarioDoc{Name: "s", Resources: short, Assertions: asserting("baseline.soak.p99_drift")}, "p99 drift -2.2ms/min"},
		{"long enough for a verdict", ScenarioDoc{Name: "s", Resources: long, ElapsedNS: int64(MinSoakDuration)}, "over 4 GC cycles: no leak"},
		{"enough GC cycles, 20 seconds", ScenarioDoc{Name: "s", Resources: long, ElapsedNS: int64(20 * time.Second)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			notes := strings.Join(ScenarioNotes(&PlanDoc{Scenarios: []ScenarioDoc{tc.s}}), "\n")
			var md strings.Builder
			if err := WriteMarkdown(&md, &Document{Plans: []PlanDoc{{Name: "p", Scenarios: []ScenarioDoc{tc.s}}}}); err != nil {
				t.Fatal(err)
			}
			for what, out := range map[string]string{"notes": notes, "markdown": md.String()} {
				if !strings.Contains(out, "cpu 12%") {
					t.Errorf("%s lack the resource line:\n%s", what, out)
				}
				has := strings.Contains(out, "soak throughput cv")
				if tc.want == "" && has {
					t.Errorf("%s have a soak line:\n%s", what, out)
				}
				if tc.want != "" && (!has || !strings.Contains(out, tc.want)) {
					t.Errorf("%s lack a soak line with %q:\n%s", what, tc.want, out)
				}
			}
		})
	}
}

func pf(v float64) *float64 { return &v }
func pi(v int64) *int64     { return &v }
