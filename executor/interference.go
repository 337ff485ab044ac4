package executor

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
)

// # Verdicts on a shared machine
//
// A failed assertion is INCONCLUSIVE, not FAIL, only when perfplan measured
// interference it can name and the failure is within what that
// interference explains. Interference is judged per snapshot interval: an
// interval is disturbed when, over it,
//
//   - other processes used at least otherMin percent of a core while the
//     machine's CPUs were at least busyShare busy (a neighbour competed
//     for the CPU);
//   - the hypervisor stole at least stealMin percent of a core;
//   - the cgroup's CPU quota throttled it for at least throttleMin percent
//     of the interval;
//   - every non-idle task waited for memory or I/O (pressure "full") for at
//     least fullMin percent of it;
//   - the probe (see pauseProbe) woke late by at least the pause floor, or a
//     GC stop-the-world pause was that long: the process could not run.
//
// A failed assertion is then inconclusive when either rule holds:
//
//  1. Leave out the disturbed intervals: the condition holds on the figures
//     of the undisturbed ones alone, which are at least half of the
//     scenario's intervals and hold at least cleanMinOps operations, and
//     those figures show no stall of their own.
//
//  2. Allow for the measured interference: the condition holds once every
//     latency figure it reads is lowered by the probe's lateness at the
//     same statistic (p99 by the probe's p99, max by its max), and the
//     dropped iterations by those due while the probe saw the process
//     paused (the offered rate times the total pause time).
//
//  3. The machine held the runner back: in an open model whose runner was
//     saturated while the machine was measured busy (not by perfplan's own
//     CPU), the condition holds on the service time (from each operation's
//     actual start) in place of latency.
//
// Anything else fails: a 20ms backend gated at 10ms fails beside any
// neighbour, because no interval is clean and the probe is never late by
// 10ms at the median. A real FAIL anywhere in a run wins over an
// inconclusive one.
const (
	otherMin    = 25.0 // percent of one core
	busyShare   = 0.85
	stealMin    = 10.0 // percent of one core
	throttleMin = 1.0  // percent of the interval
	fullMin     = 10.0 // percent of the interval
	cleanMinOps = 100
)

// Verdicts of an assertion, a scenario or a run.
const (
	VerdictPass         = "pass"
	VerdictFail         = "fail"
	VerdictInconclusive = "inconclusive"
)

// Interference is what perfplan measured of interference over a scenario:
// the machine's neighbours, the cgroup's quota, and pauses of its own
// process. It is nil when resources are not sampled (Options.NoResources).
type Interference struct {
	// Intervals is the number of snapshot intervals judged; Disturbed of
	// them were disturbed (see the package's verdict rules).
	Intervals int `json:"intervals"`
	Disturbed int `json:"disturbed"`
	// Reasons name what disturbed them, each with the number of
	// intervals and the worst figure.
	Reasons []string `json:"reasons,omitempty"`
	// Jitter is the machine's wake-up lateness measured at the start of
	// the run (the 90th percentile of 50 wake-ups of 1ms), and PauseFloor
	// the lateness from which the probe counts a pause: the larger of
	// 2ms and 4 times Jitter.
	Jitter     time.Duration `json:"jitter_ns"`
	PauseFloor time.Duration `json:"pause_floor_ns"`
	// WakeP50, WakeP99 and WakeMax are the probe's wake-up lateness over
	// the scenario; Pauses counts its wake-ups late by at least
	// PauseFloor, and PauseTotal adds up how late they were.
	WakeP50    time.Duration `json:"wake_p50_ns"`
	WakeP99    time.Duration `json:"wake_p99_ns"`
	WakeMax    time.Duration `json:"wake_max_ns"`
	Pauses     int           `json:"pauses"`
	PauseTotal time.Duration `json:"pause_total_ns"`
	// WakeDrift is the Theil–Sen slope of the probe's per-interval p99
	// lateness in milliseconds per minute, as soak.p99_drift is of the
	// operations': how much of a latency drift the machine made.
	WakeDrift float64 `json:"wake_drift_ms_per_min,omitempty"`
	// Attributed counts the closed model's long operations (at least the
	// stall threshold) that a pause of the process or the machine
	// explains, and AttributedMax is the longest of them: they are not
	// treated as the target's stall.
	Attributed    int64         `json:"attributed_stalls,omitempty"`
	AttributedMax time.Duration `json:"attributed_max_ns,omitempty"`

	// wake is the probe's lateness, statistic by statistic (rule 2).
	wake LatencyStats
	// clean is the scenario's figures over its undisturbed intervals;
	// nil when none was disturbed or none was left.
	clean *ScenarioResult
	// windows are the probe's pause windows.
	windows []pauseWindow
	// machine: the machine (a neighbour, steal, the quota, memory or I/O
	// stalls), not perfplan's own CPU, disturbed an interval.
	machine bool
	// reasonKinds is the kind of disturbance of each of Reasons.
	reasonKinds []string
}

