package executor

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets/builtin"
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
	b := plan.BreakpointSpec{StartRate: 100, StepRate: 30, MaxRate: 200, StepDuration: time.Second}
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

// loadPlan loads plan source text through the real loader.
func loadPlan(t *testing.T, src string) *plan.Plan {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.hcl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	p, diags := dsl.NewLoader(builtin.Registry(), nil, nil).Load(path)
	if diags.HasErrors() || p == nil {
		t.Fatalf("load: %v", diags)
	}
	return p
}

// capacityPlan is a sleep target that holds each call 20ms with at most 8
// in flight: its capacity is 8 / 20ms = 400 calls/s. Past it, calls queue
// for a slot and their latency (from the intended start) grows without
// bound.
const capacityPlan = `
plan "capacity" {}
target "sleep" "pool" {
  latency     = "20ms"
  concurrency = 8
}
workload "w" {
  target = target.sleep.pool
  op "op" {}
}
scenario "search" {
  workload          = workload.w
  executor          = "breakpoint"
  start_rate        = 300
  step_rate         = 20
  max_rate          = 800
  ramp              = RAMP
  step_duration     = "1s"
  interval          = "500ms"
  stop_grace        = "1500ms"
  pre_allocated_vus = 16
  max_vus           = 1000
  stop_when         = latency.p99 > duration("60ms")
  recovery_rate     = 200
  recovery_timeout  = "10s"
}
`

// TestBreakpointFindsSleepCapacity: the search finds the capacity of a
// target with a known concurrency limit within 10%, stepping and ramping,
// and then sees the target recover at half its capacity.
//
// The sleep target's capacity is real time: on a busy machine its timers
// fire late and each call holds its slot longer. So this test is not
// parallel (it runs before the package's parallel tests start) and its two
// searches run one after the other.
func TestBreakpointFindsSleepCapacity(t *testing.T) {
	const capacity = 400.0
	for _, ramp := range []bool{false, true} {
		name := "steps"
		if ramp {
			name = "ramp"
		}
		t.Run(name, func(t *testing.T) {
			src := strings.Replace(capacityPlan, "RAMP", map[bool]string{false: "false", true: "true"}[ramp], 1)
			res := run(t, loadPlan(t, src), Options{})
			r := res.Scenarios[0]
			b := r.Breakpoint
			if b == nil {
				t.Fatal("no breakpoint result")
			}
			t.Logf("%s; ops=%d elapsed=%v dropped=%d", b, r.Total.Ops, r.Elapsed, r.Dropped)
			for _, st := range b.Steps {
				t.Logf("  %-8s rate=%6.1f %v-%v ops=%d p99=%v failed=%d/%d", st.Phase, st.Rate, st.Start, st.End, st.Ops, st.P99, st.Failed, st.Intervals)
			}
			if !b.Broke || b.Reason != ReasonCondition {
				t.Fatalf("search did not break on the condition: %s", b)
			}
			if math.Abs(b.BreakingPoint-capacity) > 0.1*capacity {
				t.Errorf("breaking point %.1f/s, want within 10%% of the capacity %.0f/s", b.BreakingPoint, capacity)
			}
			if !b.Recovered {
				t.Errorf("not recovered at %v/s, half the capacity", b.RecoveryRate)
			}
			if v, ok := r.Metric("breaking_point"); !ok || v != b.BreakingPoint {
				t.Errorf("metric breaking_point = %v, %v", v, ok)
			}
			if v, ok := r.Metric("recovery_time"); !ok || v != ms(b.RecoveryTime) {
				t.Errorf("metric recovery_time = %v, %v", v, ok)
			}
			if v, ok := r.Metric("stability"); !ok || v < 0 || v > 1 {
				t.Errorf("metric stability = %v, %v", v, ok)
			}
			if len(b.Steps) < 2 || b.Steps[len(b.Steps)-1].Phase != phaseRecovery {
				t.Errorf("steps = %+v, want search rows then a recovery row", b.Steps)
			}
		})
	}
}

