package executor

import (
	"math"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// arrivalSchedule maps an iteration index to its intended start, for the open
// models. The rate is piecewise linear in time; iteration i is due when the
// integral of the rate from the scenario's start reaches i+first. The
// schedule is computed by inverting that integral per segment, never by
// polling a clock.
//
// first follows k6, whose two arrival-rate executors differ here:
// constant-arrival-rate (and perfplan's breakpoint search) start iteration 0
// at once (first = 0) and run the iterations due strictly before the end;
// ramping-arrival-rate starts iteration 0 when one whole iteration has
// accumulated (first = 1: with start_rate 0 nothing is due at t = 0) and
// includes an iteration due exactly at the end (k6's
// RampingArrivalRateConfig.cal loops while i <= endCount).
type arrivalSchedule struct {
	segs []segment
	// total is the integral of the rate over the whole schedule.
	total float64
	end   float64 // ns
	// first is the integral at which iteration 0 falls due: 0 or 1.
	first float64
	// stride and offset stripe the schedule for an execution segment:
	// iteration i of the segment is iteration i*stride+offset of the
	// whole plan (see striped). A stride of 0 or 1 is the whole plan.
	stride, offset int64
}

// segment is one stage: the rate goes linearly from r0 to r1 (iterations per
// ns) over dur ns, starting at start ns with n0 iterations already due.
type segment struct {
	start, dur float64
	r0, r1     float64
	n0, n      float64 // iterations due before the segment, and within it
}

// newConstantSchedule returns the schedule of constant-arrival-rate.
func newConstantSchedule(rate float64, unit, dur time.Duration) *arrivalSchedule {
	return newRampingSchedule(rate, unit, []plan.Stage{{Duration: dur, Target: rate}})
}

// newArrivalRampSchedule returns the schedule of ramping-arrival-rate: the
// rate starts at startRate and ramps linearly to each stage's target over
// its duration (rates per unit), and iteration i is due when the rate's
// integral reaches i+1, as in k6 (see arrivalSchedule).
func newArrivalRampSchedule(startRate float64, unit time.Duration, stages []plan.Stage) *arrivalSchedule {
	s := newRampingSchedule(startRate, unit, stages)
	s.first = 1
	return s
}

// newRampingSchedule returns a piecewise-linear schedule whose iteration 0 is
// due at once (first = 0): the rate starts at startRate and ramps linearly
// to each stage's target over its duration. Rates are per unit. The
// breakpoint search uses it; ramping-arrival-rate uses
// newArrivalRampSchedule.
func newRampingSchedule(startRate float64, unit time.Duration, stages []plan.Stage) *arrivalSchedule {
	if unit <= 0 {
		unit = time.Second
	}
	per := 1 / float64(unit)
	s := &arrivalSchedule{}
	u0 := math.Max(startRate, 0)
	var t, n float64
	for _, st := range stages {
		d := float64(st.Duration)
		u1 := math.Max(st.Target, 0)
		r0, r1 := u0*per, u1*per
		if d <= 0 {
			u0 = u1
			continue
		}
		// Counted in the rate's own unit, so whole numbers stay exact.
		cnt := (u0 + u1) / 2 * (d / float64(unit))
		s.segs = append(s.segs, segment{start: t, dur: d, r0: r0, r1: r1, n0: n, n: cnt})
		t += d
		n += cnt
		u0 = u1
	}
	s.total, s.end = n, t
	return s
}

// count returns the number of iterations the schedule starts; for a
// segment, its stripe of them. With first = 0 they are those due in
// [0, end): the first integer not below the integral. With first = 1 they
// are those whose integral i+1 is at most the whole integral: its integer
// part.
func (s *arrivalSchedule) count() int64 {
	c := math.Ceil(s.total - 1e-9)
	if s.first > 0 {
		c = math.Floor(s.total + 1e-9)
	}
	if c < 0 {
		return 0
	}
	if s.stride > 1 {
		return plan.Segment{Index: int(s.offset), Count: int(s.stride)}.Share(int64(c))
	}
	return int64(c)
}

// duration returns the schedule's length.
func (s *arrivalSchedule) duration() time.Duration { return time.Duration(s.end) }

// at returns iteration i's intended start from the scenario's start, and false
// when the schedule does not start i (see count). cur caches the caller's segment index:
// callers ask for increasing i, so the lookup is amortised O(1).
func (s *arrivalSchedule) at(i int64, cur *int) (time.Duration, bool) {
	if s.stride > 1 {
		i = i*s.stride + s.offset
	}
	n := float64(i) + s.first
	if s.first > 0 {
		if n > s.total+1e-9 {
			return 0, false
		}
	} else if n >= s.total-1e-9 {
		return 0, false
	}
	k := *cur
	if k >= len(s.segs) || s.segs[k].n0 > n {
		k = 0
	}
	for k < len(s.segs)-1 && n >= s.segs[k].n0+s.segs[k].n-1e-9 {
		k++
	}
	*cur = k
	g := &s.segs[k]
	return time.Duration(g.start + g.offset(n-g.n0)), true
}

// offset solves n(t) = r0 t + (r1-r0) t²/(2D) = m for t in [0, D]. With
// a = (r1-r0)/(2D) and b = r0, t = 2m / (b + sqrt(b² + 4am)): this form is
// stable whether the rate rises, falls or starts at zero, where the textbook
// (-b + sqrt(...)) / 2a loses precision or divides by zero.
func (g *segment) offset(m float64) float64 {
	if m <= 0 {
		return 0
	}
	a := (g.r1 - g.r0) / (2 * g.dur)
	b := g.r0
	disc := b*b + 4*a*m
	if disc < 0 {
		disc = 0
	}
	den := b + math.Sqrt(disc)
	if den <= 0 {
		return g.dur
	}
	t := 2 * m / den
	if t > g.dur {
		t = g.dur
	}
	return t
}

// dueBy returns the integral of the rate over [0, t): how many iterations
// fall due before offset t (fractional).
func (s *arrivalSchedule) dueBy(t time.Duration) float64 {
	x := float64(t)
	if x <= 0 {
		return 0
	}
	for k := range s.segs {
		g := &s.segs[k]
		if x < g.start+g.dur {
			return g.n0 + g.integral(math.Max(x-g.start, 0))
		}
	}
	return s.total
}

// integral returns the iterations due in the first x ns of the segment.
func (g *segment) integral(x float64) float64 {
	if x >= g.dur {
		return g.n
	}
	return g.r0*x + (g.r1-g.r0)*x*x/(2*g.dur)
}

// then returns a schedule equal to s before offset at, followed by a
// constant rate (per unit) for dur. Iteration indexes due before at keep
// their intended starts, so workers that claim indexes across the change
// see one continuous schedule. A dur of zero ends the schedule at at.
func (s *arrivalSchedule) then(at time.Duration, rate float64, unit, dur time.Duration) *arrivalSchedule {
	if unit <= 0 {
		unit = time.Second
	}
	x := math.Max(float64(at), 0)
	out := &arrivalSchedule{first: s.first, stride: s.stride, offset: s.offset}
	for _, g := range s.segs {
		if g.start >= x {
			break
		}
		if end := g.start + g.dur; end > x {
			d := x - g.start
			g.n = g.integral(d) // with the segment's full slope
			g.r1 = g.r0 + (g.r1-g.r0)*d/g.dur
			g.dur = d
		}
		out.segs = append(out.segs, g)
	}
	n := s.dueBy(at)
	out.total, out.end = n, x
	if dur > 0 && rate > 0 {
		r := rate / float64(unit)
		cnt := rate * (float64(dur) / float64(unit))
		out.segs = append(out.segs, segment{start: x, dur: float64(dur), r0: r, r1: r, n0: n, n: cnt})
		out.total += cnt
		out.end += float64(dur)
	} else if dur > 0 {
		out.end += float64(dur)
	}
	return out
}

// rateAt returns the rate (iterations per ns) at offset t, starting the
// segment search at the caller's cached index k.
func (s *arrivalSchedule) rateAt(t time.Duration, k int) float64 {
	x := float64(t)
	if k < 0 || k >= len(s.segs) || s.segs[k].start > x {
		k = 0
	}
	for k < len(s.segs)-1 && x >= s.segs[k].start+s.segs[k].dur {
		k++
	}
	if k >= len(s.segs) {
		return 0
	}
	g := &s.segs[k]
	if g.dur <= 0 {
		return g.r1
	}
	f := math.Min(math.Max((x-g.start)/g.dur, 0), 1)
	return g.r0 + (g.r1-g.r0)*f
}