// Share returns the share of the intervals that were disturbed.
func (in *Interference) Share() float64 {
	if in == nil || in.Intervals == 0 {
		return 0
	}
	return float64(in.Disturbed) / float64(in.Intervals)
}

// Measured reports whether any interference was measured.
func (in *Interference) Measured() bool {
	return in != nil && (in.Disturbed > 0 || in.Pauses > 0 || in.Attributed > 0)
}

// Metric resolves an interference.* assertion metric.
func (in *Interference) Metric(name string) (float64, bool) {
	if in == nil {
		return 0, false
	}
	switch name {
	case "interference.disturbed":
		return in.Share(), true
	case "interference.pause_max":
		return ms(in.WakeMax), true
	case "interference.pause_total":
		return ms(in.PauseTotal), true
	}
	return 0, false
}

// disturbance accumulates one kind of disturbance over the intervals.
type disturbance struct {
	n     int
	worst float64
}

// interferenceJudge judges a scenario's intervals; it belongs to the
// collector.
type interferenceJudge struct {
	mach    *machineSampler
	probe   *pauseProbe
	jitter  time.Duration
	cores   float64
	n, bad  int
	kinds   map[string]*disturbance
	clean   *metrics.View
	cleanT  time.Duration
	cleanDr int64
	// cleanSeries has a point per undisturbed interval, for the soak
	// figures over those intervals alone.
	cleanSeries []SeriesPoint
	// wakeSeries is the probe's p99 lateness per interval, whose drift
	// allows for a p99 drift the machine made (rule 2).
	wakeSeries []SeriesPoint
	lastWake   LatencyStats // the probe's lateness over the last interval
	// lastMachine: the machine (not perfplan's own CPU) disturbed the
	// last interval.
	lastMachine bool
	dropped     int64 // the scenario's drops at the previous judgement
}

// newInterferenceJudge returns a judge whose probe's base the collector
// sets when the scenario's clock has started.
func newInterferenceJudge(jitter time.Duration, cores int) *interferenceJudge {
	return &interferenceJudge{
		mach:   newMachineSampler(),
		probe:  newPauseProbe(time.Time{}, jitterFactor*jitter),
		jitter: jitter,
		cores:  float64(cores),
		kinds:  map[string]*disturbance{},
	}
}

func (j *interferenceJudge) note(kind string, v float64) {
	d := j.kinds[kind]
	if d == nil {
		d = &disturbance{}
		j.kinds[kind] = d
	}
	d.n++
	d.worst = max(d.worst, v)
}

// judge judges the interval of length length just collected in iv: m is the
// machine over it, ownCPU the process's CPU (percent of one core) and
// gcMax its longest GC pause. An undisturbed interval's figures join the
// clean view. It returns the machine figures.
func (j *interferenceJudge) judge(iv *metrics.View, newView func() *metrics.View, at, length time.Duration, dropped int64, ownCPU float64, gcMax time.Duration) *Machine {
	m := j.mach.sample()
	pf := j.probe.take()
	j.lastWake = pf.wake
	j.wakeSeries = append(j.wakeSeries, SeriesPoint{Offset: at, P99: pf.P99})
	j.classify(m, pf, ownCPU, gcMax, func() {
		if iv == nil {
			return
		}
		if j.clean == nil {
			j.clean = newView()
		}
		j.clean.Merge(iv)
		j.cleanT += length
		ops, errs := iv.Totals()
		p := SeriesPoint{Offset: at, Ops: ops, Errors: errs, P99: time.Duration(metrics.Summarize(iv.MergedLat()).P99)}
		if length > 0 {
			p.Throughput = float64(ops) / length.Seconds()
		}
		j.cleanSeries = append(j.cleanSeries, p)
	}, dropped)
	return m
}

