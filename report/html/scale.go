package html

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// scale is an axis' range, linear or log10, and the chartdraw Range that
// maps it to pixels. chartdraw sets a range's bounds from its ticks; a
// scale keeps the bounds it was given (SetMin and SetMax do nothing), so
// that the x axis runs exactly from the first value to the last.
type scale struct {
	min, max float64
	log      bool
	domain   int
}

// IsZero implements chartdraw.Range.
func (s *scale) IsZero() bool { return false }

// GetMin implements chartdraw.Range.
func (s *scale) GetMin() float64 { return s.min }

// SetMin implements chartdraw.Range; the scale keeps its bounds.
func (s *scale) SetMin(float64) {}

// GetMax implements chartdraw.Range.
func (s *scale) GetMax() float64 { return s.max }

// SetMax implements chartdraw.Range; the scale keeps its bounds.
func (s *scale) SetMax(float64) {}

// GetDelta implements chartdraw.Range.
func (s *scale) GetDelta() float64 { return s.max - s.min }

// GetDomain implements chartdraw.Range.
func (s *scale) GetDomain() int { return s.domain }

// SetDomain implements chartdraw.Range.
func (s *scale) SetDomain(d int) { s.domain = d }

// IsDescending implements chartdraw.Range.
func (s *scale) IsDescending() bool { return false }

// String implements chartdraw.Range.
func (s *scale) String() string { return fmt.Sprintf("scale [%g,%g] log=%v", s.min, s.max, s.log) }

// frac is v's position along the scale, 0 at min and 1 at max.
func (s *scale) frac(v float64) float64 {
	if s.log {
		return (math.Log10(v) - math.Log10(s.min)) / (math.Log10(s.max) - math.Log10(s.min))
	}
	return (v - s.min) / (s.max - s.min)
}

// Translate implements chartdraw.Range: v's offset in pixels from the
// axis' start.
func (s *scale) Translate(v float64) int {
	return int(math.Round(s.frac(v) * float64(s.domain)))
}

// drawable reports whether v has a place on the scale.
func (s *scale) drawable(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && (!s.log || v > 0)
}

// tick is a labelled value of an axis.
type tick struct {
	v    float64
	text string
}

// axisRange returns the range of an axis for its values: a log axis snaps
// to whole decades; a linear one pads by 5% (or, with zero, keeps 0 and
// leaves 5% above the largest value); exact (the x axis) runs from the
// first value to the last.
func axisRange(a Axis, values []float64, exact bool) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) || (a.Log && v <= 0) {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	switch {
	case a.Log && lo > hi:
		return 1, 10
	case a.Log:
		lo = math.Pow(10, math.Floor(math.Log10(lo)+1e-9))
		hi = math.Pow(10, math.Ceil(math.Log10(hi)-1e-9))
		if hi <= lo {
			hi = lo * 10
		}
		return lo, hi
	case lo > hi:
		return 0, 1
	case exact && lo < hi:
		return lo, hi
	case exact && lo > 0:
		return 0, 2 * lo
	case exact && lo < 0:
		return 2 * lo, 0
	case exact:
		return -1, 1
	case a.Zero:
		hi = hi * 1.05
		if hi <= 0 {
			hi = 1
		}
		return math.Min(0, lo), hi
	case lo == hi:
		d := math.Abs(lo) * 0.1
		if d == 0 {
			d = 1
		}
		return lo - d, hi + d
	}
	pad := (hi - lo) * 0.05
	return lo - pad, hi + pad
}

// stepBase is the base an axis' steps are multiples of powers of: 1024
// for bytes (ticks at whole KiB, MiB...), 60 for seconds (whole minutes),
// otherwise 0 (powers of ten only).
func stepBase(unit string) float64 {
	switch unit {
	case "B", "B/s", "B/min":
		return 1024
	case "s":
		return 60
	}
	return 0
}

// niceAtLeast returns the smallest nice step ≥ raw: 1, 2, 2.5 or 5 times a
// power of ten, or with a base and values reaching it (mag), times the
// power of the base the labels are written in.
func niceAtLeast(raw, base, mag float64) float64 {
	unit, from := 1.0, base
	if base == 60 {
		from = 120 // seconds turn into minutes past two minutes
	}
	if base > 0 && mag >= from {
		unit = math.Pow(base, math.Floor(math.Log(mag)/math.Log(base)+1e-9))
		raw /= unit
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		// Not 0.25 or 0.025: the formats round them.
		if m == 2.5 && p < 1 {
			continue
		}
		if m*p >= raw*(1-1e-9) {
			return tidy(m*p) * unit
		}
	}
	return 10 * p * unit
}

