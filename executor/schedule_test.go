package executor

import (
	"math"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
)

func TestScheduleInversion(t *testing.T) {
	s := time.Second
	tests := []struct {
		name      string
		start     float64
		unit      time.Duration
		stages    []plan.Stage
		wantCount int64
		at        map[int64]time.Duration // iteration -> intended start
	}{
		{
			name: "constant", start: 1000, stages: []plan.Stage{{Duration: s, Target: 1000}},
			wantCount: 1000,
			at:        map[int64]time.Duration{0: 0, 1: time.Millisecond, 500: 500 * time.Millisecond, 999: 999 * time.Millisecond},
		},
		{
			name: "constant per minute", start: 60, unit: time.Minute, stages: []plan.Stage{{Duration: 2 * s, Target: 60}},
			wantCount: 2,
			at:        map[int64]time.Duration{1: s},
		},
		{
			// n(t) = 500 t², so iteration n is due at sqrt(n/500).
			name: "ramp up from zero", start: 0, stages: []plan.Stage{{Duration: s, Target: 1000}},
			wantCount: 500,
			at:        map[int64]time.Duration{0: 0, 125: 500 * time.Millisecond, 5: 100 * time.Millisecond},
		},
		{
			// n(t) = 1000t − 500t²: n = 375 at t = 0.5 s.
			name: "ramp down to zero", start: 1000, stages: []plan.Stage{{Duration: s, Target: 0}},
			wantCount: 500,
			at:        map[int64]time.Duration{0: 0, 375: 500 * time.Millisecond, 499: time.Duration((1 - math.Sqrt(1.0/500)) * 1e9)},
		},
		{
			// 100/s for 1 s, an instant drop to 0, 1 s at 0, an instant
			// jump back, 100/s for 1 s: iteration 100 is due at 2 s.
			name: "zero-rate stage", start: 100,
			stages: []plan.Stage{
				{Duration: s, Target: 100}, {Duration: 0, Target: 0}, {Duration: s, Target: 0},
				{Duration: 0, Target: 100}, {Duration: s, Target: 100},
			},
			wantCount: 200,
			at:        map[int64]time.Duration{99: 990 * time.Millisecond, 100: 2 * s, 150: 2500 * time.Millisecond},
		},
		{
			// 0→100 over 2 s (100 iterations), then 100→300 over 1 s (200).
			name: "two ramps", start: 0, stages: []plan.Stage{{Duration: 2 * s, Target: 100}, {Duration: s, Target: 300}},
			wantCount: 300,
			// n = 100 + 100t + 100t² = 300 at t = 1 s.
			at: map[int64]time.Duration{100: 2 * s, 200: 2*s + time.Duration((math.Sqrt(5)-1)/2*1e9)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sch := newRampingSchedule(tt.start, tt.unit, tt.stages)
			if got := sch.count(); got != tt.wantCount {
				t.Errorf("count = %d, want %d", got, tt.wantCount)
			}
			var cur int
			for i, want := range tt.at {
				got, ok := sch.at(i, &cur)
				if !ok {
					t.Errorf("at(%d): not due", i)
					continue
				}
				if d := got - want; d < -time.Microsecond || d > time.Microsecond {
					t.Errorf("at(%d) = %v, want %v", i, got, want)
				}
			}
			// Monotone, and every iteration below count is due.
			cur = 0
			prev := time.Duration(-1)
			for i := int64(0); i < tt.wantCount; i++ {
				got, ok := sch.at(i, &cur)
				if !ok || got < prev || got > sch.duration() {
					t.Fatalf("at(%d) = %v, %v (prev %v)", i, got, ok, prev)
				}
				prev = got
			}
			if _, ok := sch.at(tt.wantCount, &cur); ok {
				t.Errorf("at(count) is due")
			}
		})
	}
}

func TestRampSteps(t *testing.T) {
	got := rampSteps(1, []plan.Stage{
		{Duration: 300 * time.Millisecond, Target: 4},
		{Duration: 100 * time.Millisecond, Target: 4},
		{Duration: 200 * time.Millisecond, Target: 2},
		{Duration: 0, Target: 5},
	})
	want := []vuStep{
		{100 * time.Millisecond, 2}, {200 * time.Millisecond, 3}, {300 * time.Millisecond, 4},
		{500 * time.Millisecond, 3}, {600 * time.Millisecond, 2},
		{600 * time.Millisecond, 5},
	}
	if len(got) != len(want) {
		t.Fatalf("steps = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("steps = %v, want %v", got, want)
		}
	}
}