// classify judges one interval from its machine figures m, the probe's
// lateness pf, the process's CPU and its longest GC pause; clean is called
// when the interval was not disturbed. dropped is the scenario's drops so
// far.
func (j *interferenceJudge) classify(m *Machine, pf probeFigures, ownCPU float64, gcMax time.Duration, clean func(), dropped int64) {
	j.n++
	bad := false
	mark := func(kind string, v float64) { j.note(kind, v); bad = true }
	if m.OtherCPU != nil && *m.OtherCPU >= otherMin && ownCPU+*m.OtherCPU >= busyShare*100*j.cores {
		mark("other", *m.OtherCPU)
	}
	if m.Steal != nil && *m.Steal >= stealMin {
		mark("steal", *m.Steal)
	}
	if m.Throttled != nil && *m.Throttled >= throttleMin {
		mark("throttled", *m.Throttled)
	}
	if m.MemoryFull != nil && *m.MemoryFull >= fullMin {
		mark("memory", *m.MemoryFull)
	}
	if m.IOFull != nil && *m.IOFull >= fullMin {
		mark("io", *m.IOFull)
	}
	if gcMax >= j.probe.floor {
		mark("gc", ms(gcMax))
	}
	// Up to here, what disturbed the interval was the machine's.
	j.lastMachine = bad
	if pf.Max >= j.probe.floor {
		// Attribute the pause: to the machine when a neighbour, steal,
		// the quota or a stall was measured in the interval, to
		// perfplan's own CPU when it used nearly every core, else to no
		// measured cause (a pause of the host, a GC).
		switch {
		case bad:
			mark("pause-machine", ms(pf.Max))
		case ownCPU >= cpuShare*100*j.cores:
			mark("pause-self", ms(pf.Max))
		default:
			mark("pause", ms(pf.Max))
		}
	}
	delta := dropped - j.dropped
	j.dropped = dropped
	if bad {
		j.bad++
		return
	}
	j.cleanDr += delta
	clean()
}

// reasons says what disturbed the intervals, and kinds the kind of
// disturbance of each reason ("other", "steal", "throttled", ...).
func (j *interferenceJudge) reasons() (out, kinds []string) {
	order := []string{"other", "steal", "throttled", "memory", "io", "pause-machine", "pause-self", "pause", "gc"}
	for _, k := range order {
		d := j.kinds[k]
		if d == nil {
			continue
		}
		var s string
		switch k {
		case "other":
			s = fmt.Sprintf("other processes used up to %.0f%% CPU of %.0f cores", d.worst, j.cores)
		case "steal":
			s = fmt.Sprintf("the hypervisor stole up to %.0f%% of a core", d.worst)
		case "throttled":
			s = fmt.Sprintf("the cgroup's CPU quota throttled up to %.0f%% of the time", d.worst)
		case "memory":
			s = fmt.Sprintf("every task waited for memory up to %.0f%% of the time", d.worst)
		case "io":
			s = fmt.Sprintf("every task waited for I/O up to %.0f%% of the time", d.worst)
		case "pause-machine":
			s = fmt.Sprintf("the process could not run for up to %s while the machine was busy", fmtDur(time.Duration(d.worst*1e6)))
		case "pause-self":
			s = fmt.Sprintf("the process could not run for up to %s while perfplan itself used nearly every core (a saturated runner)", fmtDur(time.Duration(d.worst*1e6)))
		case "pause":
			s = fmt.Sprintf("the process could not run for up to %s, no cause measured (a pause of the host or of the process)", fmtDur(time.Duration(d.worst*1e6)))
		case "gc":
			s = fmt.Sprintf("GC stopped the world for up to %s", fmtDur(time.Duration(d.worst*1e6)))
		}
		out = append(out, fmt.Sprintf("%s (%d of %d intervals)", s, d.n, j.n))
		kinds = append(kinds, k)
	}
	return out, kinds
}