// tidy rounds away the float noise of k × step.
func tidy(v float64) float64 {
	t, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	if err != nil {
		return v
	}
	return t
}

// textWidth estimates the width in pixels of a tick label at the charts'
// 11px font.
func textWidth(s string) float64 {
	return 6.2 * float64(utf8.RuneCountInString(s))
}

// fits reports whether labelled ticks along length pixels neither repeat
// a label nor overlap: along a vertical axis they need 16px each, along a
// horizontal one the half widths of two neighbours and a gap.
func fits(ts []tick, s *scale, length float64, vertical bool) bool {
	for i := 1; i < len(ts); i++ {
		if ts[i].text == ts[i-1].text {
			return false
		}
		gap := (s.frac(ts[i].v) - s.frac(ts[i-1].v)) * length
		need := 16.0
		if !vertical {
			need = (textWidth(ts[i].text)+textWidth(ts[i-1].text))/2 + 14
		}
		if gap < need {
			return false
		}
	}
	return true
}

// linearTicks chooses a linear axis' ticks: the densest nice step whose
// labels fit; run numbers ("run") take whole steps only.
func linearTicks(a Axis, s *scale, length float64, vertical bool, format Format) []tick {
	span, mag := s.max-s.min, math.Max(math.Abs(s.min), math.Abs(s.max))
	per := 50.0
	if vertical {
		per = 24
	}
	base := stepBase(a.Unit)
	step := niceAtLeast(span*per/math.Max(length, 1), base, mag)
	var ts []tick
	for range 40 {
		if a.Unit == "run" && step < 1 {
			step = 1
		}
		if a.Unit != "run" || step == math.Round(step) {
			ts = ts[:0]
			for k := math.Ceil(s.min/step - 1e-9); k*step <= s.max+step*1e-9; k++ {
				v := tidy(k*step) + 0 // no -0
				ts = append(ts, tick{v, format(a.Unit, v)})
			}
			if fits(ts, s, length, vertical) {
				break
			}
		}
		step = niceAtLeast(step*1.0001, base, mag)
	}
	return ts
}

// logTicks chooses a log axis' ticks: 1-2-5 per decade, or every decade,
// or every second decade..., the densest whose labels fit; minor are the
// unlabelled lines at 2..9 of each decade when decades are wide enough.
func logTicks(a Axis, s *scale, length float64, vertical bool, format Format) (ts []tick, minor []float64) {
	d0, d1 := int(math.Round(math.Log10(s.min))), int(math.Round(math.Log10(s.max)))
	for level := 0; level <= max(1, d1-d0); level++ {
		ts = ts[:0]
		for d := d0; d <= d1; d++ {
			p := math.Pow(10, float64(d))
			switch {
			case level == 0:
				for _, m := range []float64{1, 2, 5} {
					if m == 1 || d < d1 {
						ts = append(ts, tick{tidy(m * p), format(a.Unit, tidy(m*p))})
					}
				}
			case (d-d0)%level == 0:
				ts = append(ts, tick{p, format(a.Unit, p)})
			}
		}
		if fits(ts, s, length, vertical) {
			break
		}
	}
	if length/float64(max(1, d1-d0)) >= 60 {
		for d := d0; d < d1; d++ {
			for m := 2.0; m <= 9; m++ {
				minor = append(minor, m*math.Pow(10, float64(d)))
			}
		}
	}
	return ts, minor
}

// axisTicks returns a scale's ticks and minor grid lines; a linear y axis
// is first widened to whole ticks, so that its top and bottom lines are
// labelled.
func axisTicks(a Axis, s *scale, length float64, vertical bool, format Format) ([]tick, []float64) {
	if s.log {
		return logTicks(a, s, length, vertical, format)
	}
	ts := linearTicks(a, s, length, vertical, format)
	if vertical && len(ts) >= 2 {
		step := ts[1].v - ts[0].v
		s.min = math.Min(s.min, tidy(math.Floor(s.min/step+1e-9)*step))
		s.max = math.Max(s.max, tidy(math.Ceil(s.max/step-1e-9)*step))
		ts = linearTicks(a, s, length, vertical, format)
	}
	return ts, nil
}
