package executor

import (
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
)

// When a figure cannot be trusted, the result says so. Three cases:
//
//   - Omitted work, open models: iterations dropped because every worker
//     up to max_vus was busy. Each counts in latency with its lateness when
//     it was dropped, a lower bound of its latency, so the percentiles are
//     lower bounds; a latency assertion fails on them unless the scenario
//     sets allow_omitted.
//   - A stall, closed models: an operation of at least stallFactor times the
//     median and at least stallFloor. (Below 10ms, a single slow operation
//     on a shared machine is mostly the Go scheduler's 10ms time slice or
//     the host's; the stalls that matter, a frozen dependency, a lock, a
//     long collection, last longer.) A closed loop sends nothing while its
//     workers wait, so its raw latencies hide the stall from every
//     percentile but the top ones. Latency assertions then read the view
//     corrected for coordinated omission (HdrHistogram's
//     RecordCorrectedValue with the median as the expected interval), unless
//     the scenario sets allow_omitted.
//   - A saturated runner: in an open model, a schedule lag p99 of at least
//     lagFloor and lagShare of the latency p99 (the runner started
//     iterations late: on a shared CPU that lateness is the target's
//     queueing too, but it may also be the runner's), or a process CPU of
//     at least cpuShare of the cores it may use. A closed model that
//     stalled while the CPU was saturated is marked saturated rather than
//     corrected: with more busy workers than cores, a long operation may be
//     the Go scheduler's time slice, and a correction would be nonsense.
//     Saturation is reported, not failed. A breakpoint search is not
//     assessed: it overloads the target on purpose, and its own intervals
//     fail on dropped iterations and on late starts.
const (
	stallFactor = 50
	stallFloor  = 10 * time.Millisecond
	lagFloor    = time.Millisecond
	lagShare    = 0.1
	cpuShare    = 0.9
	// correctBudget bounds the values RecordCorrectedValue may add: about a
	// second of CPU.
	correctBudget = 50_000_000
)

// assess marks r's figures that cannot be trusted as they stand: a stall of
// a closed model (with its corrected view), a saturated runner.
func assess(r *ScenarioResult, sc *plan.Scenario) {
	r.AllowOmitted = sc.AllowOmitted
	cpuSaturated, cpu := false, ""
	if r.Resources != nil {
		cores := float64(min(runtime.GOMAXPROCS(0), runtime.NumCPU()))
		if r.Resources.CPUPercent >= cpuShare*100*cores {
			cpuSaturated = true
			cpu = fmt.Sprintf("CPU %.0f%% of %.0f cores", r.Resources.CPUPercent, cores)
		}
	}
	if r.Executor == BreakpointName {
		// The search overloads the target on purpose; its intervals fail
		// on drops and on late starts (charged to latency), and its
		// tables say why it stopped.
		return
	}
	if IsOpen(r.Executor) {
		lag, lat := r.Total.ScheduleLag.P99, r.Total.Latency.P99
		floor := lagFloor
		if in := r.Interference; in != nil {
			// Below the machine's own pause floor (from its calibrated
			// wake-up jitter) and twice the lateness the probe saw at
			// p99 during the scenario (the scheduler's delay for any
			// goroutine that wakes while the cores are busy), lateness is
			// the timer's and the scheduler's ordinary jitter, not a
			// runner that cannot keep up.
			floor = max(floor, in.PauseFloor, 2*in.WakeP99)
		}
		var why []string
		// Up to one time slice of the Go scheduler (sliceLag), lateness
		// that does not grow over the scenario is ordinary time slicing
		// on busy cores; beyond it, or growing, the runner is not
		// keeping its schedule.
		if r.Total.Ops > 0 && lag >= floor && float64(lag) >= lagShare*float64(lat) && (lag >= sliceLag || lagGrows(r.Series)) {
			why = append(why, "schedule lag p99 "+fmtDur(lag))
		}
		if cpuSaturated {
			why = append(why, cpu)
		}
		if len(why) > 0 {
			r.Saturated = strings.Join(why, ", ") + ": iterations started late; " + saturationCause(r, cpuSaturated)
		}
		return
	}
	st := detectStall(r.Total.Hist)
	if st == nil {
		return
	}
	if left := attributeStalls(r.Interference, r.longs, st); r.Interference != nil && left == 0 {
		// Every long operation lay in a pause of the process or the
		// machine: not the target's stall, and no correction.
		return
	}
	if cpuSaturated {
		r.Saturated = fmt.Sprintf("%s with an operation of %s (%.0f× the median): with more busy workers than cores this may be the scheduler's time slice, so no coordinated-omission correction is made; use at most as many workers as cores for latency figures",
			cpu, fmtDur(st.Longest), float64(st.Longest)/float64(max(st.Interval, 1)))
		return
	}
	r.Stall = st
	budget := int64(correctBudget)
	for i := range r.Ops {
		r.Ops[i].Corrected = corrected(r.Ops[i].Hist, st.Interval, &budget)
	}
	if len(r.Ops) == 1 {
		r.Total.Corrected = r.Ops[0].Corrected
	} else {
		r.Total.Corrected = corrected(r.Total.Hist, st.Interval, &budget)
	}
}

