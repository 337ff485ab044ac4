package report

import (
	"strings"
	"testing"
)

// TestHTMLStatGroups: the HTML report's grid (GroupStats) is the text
// table's (groupStats), with the same rows and column order.
func TestHTMLStatGroups(t *testing.T) {
	t.Parallel()
	g := groupStats(map[string]float64{
		"l1_hits": 10, "l1_misses": 2, "l1_hit_ratio": 0.8, "l2_hits": 1, "l2_misses": 1, "l2_hit_ratio": 0.5,
		"hits": 11, "misses": 1, "hit_ratio": 0.9, "load_errors": 0, "redis_errors": 3, "sets": 4,
	})
	if strings.Join(g.rows, ",") != "l1,l2,total" || strings.Join(g.columns, ",") != "hits,misses,hit_ratio" {
		t.Errorf("rows %v columns %v", g.rows, g.columns)
	}
	if g.cells["l2"]["misses"] != 1 || g.cells["total"]["hits"] != 11 {
		t.Errorf("cells %v", g.cells)
	}
	// load_errors and redis_errors share no column with another row.
	if strings.Join(g.rest, ",") != "load_errors,redis_errors,sets" {
		t.Errorf("rest %v", g.rest)
	}
	if grid := GroupStats(map[string]float64{"l1_hits": 1, "l1_misses": 0, "l2_hits": 2, "l2_misses": 1, "sets": 4}); strings.Join(grid.Rows, ",") != "l1,l2" || strings.Join(grid.Columns, ",") != "hits,misses" || grid.Cells["l2"]["hits"] != 2 || strings.Join(grid.Rest, ",") != "sets" {
		t.Errorf("GroupStats: %+v", grid)
	}
}
