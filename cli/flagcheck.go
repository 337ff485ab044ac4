package cli

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// Bounds of the numeric flags. A value outside its range is a parse error
// (exit 2), reported by the flag package with the flag's name and the range;
// NaN and ±Inf are outside every range. docs/cli.md, "Numeric flag
// ranges", lists them.
const (
	// minDurationScale and maxDurationScale bound run --duration-scale: below
	// 0.001 durations shrink to next to nothing, above 1000 a one-minute
	// plan lasts most of a day.
	minDurationScale = 0.001
	maxDurationScale = 1000
	// maxCount bounds run --count; every repetition is kept in memory and in
	// the run document.
	maxCount = 1000
	// maxRetryInconclusive bounds --retry-inconclusive.
	maxRetryInconclusive = 10
	// minProgressInterval and maxProgressInterval bound run
	// --progress-interval.
	minProgressInterval = 10 * time.Millisecond
	maxProgressInterval = 24 * time.Hour
	// minWindow and maxWindow bound history --window: E-Divisive leaves at
	// least five points on either side of a split, so a shorter window
	// never finds one, and a window's memory grows with its square.
	minWindow = 10
	maxWindow = 1000
	// maxPercent is the largest relative figure a percentage flag accepts
	// (--threshold, --min-magnitude, --critical, --high, --medium): 10000 %.
	maxPercent = 100
)

// floatRange is an interval of finite floats; minOpen and maxOpen exclude
// the bounds.
type floatRange struct {
	min, max         float64
	minOpen, maxOpen bool
}

// String writes the range in interval notation, e.g. "(0, 1]".
func (r floatRange) String() string {
	lo, hi := "[", "]"
	if r.minOpen {
		lo = "("
	}
	if r.maxOpen {
		hi = ")"
	}
	return lo + strconv.FormatFloat(r.min, 'g', -1, 64) + ", " + strconv.FormatFloat(r.max, 'g', -1, 64) + hi
}

func (r floatRange) contains(v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	if v < r.min || v > r.max {
		return false
	}
	return !(r.minOpen && v == r.min) && !(r.maxOpen && v == r.max)
}

// floatFlag is a float64 flag confined to a range.
type floatFlag struct {
	v *float64
	r floatRange
}

func (f *floatFlag) String() string {
	if f == nil || f.v == nil {
		return ""
	}
	return strconv.FormatFloat(*f.v, 'g', -1, 64)
}

func (f *floatFlag) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("not a number; want a number in %s", f.r)
	}
	if !f.r.contains(v) {
		return fmt.Errorf("out of range; want a finite number in %s", f.r)
	}
	*f.v = v
	return nil
}

// intRange is a closed interval of integers.
type intRange struct{ min, max int }

// String writes the range in interval notation, e.g. "[1, 1000]", or
// "at least 0" when it has no upper bound.
func (r intRange) String() string {
	if r.max == math.MaxInt {
		return "at least " + strconv.Itoa(r.min)
	}
	return "[" + strconv.Itoa(r.min) + ", " + strconv.Itoa(r.max) + "]"
}

// intFlag is an int flag confined to a range.
type intFlag struct {
	v *int
	r intRange
}

func (f *intFlag) String() string {
	if f == nil || f.v == nil {
		return ""
	}
	return strconv.Itoa(*f.v)
}

func (f *intFlag) Set(s string) error {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("not an integer; want an integer %s", f.r.phrase())
	}
	if err != nil || v < f.r.min || v > f.r.max {
		return fmt.Errorf("out of range; want an integer %s", f.r.phrase())
	}
	*f.v = v
	return nil
}

func (r intRange) phrase() string {
	if r.max == math.MaxInt {
		return r.String()
	}
	return "in " + r.String()
}

// durationRange is a closed interval of durations.
type durationRange struct{ min, max time.Duration }

func (r durationRange) String() string {
	return "[" + shortDuration(r.min) + ", " + shortDuration(r.max) + "]"
}

// shortDuration formats d without trailing zero units: "24h", not "24h0m0s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// durationFlag is a time.Duration flag confined to a range.
type durationFlag struct {
	v *time.Duration
	r durationRange
}

func (f *durationFlag) String() string {
	if f == nil || f.v == nil {
		return ""
	}
	return f.v.String()
}

func (f *durationFlag) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("not a duration such as 5s; want a duration in %s", f.r)
	}
	if v < f.r.min || v > f.r.max {
		return fmt.Errorf("out of range; want a duration in %s", f.r)
	}
	*f.v = v
	return nil
}

// float64Var defines a float64 flag whose values must lie in r; the range is
// added to the usage text.
func float64Var(fs *flag.FlagSet, p *float64, name string, value float64, r floatRange, usage string) {
	*p = value
	fs.Var(&floatFlag{p, r}, name, usage+" (in "+r.String()+")")
}

// intVar defines an int flag whose values must lie in r; the range is added
// to the usage text.
func intVar(fs *flag.FlagSet, p *int, name string, value int, r intRange, usage string) {
	*p = value
	fs.Var(&intFlag{p, r}, name, usage+" ("+r.phrase()+")")
}

// durationVar defines a time.Duration flag whose values must lie in r; the
// range is added to the usage text.
func durationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, r durationRange, usage string) {
	*p = value
	fs.Var(&durationFlag{p, r}, name, usage+" (in "+r.String()+")")
}

// checkCutoffs checks that compare's severity cut-offs rise from --medium
// through --high to --critical.
func checkCutoffs(medium, high, critical float64) error {
	if medium <= high && high <= critical {
		return nil
	}
	return fmt.Errorf("severity cut-offs must rise: --medium %s ≤ --high %s ≤ --critical %s does not hold",
		percentFlag{&medium}, percentFlag{&high}, percentFlag{&critical})
}

// checkScaledDurations reports a scenario whose durations, multiplied by
// scale (--duration-scale, --quick) and added up, no longer fit a
// time.Duration (about 292 years): the arithmetic would overflow and the
// run would not end when the plan says.
func checkScaledDurations(plans []*plan.Plan, scale float64) error {
	for _, p := range plans {
		for _, sc := range p.Scenarios {
			total := float64(sc.StartTime) + float64(sc.GracefulStop)
			if sc.Config != nil {
				total += float64(sc.Config.Longest())
			}
			for _, ev := range sc.Events {
				total = math.Max(total, float64(ev.At))
			}
			for _, a := range sc.Asserts {
				total += float64(a.AbortGrace)
			}
			if total*scale >= math.MaxInt64 {
				return fmt.Errorf("--duration-scale %g: scenario %q of plan %s (%s) would last longer than perfplan can time (about 292 years)",
					scale, sc.Name, p.Name, p.File)
			}
		}
	}
	return nil
}