// result builds the scenario's Interference; viewResult turns the clean
// view into figures, and rs are the scenario's resources, whose soak
// figures the clean view has over its own intervals.
func (j *interferenceJudge) result(viewResult func(*metrics.View, time.Duration) *ScenarioResult, rs *Resources, leakThreshold float64) *Interference {
	reasons, kinds := j.reasons()
	in := &Interference{
		Intervals:   j.n,
		Disturbed:   j.bad,
		Reasons:     reasons,
		reasonKinds: kinds,
		Jitter:      j.jitter,
		PauseFloor:  j.probe.floor,
		windows:     j.probe.windows(),
	}
	for _, k := range []string{"other", "steal", "throttled", "memory", "io", "pause-machine"} {
		in.machine = in.machine || j.kinds[k] != nil
	}
	j.probe.mu.Lock()
	in.wake = latencyStats(j.probe.all)
	j.probe.mu.Unlock()
	in.WakeP50, in.WakeP99, in.WakeMax = in.wake.P50, in.wake.P99, in.wake.Max
	if len(j.wakeSeries) >= 2 {
		in.WakeDrift = analyzeSoak(j.wakeSeries, nil, 0).P99Drift
	}
	for _, w := range in.windows {
		in.Pauses++
		in.PauseTotal += w.to - w.from
	}
	if j.bad > 0 && j.clean != nil {
		c := viewResult(j.clean, j.cleanT)
		c.Dropped = j.cleanDr
		if rs != nil {
			crs := *rs
			crs.Soak = analyzeSoak(j.cleanSeries, rs.Heap, leakThreshold)
			c.Resources = &crs
		}
		in.clean = c
	}
	return in
}

// attributeStalls removes from a closed model's long operations those that
// a pause of the process or the machine explains: an operation is the
// pause's when, without the time the probe could not run during it, it
// would have been shorter than the stall threshold, or when it is no longer
// than twice the longest wake-up lateness the probe saw (a thread the
// machine preempted while the probe ran elsewhere). It returns how many of
// the stall's operations are left to the target.
func attributeStalls(in *Interference, longs []longOp, st *Stall) (left int64) {
	if in == nil || st == nil {
		return 0
	}
	var attributed int64
	var longest time.Duration
	for _, l := range longs {
		if l.d < st.Threshold {
			continue
		}
		o := overlap(in.windows, l.end-l.d, l.end)
		if l.d-o < st.Threshold || (in.WakeMax >= in.PauseFloor && l.d <= 2*in.WakeMax) {
			attributed++
			longest = max(longest, l.d)
		}
	}
	in.Attributed, in.AttributedMax = attributed, longest
	return max(st.Count-attributed, 0)
}

// longOp is a closed-model operation of at least stallFloor: when it ended
// (an offset from the scenario's start) and how long it took.
type longOp struct{ end, d time.Duration }

// maxLongOps bounds the long operations a scenario keeps for attribution;
// those past it count as the target's.
const maxLongOps = 4096

