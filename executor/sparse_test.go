package executor

import (
	"testing"

	"github.com/perfplan/perfplan/targets"
)

// TestSparseTargetStats checks that a sparse target statistic that did not
// count over the scenario reads as 0, while any other missing statistic has
// no value.
func TestSparseTargetStats(t *testing.T) {
	t.Parallel()
	k := &targets.Kind{Stats: []string{"requests", "status_404", "ttfb_p99"}, Sparse: []string{"status_404"}}
	r := &ScenarioResult{TargetStats: map[string]float64{"requests": 7}, targetKind: k}
	for _, tc := range []struct {
		name string
		v    float64
		ok   bool
	}{
		{"target.requests", 7, true},
		{"target.status_404", 0, true},
		{"target.ttfb_p99", 0, false},
	} {
		if v, ok := r.Metric(tc.name); v != tc.v || ok != tc.ok {
			t.Errorf("Metric(%s) = %v, %v; want %v, %v", tc.name, v, ok, tc.v, tc.ok)
		}
	}
	// Without statistics (Stats panicked), nothing has a value.
	r.TargetStats = nil
	if _, ok := r.Metric("target.status_404"); ok {
		t.Error("a sparse statistic has a value without statistics")
	}
}