// TestBreakpointOutcomes covers the other ways a search ends.
func TestBreakpointOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		// check inspects the result.
		check func(t *testing.T, r *ScenarioResult)
	}{
		{
			// A noop target never reaches 1 s of latency: the search
			// holds max_rate, with nothing to recover from.
			name: "max_rate holds",
			src: `
plan "p" {}
target "noop" "n" {}
workload "w" {
  target = target.noop.n
  op "op" {}
}
scenario "s" {
  workload = workload.w
  executor = "breakpoint"
  step_rate = 100
  max_rate = 300
  step_duration = "300ms"
  interval = "100ms"
  pre_allocated_vus = 2
  max_vus = 100
  stop_when = latency.p99 > duration("1s")
  assert { condition = recovery_time == 0 && breaking_point == 300 }
}`,
			check: func(t *testing.T, r *ScenarioResult) {
				b := r.Breakpoint
				if b.Broke || b.Reason != ReasonMaxRate || b.BreakingPoint != 300 || !b.Recovered || b.RecoveryTime != 0 {
					t.Errorf("got %s, want max_rate held", b)
				}
				if b.Stability != 1 || b.Intervals == 0 {
					t.Errorf("stability %v over %d intervals, want 1", b.Stability, b.Intervals)
				}
				if len(b.Steps) != 3 {
					t.Errorf("%d step rows, want 3 (100, 200, 300)", len(b.Steps))
				}
				if r.Elapsed > 5*time.Second {
					t.Errorf("elapsed %v: the search did not end after its last step", r.Elapsed)
				}
				if !r.Assertions[0].Passed {
					t.Errorf("assertion failed: %+v", r.Assertions[0])
				}
			},
		},
		{
			// 2 slots of 20ms: capacity 100/s. The search starts above it,
			// and the recovery rate is above it too, so it never recovers.
			name: "no recovery",
			src: `
plan "p" {}
target "sleep" "s" {
  latency     = "20ms"
  concurrency = 2
}
workload "w" {
  target = target.sleep.s
  op "op" {}
}
scenario "s" {
  workload = workload.w
  executor = "breakpoint"
  start_rate = 200
  step_rate = 50
  max_rate = 1000
  step_duration = "1s"
  interval = "250ms"
  stop_grace = "500ms"
  recovery_rate = 150
  recovery_timeout = "1s"
  pre_allocated_vus = 4
  max_vus = 2000
  stop_when = latency.p99 > duration("60ms")
  assert { condition = recovery_time < duration("10s") }
}`,
			check: func(t *testing.T, r *ScenarioResult) {
				b := r.Breakpoint
				if !b.Broke || b.BreakingPoint != 0 || b.Recovered {
					t.Errorf("got %s, want a break in the first step and no recovery", b)
				}
				if _, ok := r.Metric("recovery_time"); ok {
					t.Error("recovery_time has a value without a recovery")
				}
				a := r.Assertions[0]
				if a.Passed || !strings.Contains(a.Err, "did not clear within recovery_timeout") {
					t.Errorf("assertion = %+v, want a failure saying the condition did not clear", a)
				}
			},
		},
		{
			// 4 workers of 20ms can start 200 calls/s. Past that the
			// runner drops iterations, which ends the search even though
			// stop_when (10s) never holds.
			name: "dropped",
			src: `
plan "p" {}
target "sleep" "s" {
  latency = "20ms"
}
workload "w" {
  target = target.sleep.s
  op "op" {}
}
scenario "s" {
  workload = workload.w
  executor = "breakpoint"
  start_rate = 100
  step_rate = 50
  max_rate = 1000
  step_duration = "500ms"
  interval = "250ms"
  stop_grace = "250ms"
  recovery_rate = 100
  recovery_timeout = "3s"
  pre_allocated_vus = 4
  max_vus = 4
  stop_when = latency.p99 > duration("10s")
}`,
			check: func(t *testing.T, r *ScenarioResult) {
				b := r.Breakpoint
				if !b.Broke || b.Reason != ReasonDropped {
					t.Errorf("got %s, want a break on dropped iterations", b)
				}
				if b.BreakingPoint > 250 {
					t.Errorf("breaking point %v, want at most the runner's 200/s and one step", b.BreakingPoint)
				}
				if r.Flagged() {
					t.Error("a breakpoint search that drops past its breaking point is flagged")
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, loadPlan(t, tc.src), Options{})
			r := res.Scenarios[0]
			if r.Breakpoint == nil {
				t.Fatal("no breakpoint result")
			}
			t.Logf("%s", r.Breakpoint)
			tc.check(t, r)
		})
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
