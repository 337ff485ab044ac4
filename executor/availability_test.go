package executor

import "testing"

func TestAvailabilityOf(t *testing.T) {
	t.Parallel()
	pts := func(counts ...[2]int64) []SeriesPoint {
		var s []SeriesPoint
		for _, c := range counts {
			s = append(s, SeriesPoint{Ops: c[0], Errors: c[1]})
		}
		return s
	}
	for _, tc := range []struct {
		name          string
		total         OpStats
		series        []SeriesPoint
		ratio, window float64
		met, of       int
		noWindows     bool
	}{
		// 1 error in 100 is within the 1 % budget, 2 in 100 is not; an
		// interval with no operation is left out.
		{"budget edge", OpStats{Ops: 400, Errors: 3}, pts([2]int64{100, 0}, [2]int64{100, 1}, [2]int64{100, 2}, [2]int64{0, 0}, [2]int64{100, 0}), 397.0 / 400, 0.75, 3, 4, false},
		{"all failed", OpStats{Ops: 10, Errors: 10}, pts([2]int64{10, 10}), 0, 0, 0, 1, false},
		{"no series", OpStats{Ops: 10}, nil, 1, 0, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := AvailabilityOf(tc.total, tc.series)
			if a.Ratio != tc.ratio || a.WindowsMet != tc.met || a.WindowsTotal != tc.of {
				t.Fatalf("%+v", a)
			}
			w, ok := a.Metric("availability_windows")
			if ok == tc.noWindows || (ok && w != tc.window) {
				t.Errorf("availability_windows %v %v, want %v", w, ok, tc.window)
			}
		})
	}
	if a := AvailabilityOf(OpStats{}, nil); a != nil {
		t.Errorf("no operations: %+v, want nil (not measured)", a)
	}
	if _, ok := (*Availability)(nil).Metric("availability"); ok {
		t.Error("nil availability has a value")
	}
}
