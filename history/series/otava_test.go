package series

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestOtavaGolden checks ChangePoints with the default options against
// Apache Otava on the same series. testdata/otava-changepoints.json was
// written with github.com/apache/otava at commit 1ceb153 (numpy 1.24,
// scipy 1.10): the indices are those of otava.analysis.compute_change_points(
// series, window_len=50, max_pvalue=0.001), the means and p-values those of
// Otava's TTestSignificanceTester.compare over the segments between them.
// They equal what compute_change_points reports (otava_reported_p) except
// where Otava's merge step left a point's statistics stale: after removing
// a weak point it recomputes the point after it but not the one before
// (case "shift": Otava reports p over the segment up to a removed point),
// which perfplan recomputes; see docs/history.md.
func TestOtavaGolden(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/otava-changepoints.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases map[string]struct {
		Series       []float64 `json:"series"`
		ChangePoints []struct {
			Index      int     `json:"index"`
			MeanBefore float64 `json:"mean_before"`
			MeanAfter  float64 `json:"mean_after"`
			P          float64 `json:"p"`
		} `json:"change_points"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 5 {
		t.Fatalf("%d cases", len(cases))
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := ChangePoints(tc.Series, DefaultChangePointOptions())
			if len(got) != len(tc.ChangePoints) {
				t.Fatalf("got %+v, Otava %+v", got, tc.ChangePoints)
			}
			for i, want := range tc.ChangePoints {
				g := got[i]
				if g.Index != want.Index || !near(g.MeanBefore, want.MeanBefore) || !near(g.MeanAfter, want.MeanAfter) || !near(g.P, want.P) {
					t.Errorf("change point %d: got %+v, Otava %+v", i, g, want)
				}
			}
		})
	}
}

// near is equality to 1e-6 relative (p-values down to 1e-23 included).
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-6*math.Max(math.Abs(a), math.Abs(b))
}

// TestMinRun: a step in the last two runs is a change point with Otava's
// minimum of one run a side; with --min-run 3 no split can leave fewer
// than three runs after it.
func TestMinRun(t *testing.T) {
	t.Parallel()
	xs := []float64{10, 10.2, 9.9, 10.1, 10, 9.8, 10.1, 10, 9.9, 10.2, 12.1, 12.0}
	opts := DefaultChangePointOptions()
	if cps := ChangePoints(xs, opts); len(cps) != 1 || cps[0].Index != 10 {
		t.Fatalf("min run 1: %+v, want one change point at 10", cps)
	}
	opts.MinSize = 3
	for _, cp := range ChangePoints(xs, opts) {
		if cp.Index < 3 || cp.Index > len(xs)-3 {
			t.Fatalf("min run 3: %+v", cp)
		}
	}
}
