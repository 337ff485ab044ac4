package hog

import (
	"testing"
	"time"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		duty       float64
		busy, idle time.Duration
	}{
		{1, 50 * time.Millisecond, 0},
		{0.7, 35 * time.Millisecond, 15 * time.Millisecond},
		{0.4, 20 * time.Millisecond, 30 * time.Millisecond},
		{0, 0, 50 * time.Millisecond},
		{1.5, 50 * time.Millisecond, 0},
		{-1, 0, 50 * time.Millisecond},
	} {
		busy, idle := Split(50*time.Millisecond, tc.duty)
		if busy != tc.busy || idle != tc.idle {
			t.Errorf("Split(50ms, %g) = %v, %v; want %v, %v", tc.duty, busy, idle, tc.busy, tc.idle)
		}
	}
}

func TestParseDuties(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []float64
	}{
		{"1,0.7,0.4", []float64{1, 0.7, 0.4}},
		{"100%, 70%,40%", []float64{1, 0.7, 0.4}},
		{"0.5", []float64{0.5}},
	} {
		got, err := ParseDuties(tc.in)
		if err != nil {
			t.Errorf("ParseDuties(%q): %v", tc.in, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("ParseDuties(%q) = %v, want %v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if d := got[i] - tc.want[i]; d > 1e-9 || d < -1e-9 {
				t.Errorf("ParseDuties(%q) = %v, want %v", tc.in, got, tc.want)
			}
		}
	}
	for _, bad := range []string{"", "0", "1.2", "x", "120%", "0.5,,0.4", "-0.1"} {
		if got, err := ParseDuties(bad); err == nil {
			t.Errorf("ParseDuties(%q) = %v, want an error", bad, got)
		}
	}
}