// sliceLag is the Go scheduler's time slice: a goroutine that wakes while
// every P runs another waits up to about this long (sysmon preempts after
// 10ms).
const sliceLag = 10 * time.Millisecond

// lagGrows reports whether the schedule lag grew over the series: the
// median lag p99 of its last third is at least twice its first third's (a
// queue building up), as it does when the arrivals outrun the runner.
func lagGrows(series []SeriesPoint) bool {
	n := len(series) / 3
	if n == 0 {
		return false
	}
	med := func(ps []SeriesPoint) time.Duration {
		xs := make([]time.Duration, len(ps))
		for i, p := range ps {
			xs[i] = p.LagP99
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	first, last := med(series[:n]), med(series[len(series)-n:])
	return last >= 2*first && last > 0
}

// saturationCause names the cause of a saturated open model, from what was
// measured, with the advice that matches it.
func saturationCause(r *ScenarioResult, cpuSaturated bool) string {
	var causes []string
	if in := r.Interference; in != nil {
		for i, kind := range in.reasonKinds {
			reason := in.Reasons[i]
			switch kind {
			case "other":
				causes = append(causes, "a neighbour: "+reason+"; rerun on a quieter machine, or compare two variants side by side")
			case "throttled":
				causes = append(causes, "the CPU quota: "+reason+"; raise the container's CPU limit")
			case "steal":
				causes = append(causes, "the host: "+reason)
			}
		}
	}
	if cpuSaturated {
		if r.targetKind != nil && r.targetKind.Name != "http" {
			causes = append(causes, "perfplan's own CPU: the in-process target competes with the runner for the cores; lower the rate, give the runner more cores, or move the target out of process")
		} else {
			causes = append(causes, "perfplan's own CPU: lower the rate or give the runner more cores")
		}
	}
	if len(causes) == 0 {
		return "lower the rate or give the runner more cores"
	}
	return strings.Join(causes, "; ")
}

// detectStall finds a closed-model stall in h: an operation of at least
// stallFactor times the median and at least stallFloor.
func detectStall(h *hdrhistogram.Histogram) *Stall {
	if h == nil || h.TotalCount() == 0 {
		return nil
	}
	p50 := time.Duration(h.ValueAtQuantile(50))
	longest := time.Duration(h.Max())
	threshold := max(stallFactor*p50, stallFloor)
	if longest < threshold {
		return nil
	}
	var n int64
	for _, b := range h.Distribution() {
		if b.Count > 0 && time.Duration(b.From) >= threshold {
			n += b.Count
		}
	}
	return &Stall{Longest: longest, Interval: max(p50, 1), Count: max(n, 1), Threshold: threshold}
}

// corrected returns h's latency summary corrected for coordinated omission
// with the expected interval, as HdrHistogram's RecordCorrectedValue does
// for each recorded value: a value v adds v-interval, v-2×interval, … down
// to interval. budget bounds the values added over all calls; past it, the
// remaining values are added as a bulk equivalent (RecordValues per value,
// counted by how many of the added values fall in each histogram bucket).
func corrected(h *hdrhistogram.Histogram, interval time.Duration, budget *int64) *LatencyStats {
	if h == nil || h.TotalCount() == 0 {
		return nil
	}
	iv := int64(max(interval, 1))
	c := metrics.NewHist()
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		v := b.To // the value HdrHistogram iterates to
		if v < 2*iv {
			_ = c.RecordValues(v, b.Count)
			continue
		}
		added := b.Count * (v / iv)
		if added <= *budget {
			*budget -= added
			for range b.Count {
				_ = c.RecordCorrectedValue(v, iv)
			}
			continue
		}
		_ = c.RecordValues(v, b.Count)
		bulkCorrect(c, v, iv, b.Count)
	}
	st := latencyStats(c)
	return &st
}

// bulkCorrect adds to c, count times over, the values v-iv, v-2iv, … down to
// iv, bucket by bucket rather than one by one.
func bulkCorrect(c *hdrhistogram.Histogram, v, iv, count int64) {
	// k runs from 1 while v-k*iv >= iv.
	kmax := (v - iv) / iv
	for k := int64(1); k <= kmax; {
		x := v - k*iv
		lo := lowestEquivalent(x)
		// Every k' >= k with v-k'*iv >= lo lands in x's bucket.
		last := min((v-lo)/iv, kmax)
		n := last - k + 1
		_ = c.RecordValues(x, n*count)
		k = last + 1
	}
}

// lowestEquivalent returns the smallest value that shares x's bucket in a
// histogram of metrics.HistDigits (3) significant digits from 1ns: buckets
// are 1ns wide up to 2047ns and double in width with every power of two
// above (HdrHistogram's layout: 2048 sub-buckets, half of them per
// doubling).
func lowestEquivalent(x int64) int64 {
	shift := max(bits.Len64(uint64(x))-11, 0)
	return x >> shift << shift
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	case d >= time.Microsecond:
		return fmt.Sprintf("%.1fµs", float64(d)/1e3)
	}
	return fmt.Sprintf("%dns", int64(d))
}
