package executor

import (
	"math"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// TestScheduleThen: replacing a schedule at run time keeps every iteration
// due before the change where it was, and spaces the rest at the new rate.
func TestScheduleThen(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := []struct {
		name   string
		base   *arrivalSchedule
		at     time.Duration
		rate   float64
		dur    time.Duration
		total  int64                   // iterations due in the new schedule
		due    map[int64]time.Duration // iteration -> intended start
		ending time.Duration
	}{
		{
			// 100/s: iterations 0..49 in the first 0.5 s, then 10/s for
			// 1 s: iteration 50 at 0.5 s, 51 at 0.6 s, ... 59 at 1.4 s.
			name: "constant then slower", base: newConstantSchedule(100, s, 2*s),
			at: 500 * time.Millisecond, rate: 10, dur: s,
			total: 60, ending: 1500 * time.Millisecond,
			due: map[int64]time.Duration{0: 0, 49: 490 * time.Millisecond, 50: 500 * time.Millisecond, 51: 600 * time.Millisecond, 59: 1400 * time.Millisecond},
		},
		{
			// A ramp 0 → 1000/s over 1 s is at 500/s at 0.5 s with 125
			// due (n = 500 t²); then 1000/s.
			name: "mid-ramp", base: newRampingSchedule(0, s, []plan.Stage{{Duration: s, Target: 1000}}),
			at: 500 * time.Millisecond, rate: 1000, dur: 100 * time.Millisecond,
			total: 225, ending: 600 * time.Millisecond,
			due: map[int64]time.Duration{124: time.Duration(math.Sqrt(124.0/500) * 1e9), 125: 500 * time.Millisecond, 135: 510 * time.Millisecond},
		},
		{
			name: "end now", base: newConstantSchedule(100, s, 10*s),
			at: 250 * time.Millisecond, rate: 0, dur: 0,
			total: 25, ending: 250 * time.Millisecond,
			due: map[int64]time.Duration{24: 240 * time.Millisecond},
		},
		{
			name: "after the end", base: newConstantSchedule(100, s, s),
			at: 2 * s, rate: 100, dur: s,
			total: 200, ending: 3 * s,
			due: map[int64]time.Duration{99: 990 * time.Millisecond, 100: 2 * s, 199: 2990 * time.Millisecond},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.base.then(tc.at, tc.rate, s, tc.dur)
			if n := got.count(); n != tc.total {
				t.Errorf("count = %d, want %d", n, tc.total)
			}
			if got.duration() != tc.ending {
				t.Errorf("duration = %v, want %v", got.duration(), tc.ending)
			}
			var seg int
			for i, want := range tc.due {
				d, ok := got.at(i, &seg)
				if !ok || (d-want).Abs() > time.Microsecond {
					t.Errorf("at(%d) = %v, %v; want %v", i, d, ok, want)
				}
				seg = 0
			}
			if _, ok := got.at(tc.total, &seg); ok {
				t.Errorf("at(%d) is due; want the schedule to end", tc.total)
			}
		})
	}
}

func TestBreakpointSpecSteps(t *testing.T) {
	t.Parallel()
	b := Breakpoint{StartRate: 100, StepRate: 30, MaxRate: 200, StepDuration: time.Second}
	if n := b.Steps(); n != 5 { // 100, 130, 160, 190, 200
		t.Errorf("Steps = %d, want 5", n)
	}
	for at, want := range map[time.Duration]float64{0: 100, 999 * time.Millisecond: 100, time.Second: 130, 3 * time.Second: 190, 4 * time.Second: 200, 9 * time.Second: 200} {
		if got := b.RateAt(at); got != want {
			t.Errorf("RateAt(%v) = %v, want %v", at, got, want)
		}
	}
	b.Ramp = true
	if got := b.RateAt(1500 * time.Millisecond); got != 145 {
		t.Errorf("ramp RateAt(1.5s) = %v, want 145", got)
	}
}

func TestScheduleRateAt(t *testing.T) {
	t.Parallel()
	s := newRampingSchedule(0, time.Second, []plan.Stage{{Duration: time.Second, Target: 1000}, {Duration: time.Second, Target: 1000}})
	for at, want := range map[time.Duration]float64{0: 0, 500 * time.Millisecond: 500, 1500 * time.Millisecond: 1000, 5 * time.Second: 1000} {
		for _, k := range []int{0, 1, 7} { // any cached segment index
			if got := s.rateAt(at, k) * 1e9; math.Abs(got-want) > 1e-6 {
				t.Errorf("rateAt(%v, %d) = %v/s, want %v/s", at, k, got, want)
			}
		}
	}
}
