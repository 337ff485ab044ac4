package main

import (
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func TestBusyVerdict(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	for _, tc := range []struct {
		name      string
		load      float64
		saturated bool
		dropped   int64
		lat, lag  time.Duration
		want      bool
	}{
		{"80% quiet", 0.8, false, 0, 3 * ms, 2 * ms, true},
		{"80% flagged", 0.8, true, 0, 3 * ms, 2 * ms, false},
		{"80% lateness not charged", 0.8, false, 0, 1 * ms, 2 * ms, false},
		{"80% drops but not flagged", 0.8, false, 5, 3 * ms, 2 * ms, true},
		{"120% flagged", 1.2, true, 0, 90 * ms, 80 * ms, true},
		{"120% dropped", 1.2, false, 10, 90 * ms, 80 * ms, true},
		{"120% unnoticed", 1.2, false, 0, 90 * ms, 80 * ms, false},
		{"120% lateness not charged", 1.2, true, 10, 70 * ms, 80 * ms, false},
		{"100% either", 1, true, 0, 3 * ms, 2 * ms, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			goal, ok := busyVerdict(tc.load, tc.saturated, tc.dropped, tc.lat, tc.lag)
			if ok != tc.want {
				t.Errorf("busyVerdict(%g, %v, %d, %v, %v) = %q, %v; want ok %v", tc.load, tc.saturated, tc.dropped, tc.lat, tc.lag, goal, ok, tc.want)
			}
		})
	}
}

func TestLagWithin(t *testing.T) {
	t.Parallel()
	if n := lagWithin(nil, time.Millisecond); n != 0 {
		t.Errorf("nil histogram: %d on time, want 0", n)
	}
	h := hdrhistogram.New(1, int64(time.Hour), 3)
	// 970 iterations 10µs late, 20 at 900µs, 10 at 5ms: 990 within 1ms.
	for _, v := range []struct {
		lag time.Duration
		n   int64
	}{{10 * time.Microsecond, 970}, {900 * time.Microsecond, 20}, {5 * time.Millisecond, 10}} {
		if err := h.RecordValues(int64(v.lag), v.n); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		tol  time.Duration
		want int64
	}{{time.Millisecond, 990}, {100 * time.Microsecond, 970}, {time.Microsecond, 0}, {10 * time.Millisecond, 1000}} {
		if got := lagWithin(h, tc.tol); got != tc.want {
			t.Errorf("lagWithin(tol %v) = %d, want %d", tc.tol, got, tc.want)
		}
	}
}

func TestPrecision(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		deltas []float64
		pairs  int
		want   bool
	}{
		{"none computed", nil, 4, false},
		{"on target", []float64{0.095, 0.10, 0.105, 0.10}, 4, true},
		{"off target", []float64{0.05, 0.06, 0.04, 0.05}, 4, false},
		{"a pair missing", []float64{0.10, 0.10, 0.10}, 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if m, ok := precision(tc.deltas, tc.pairs); ok != tc.want {
				t.Errorf("precision(%v, %d) = %q, %v; want ok %v", tc.deltas, tc.pairs, m, ok, tc.want)
			}
		})
	}
}
