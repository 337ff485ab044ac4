package report

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/targets/cache"
)

// TestCacheStatsFixture keeps cacheStats, the fixture of the golden files,
// in step with the statistics the cache target reports.
func TestCacheStatsFixture(t *testing.T) {
	t.Parallel()
	got := slices.Sorted(maps.Keys(cacheStats()))
	want := slices.Sorted(slices.Values(cache.Kind().Stats))
	if !slices.Equal(got, want) {
		t.Errorf("cacheStats has\n%v\nthe cache reports\n%v", got, want)
	}
}

func TestGroupStats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		stats      map[string]float64
		rows       string
		columns    string
		rest       string
		cellChecks map[[2]string]string
	}{
		{
			name:    "cache tiers",
			stats:   cacheStats(),
			rows:    "l1 l2 l3 total",
			columns: "hits misses hit_ratio entries evictions promotions",
			rest: "corrupt deletes heap_growth_bytes l3_breaker_closes l3_breaker_opens l3_breaker_state l3_bypassed l3_timeouts " +
				"load_dropped load_errors load_waits loads negative_hits not_found redis_errors sets",
			cellChecks: map[[2]string]string{{"l1", "hits"}: "100000", {"total", "hit_ratio"}: "0.962", {"l2", "hit_ratio"}: "0.658"},
		},
		{
			name: "limiter: no families",
			stats: map[string]float64{"allowed": 1, "denied": 2, "deny_ratio": 0.5, "fallback_decisions": 0, "backend_errors": 0,
				"fallbacks": 0, "recoveries": 0, "mode": 0},
			rest: "allowed backend_errors denied deny_ratio fallback_decisions fallbacks mode recoveries",
		},
		{
			name:       "a row without a column, a prefix with one",
			stats:      map[string]float64{"a_x": 1, "a_y": 2, "a_z": 3, "b_x": 4, "b_y": 5, "b_z": 6, "c_x": 7, "c_y": 8, "d_x": 9, "d_w": 10},
			rows:       "a b c",
			columns:    "x y z",
			rest:       "d_w d_x",
			cellChecks: map[[2]string]string{{"c", "z"}: "-", {"b", "y"}: "5"},
		},
		{name: "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := groupStats(tc.stats)
			if got := strings.Join(st.rows, " "); got != tc.rows {
				t.Errorf("rows %q, want %q", got, tc.rows)
			}
			if got := strings.Join(st.columns, " "); got != tc.columns {
				t.Errorf("columns %q, want %q", got, tc.columns)
			}
			if got := strings.Join(st.rest, " "); got != tc.rest {
				t.Errorf("rest %q, want %q", got, tc.rest)
			}
			for rc, want := range tc.cellChecks {
				if got := st.cell(rc[0], rc[1]); got != want {
					t.Errorf("cell %v = %q, want %q", rc, got, want)
				}
			}
		})
	}
}

// TestStatGridScenarios: scenarios with the same families share one grid,
// each scenario named on its first row; others get a grid of their own. A
// grid row that is 0 in every scenario (l3) and the statistics that are 0
// fold into a note.
func TestStatGridScenarios(t *testing.T) {
	t.Parallel()
	other := map[string]float64{"a_x": 1, "a_y": 2, "b_x": 3, "b_y": 4}
	p := &PlanDoc{Scenarios: []ScenarioDoc{
		{Name: "warm", TargetStats: cacheStats()},
		{Name: "hot", TargetStats: cacheStats()},
		{Name: "plain", TargetStats: map[string]float64{"calls": 3}},
		{Name: "other", TargetStats: other},
	}}
	var b strings.Builder
	if err := writeDocTargetStats(&b, p, DefaultWidth); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "│ l3 ") || strings.Contains(out, "corrupt=0") {
		t.Errorf("a row or a statistic of zeros is printed:\n%s", out)
	}
	if n := strings.Count(out, "│ scenario │ target │"); n != 2 {
		t.Errorf("%d grids, want 2 (warm and hot together, other alone):\n%s", n, out)
	}
	for _, want := range []string{"│ warm     │ l1     │", "│ hot      │ l1     │", "│ other    │ a      │", "│ plain    │ calls=3", "│ hot      │ heap_growth_bytes=30.0MiB sets=12500 (14 others 0)",
		"l3: every statistic 0 in every scenario above (left out)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