// inconclusive returns why the failed assertion a (its condition read
// through m) is inconclusive, or "" when it fails.
func (r *ScenarioResult) inconclusive(a *plan.Assertion, m withBaseline, distrust string) string {
	in := r.Interference
	if a.Condition == nil || (!in.Measured() && r.Saturated == "") || in == nil {
		return ""
	}
	why := strings.Join(in.Reasons, "; ")
	if why := r.breakpointInconclusive(a.Condition.Refs()); why != "" {
		return why
	}
	if why == "" && r.Saturated != "" {
		why = "runner saturated: " + r.Saturated
	}
	if c := in.clean; c != nil && 2*(in.Intervals-in.Disturbed) >= in.Intervals && c.Total.Ops >= cleanMinOps &&
		detectStall(c.Total.Hist) == nil {
		cm := withBaseline{r: c, scenario: m.scenario, baseline: m.baseline}
		ok, err := a.Condition.Eval(cm)
		_, cleanDistrust := c.trustNotes(a.Condition.Refs())
		if err == nil && ok && cleanDistrust == "" {
			return fmt.Sprintf("holds in the %d of %d intervals without interference; the failure lies in the others: %s",
				in.Intervals-in.Disturbed, in.Intervals, why)
		}
	}
	if !in.Measured() {
		return ""
	}
	explained := r.explainedDrops()
	if distrust != "" && r.Dropped > explained {
		return ""
	}
	if r.Stall != nil && in.Attributed > 0 {
		// Some of the stall's long operations lay in pauses of the
		// process or the machine: the corrected view charges arrivals to
		// them too, so the allowance reads the raw figures.
		raw := *r
		raw.Stall = nil
		m.r = &raw
	}
	lagDrift := 0.0
	if IsOpen(r.Executor) && in.machineCaused() {
		lagDrift = r.lagDrift()
	}
	if ok, err := a.Condition.Eval(allowedMetrics{m: m, in: in, drops: explained, lagDrift: lagDrift}); err == nil && ok {
		return fmt.Sprintf("holds once measured interference is allowed for (wake-ups late by up to %s, p99 %s; %d pauses of the process, %s in all): %s",
			fmtDur(in.WakeMax), fmtDur(in.WakeP99), in.Pauses, fmtDur(in.PauseTotal), why)
	}
	if IsOpen(r.Executor) && r.Saturated != "" && in.machineCaused() {
		// Rule 3: the runner started iterations late because the
		// machine (not perfplan's own CPU) held it back.
		if ok, err := a.Condition.Eval(serviceMetrics{m: m, r: r}); err == nil && ok {
			return fmt.Sprintf("holds on the service time (from each operation's actual start): the runner started iterations late (%s) while %s", r.Saturated, why)
		}
	}
	return ""
}

// machineCaused reports whether the machine (a neighbour, steal, the CPU
// quota, memory or I/O stalls) disturbed any interval, as opposed to
// perfplan's own CPU or no measured cause.
func (in *Interference) machineCaused() bool { return in.machine }

// serviceMetrics reads m, with every latency figure read as the service
// time (from the actual start), schedule lag as 0, and soak.p99_drift
// lowered by the drift of the schedule lag's p99 (rule 3).
type serviceMetrics struct {
	m withBaseline
	r *ScenarioResult
}

func (s serviceMetrics) Metric(name string) (float64, bool) {
	if strings.HasPrefix(name, plan.BaselinePrefix) {
		return s.m.Metric(name)
	}
	if name == "soak.throughput_cv" && s.r.Executor == ConstantArrivalRateName && s.r.Total.ServiceTime.Max < 100*time.Millisecond {
		// With its schedule lag read as 0, an open model at a constant
		// rate whose operations take well under an interval completes
		// its rate in every interval: the variation was the lateness the
		// machine caused. (Drops are gated by dropped.)
		if _, ok := s.m.Metric(name); !ok {
			return 0, false
		}
		return 0, true
	}
	if name == "soak.p99_drift" {
		v, ok := s.m.Metric(name)
		if !ok {
			return v, ok
		}
		if d := s.r.lagDrift(); d > 0 {
			v -= d
		}
		return v, true
	}
	prefix, fam, field, ok := plan.SplitFamily(name)
	switch {
	case ok && fam.Lateness:
		// The runner's lateness reads as 0 where it was measured.
		if _, ok := s.m.Metric(name); !ok {
			return 0, false
		}
		return 0, true
	case ok && fam.WithoutLateness != "":
		return s.m.Metric(prefix + string(fam.WithoutLateness) + "." + field)
	}
	return s.m.Metric(name)
}

// explainedDrops returns the iterations of an open model that came due
// while the probe saw the process paused: the offered rate times the
// total pause time.
func (r *ScenarioResult) explainedDrops() int64 {
	in := r.Interference
	if in == nil || r.Elapsed <= 0 || !IsOpen(r.Executor) {
		return 0
	}
	rate := float64(r.Total.Ops+r.Dropped) / r.Elapsed.Seconds()
	return int64(math.Ceil(rate * in.PauseTotal.Seconds()))
}

