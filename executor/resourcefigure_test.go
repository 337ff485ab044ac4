package executor

import (
	"slices"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// TestResourceFigures: every process resource descriptor names a metric
// of plan.ResourceMetrics and a field of Resources under its JSON key,
// read in its unit.
func TestResourceFigures(t *testing.T) {
	t.Parallel()
	r := &Resources{CPUPercent: 150, CPUUserSeconds: 1.5, CPUSystemSeconds: 0.5, RSSPeak: 1 << 20,
		HeapInUsePeak: 2 << 20, HeapInUseEnd: 3 << 20, GCCount: 7, GCPauseP99: 250 * time.Microsecond,
		GCPauseMax: 2 * time.Millisecond, GoroutinesMax: 40, AllocsPerOp: 0.25}
	want := map[string]float64{"cpu.percent": 150, "cpu.user_seconds": 1.5, "cpu.system_seconds": 0.5,
		"memory.rss_peak": 1 << 20, "heap.in_use_peak": 2 << 20, "heap.in_use_end": 3 << 20, "gc.count": 7,
		"gc.pause_p99": 0.25, "gc.pause_max": 2, "goroutines.max": 40, "allocs_per_op": 0.25}
	descs := plan.ProcessResources()
	if len(descs) != len(want) {
		t.Errorf("%d descriptors, want %d", len(descs), len(want))
	}
	for _, d := range descs {
		if !slices.Contains(plan.ResourceMetrics, d.Name) {
			t.Errorf("%s is not in plan.ResourceMetrics", d.Name)
		}
		if !r.resourceField(d.Key).IsValid() {
			t.Errorf("%s: Resources has no field under the JSON key %q", d.Name, d.Key)
		}
		got, ok := r.Metric(d.Name)
		if w, known := want[d.Name]; !ok || !known || got != w {
			t.Errorf("Metric(%q) = %v, %v; want %v", d.Name, got, ok, w)
		}
	}
}

// TestMergeFigures: segments' figures merge by each descriptor's rule.
func TestMergeFigures(t *testing.T) {
	t.Parallel()
	a := &Resources{CPUPercent: 100, CPUUserSeconds: 1, GCCount: 3, RSSPeak: 10, GCPauseMax: time.Millisecond, GoroutinesMax: 5, AllocsPerOp: 1}
	b := &Resources{CPUPercent: 50, CPUUserSeconds: 2, GCCount: 4, RSSPeak: 30, GCPauseMax: 3 * time.Millisecond, GoroutinesMax: 2, AllocsPerOp: 4}
	var out Resources
	out.MergeFigures([]*Resources{a, b}, []int64{300, 100})
	want := Resources{CPUPercent: 150, CPUUserSeconds: 3, GCCount: 7, RSSPeak: 30, GCPauseMax: 3 * time.Millisecond, GoroutinesMax: 5,
		AllocsPerOp: (1*300 + 4*100) / 400.0}
	if out.CPUPercent != want.CPUPercent || out.CPUUserSeconds != want.CPUUserSeconds || out.GCCount != want.GCCount ||
		out.RSSPeak != want.RSSPeak || out.GCPauseMax != want.GCPauseMax || out.GoroutinesMax != want.GoroutinesMax || out.AllocsPerOp != want.AllocsPerOp {
		t.Errorf("merged %+v, want %+v", out, want)
	}
}