// allowedMetrics reads m, with every latency figure lowered by the probe's
// lateness at the same statistic and dropped by the drops that pauses
// explain (rule 2).
type allowedMetrics struct {
	m     plan.Metrics
	in    *Interference
	drops int64
	// lagDrift is the drift of the schedule lag's p99 (ms per minute)
	// when the machine disturbed an open model: the part of a p99 drift
	// that is the runner's lateness.
	lagDrift float64
}

func (a allowedMetrics) Metric(name string) (float64, bool) {
	v, ok := a.m.Metric(name)
	if !ok {
		return v, ok
	}
	switch name {
	case "dropped":
		return float64(max(int64(v)-a.drops, 0)), true
	case "gc.pause_p99", "gc.pause_max":
		// A stop-the-world pause lasts as long as the OS leaves the
		// process off the CPU too: up to the longest pause the probe saw.
		// (A scenario has few GC cycles, so their p99 is about their
		// max.)
		return max(v-ms(a.in.WakeMax), 0), true
	case "soak.p99_drift":
		// The part of the drift that the probe's own lateness drifted
		// by is the machine's, and so, when the machine disturbed an
		// open model, is the part its schedule lag drifted by: what is
		// left is the service time's.
		return v - max(a.in.WakeDrift, a.lagDrift, 0), true
	}
	if _, ok := readsFamily(name); !ok {
		return v, true
	}
	dot := strings.LastIndexByte(name, '.')
	field := name[dot+1:]
	if slices.Contains([]string{"min", "stddev"}, field) {
		return v, true
	}
	allow, _ := latencyField(a.in.wake, field, 1)
	lowered := max(v-allow, 0)
	if field == "p50" {
		return lowered, true
	}
	// No figure falls below the median, itself allowed for the probe's
	// median lateness: a probe that saw few wake-ups (a short scenario)
	// has a p99 that is its max, and lowering a p99 by it must not make a
	// backend slower than the gate at its median pass.
	if p50, ok := a.m.Metric(name[:dot+1] + "p50"); ok {
		allow50, _ := latencyField(a.in.wake, "p50", 1)
		lowered = max(lowered, p50-allow50)
	}
	return lowered, true
}

// breakpointInconclusive says why an assertion of a breakpoint search that
// reads refs cannot be decided: measured interference disturbed every
// interval of the run that broke the search, or the search has no figure
// at all while interference disturbed its intervals.
func (r *ScenarioResult) breakpointInconclusive(refs []string) string {
	b, in := r.Breakpoint, r.Interference
	if b == nil || in == nil || in.Disturbed == 0 {
		return ""
	}
	why := strings.Join(in.Reasons, "; ")
	for _, ref := range refs {
		switch {
		case !slices.Contains(breakpointMetrics(), ref):
		case b.Broke && b.BrokeDisturbed:
			return "the search broke in intervals that measured interference disturbed and explains (each held once its latencies were allowed for the probe's lateness), so the breaking point may be the machine's: " + why
		case ref == "stability" && b.UnstableDisturbed:
			return "every interval that failed below the breaking point was disturbed, and measured interference explains it: " + why
		case ref == "recovery_time" && b.RecoveryDisturbed:
			return "every interval that failed during the recovery was disturbed, and measured interference explains it: " + why
		case b.Intervals == 0:
			return "no interval of the search could be judged, with interference measured: " + why
		}
	}
	return ""
}

// lagDrift is the Theil–Sen slope of the per-interval schedule lag p99, in
// milliseconds per minute (soak.p99_drift's unit).
func (r *ScenarioResult) lagDrift() float64 {
	lag := make([]SeriesPoint, len(r.Series))
	for i, p := range r.Series {
		lag[i] = SeriesPoint{Offset: p.Offset, P99: p.LagP99}
	}
	if len(lag) < 2 {
		return 0
	}
	return analyzeSoak(lag, nil, 0).P99Drift
}
