package executor

import (
	"fmt"
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// collector takes snapshots: per-interval series, progress and live abort
// assertions.
type collector struct {
	s         *scenarioRun
	c         *metrics.Collector
	interval  time.Duration
	limit     int
	series    []SeriesPoint
	stride    int
	pend      SeriesPoint
	pendN     int
	pendHist  *metrics.View
	lastAt    time.Duration
	lastPoint time.Duration      // offset of the last series point
	failing   []time.Duration    // per assertion: when it started failing, -1 if passing
	res       *resourceSampler   // nil when disabled
	judge     *interferenceJudge // nil when resources are disabled
	// lastDisturbed: the interval judged last was disturbed; lastWake
	// is the probe's lateness over it.
	lastDisturbed bool
	lastMachine   bool
	lastWake      LatencyStats
	// lagScratch is reused to merge the operations' schedule lags for
	// the series (pendLag).
	lagScratch *hdrhistogram.Histogram
	// stages holds the per-stage figures of a ramping executor; nil for
	// the others.
	stages *stageFigures
}

// stageFigures accumulates a ramping executor's figures per stage. The
// collector takes an extra collection at each boundary between stages, so
// that each collection's operations fall in one stage (to within the flush
// wait, about 20ms after the boundary); that collection is carried into
// the next regular one, so the series keeps its intervals.
type stageFigures struct {
	plan     []plan.Stage
	ends     []time.Duration // each stage's end, from the scenario's start
	views    []*metrics.View
	from, to []time.Duration // the span each stage's collections cover
	seen     []bool
	last     time.Duration // when the last collection was taken
	next     int           // the next boundary to cut at
	carry    *metrics.View // a boundary collection not yet in the series
}

func newStageFigures(s *scenarioRun) *stageFigures {
	st := s.sc.Stages()
	if len(st) == 0 {
		return nil
	}
	f := &stageFigures{plan: st, ends: make([]time.Duration, len(st)), views: make([]*metrics.View, len(st)),
		from: make([]time.Duration, len(st)), to: make([]time.Duration, len(st)), seen: make([]bool, len(st)),
		carry: s.set.NewCollector().Interval}
	var at time.Duration
	for i, x := range st {
		at += x.Duration
		f.ends[i] = at
		f.views[i] = s.set.NewCollector().Interval
	}
	return f
}

// index returns the stage running at offset t: the last one after the
// stages end (a ramp-down).
func (f *stageFigures) index(t time.Duration) int {
	for i, end := range f.ends {
		if t < end {
			return i
		}
	}
	return len(f.ends) - 1
}

// credit adds the collection iv, taken at now, to the stage that ran when
// the previous collection was taken.
func (f *stageFigures) credit(iv *metrics.View, now time.Duration) {
	i := f.index(f.last)
	f.views[i].Merge(iv)
	if !f.seen[i] {
		f.seen[i], f.from[i] = true, f.last
	}
	f.to[i] = now
	f.last = now
}

func newCollector(s *scenarioRun) *collector {
	c := &collector{
		s:        s,
		c:        s.set.NewCollector(),
		interval: s.opts.SnapshotInterval,
		limit:    s.opts.SeriesLimit,
		stride:   1,
		stages:   newStageFigures(s),
	}
	if bp, ok := s.sc.Config.(*Breakpoint); ok && bp.Interval > 0 {
		// The search evaluates stop_when once per collected interval.
		c.interval = bp.Interval
	}
	c.failing = make([]time.Duration, len(s.sc.Asserts))
	for i := range c.failing {
		c.failing[i] = -1
	}
	return c
}

// loop runs until done is closed.
func (c *collector) loop(done chan struct{}) {
	if c.judge != nil {
		c.judge.probe.base = c.s.base
		go c.judge.probe.run(done)
	}
	t := time.NewTicker(c.interval)
	defer t.Stop()
	flushWait := min(c.interval/20, 20*time.Millisecond)
	// A timer for the next boundary between stages (ramping executors).
	var cutC <-chan time.Time
	arm := func() {
		cutC = nil
		if f := c.stages; f != nil && f.next < len(f.ends)-1 {
			cut := time.NewTimer(max(f.ends[f.next]-c.s.since(), 0))
			cutC = cut.C
		}
	}
	arm()
	for {
		isCut := false
		select {
		case <-done:
			return
		case <-t.C:
		case <-cutC:
			isCut = true
		}
		c.s.gen.Add(1) // ask workers to flush
		if flushWait > 0 {
			ft := time.NewTimer(flushWait)
			select {
			case <-done:
				ft.Stop()
				return
			case <-ft.C:
			}
		}
		if isCut {
			c.cut()
			c.stages.next++
			arm()
			continue
		}
		c.tick()
	}
}

// cut takes the collection at a boundary between stages: its operations
// count in the stage that ends, and wait in the carry for the series'
// next interval.
func (c *collector) cut() {
	now := c.s.since()
	c.c.Collect()
	c.stages.credit(c.c.Interval, now)
	c.stages.carry.Merge(c.c.Interval)
}

// creditStage credits the collection just taken to its stage and adds the
// carried boundary collection to it, for the series and the progress.
func (c *collector) creditStage(now time.Duration) {
	f := c.stages
	if f == nil {
		return
	}
	f.credit(c.c.Interval, now)
	c.c.Interval.Merge(f.carry)
	f.carry.Reset()
}

// tick takes one snapshot.
func (c *collector) tick() {
	s := c.s
	// The active VUs are read with the clock: Collect can take a while
	// on a loaded machine, and the interval must end at the point's
	// offset.
	now, vus := s.since(), s.intervalVUs()
	c.c.Collect()
	c.creditStage(now)
	ops, errs := c.c.Interval.Totals()
	prev := c.lastAt
	dt := (now - prev).Seconds()
	c.lastAt = now
	rate := 0.0
	if dt > 0 {
		rate = float64(ops) / dt
	}
	c.addPoint(now, ops, errs, vus, false)
	if c.res != nil {
		c.res.sample(now)
		c.judgeInterval(now - prev)
	}
	if s.bp != nil {
		s.bp.observe(c, prev, now)
	}
	if s.observer != nil {
		cops, cerrs := c.c.Cum.Totals()
		s.observer.Progress(Progress{
			Scenario:  s.sc.Name,
			Elapsed:   now,
			Planned:   s.ex.planned(),
			Ops:       cops,
			Errors:    cerrs,
			Rate:      rate,
			ActiveVUs: int(s.live.Load()),
			Dropped:   s.dropped.Load(),
			Done:      cops,
			Total:     s.ex.total(),
		})
		if io := intervalObserver(s.observer); io != nil {
			io.Interval(c.intervalFigures(now, now-prev))
		}
	}
	c.evalAbort(now)
}

// judgeInterval judges the interval of length length just collected and
// sampled for interference (see interference.go), and attaches the
// machine's figures to its resource point.
func (c *collector) judgeInterval(length time.Duration) {
	if c.judge == nil || len(c.res.heap) == 0 {
		return
	}
	p := &c.res.heap[len(c.res.heap)-1]
	bad := c.judge.bad
	defer func() {
		c.lastDisturbed, c.lastWake, c.lastMachine = c.judge.bad > bad, c.judge.lastWake, c.judge.lastMachine
	}()
	p.Machine = c.judge.judge(c.c.Interval, func() *metrics.View { return c.s.set.NewCollector().Interval },
		p.Offset, length, c.s.dropped.Load(), p.CPUPercent, p.GCPauseMax)
}

// intervalFigures returns the figures of the interval just collected, of length
// length and ending at now, for an IntervalObserver.
func (c *collector) intervalFigures(now, length time.Duration) Interval {
	s := c.s
	iv := Interval{Scenario: s.sc.Name, Elapsed: now, Length: length,
		ActiveVUs: int(s.live.Load()), Dropped: s.dropped.Load()}
	iv.Ops, iv.Total = s.opFigures(c.c.Interval, length)
	// The view's histograms are reset by the next collection.
	iv.Total.dropHists()
	for i := range iv.Ops {
		iv.Ops[i].dropHists()
	}
	if c.res != nil && len(c.res.heap) > 0 {
		p := c.res.heap[len(c.res.heap)-1]
		iv.Resources = &p
	}
	return iv
}

// dropHists forgets the operation's histograms.
func (o *OpStats) dropHists() {
	o.dropFamilyHists()
	o.OmitHist = nil
}

// addPoint adds one interval ending at at to the bounded series. Once the
// series reaches its limit, its points are merged pairwise and each new
// point spans twice as many intervals as before.
func (c *collector) addPoint(at time.Duration, ops, errs int64, vus int, last bool) {
	if c.pendHist == nil {
		c.pendHist = c.s.set.NewCollector().Interval
	}
	c.pendHist.Merge(c.c.Interval)
	c.pend.Ops += ops
	c.pend.Errors += errs
	c.pend.ActiveVUs = max(c.pend.ActiveVUs, vus)
	c.pendN++
	if c.pendN < c.stride && !last {
		return
	}
	h := metrics.Summarize(c.pendHist.MergedLat())
	p := c.pend
	p.Offset = at
	if span := at - c.lastPoint; span > 0 {
		p.Throughput = float64(p.Ops) / span.Seconds()
	}
	c.lastPoint = at
	p.P50, p.P90, p.P95, p.P99, p.Max = time.Duration(h.P50), time.Duration(h.P90), time.Duration(h.P95), time.Duration(h.P99), time.Duration(h.Max)
	if lag := c.pendLag(); lag != nil {
		p.LagP99 = time.Duration(lag.ValueAtQuantile(99))
	}
	c.series = append(c.series, p)
	c.pend, c.pendN = SeriesPoint{}, 0
	c.pendHist.Reset()
	if len(c.series) >= c.limit && c.limit > 1 {
		c.series = halveSeries(c.series)
		c.stride *= 2
	}
}

// pendLag returns the pending interval's schedule lags merged into the
// collector's scratch histogram (reused: a histogram is about 270 KB), or
// nil when there are none (closed models).
func (c *collector) pendLag() *hdrhistogram.Histogram {
	var h *hdrhistogram.Histogram
	for i := range c.pendHist.Ops {
		l := c.pendHist.Ops[i].Lag
		if l == nil || l.TotalCount() == 0 {
			continue
		}
		if h == nil {
			if c.lagScratch == nil {
				c.lagScratch = metrics.NewHist()
			}
			h = c.lagScratch
			h.Reset()
		}
		h.Merge(l)
	}
	return h
}

// halveSeries merges the series' points pairwise. Counts add up exactly;
// the percentiles of a merged point are the larger of the two (an upper
// bound, as the interval histograms are not kept).
func halveSeries(in []SeriesPoint) []SeriesPoint {
	out := in[:0]
	for i := 0; i < len(in); i += 2 {
		a := in[i]
		if i+1 < len(in) {
			b := in[i+1]
			a.Offset = b.Offset
			a.Ops += b.Ops
			a.Errors += b.Errors
			a.Throughput = (a.Throughput + b.Throughput) / 2
			a.P50, a.P90, a.P95, a.P99, a.Max = max(a.P50, b.P50), max(a.P90, b.P90), max(a.P95, b.P95), max(a.P99, b.P99), max(a.Max, b.Max)
			a.LagP99 = max(a.LagP99, b.LagP99)
			a.ActiveVUs = max(a.ActiveVUs, b.ActiveVUs)
		}
		out = append(out, a)
	}
	return out
}

// evalAbort evaluates the abort_on_fail assertions over the cumulative
// metrics. One that has failed at every evaluation for its abort_grace stops
// the scenario. An assertion that cannot be evaluated yet (a metric without
// a value, such as a latency before the first operation) does not count as
// failing.
func (c *collector) evalAbort(now time.Duration) {
	s := c.s
	if s.opts.NoAbort {
		return
	}
	var live *ScenarioResult
	for i, a := range s.sc.Asserts {
		if !a.AbortOnFail || a.Condition == nil {
			continue
		}
		if live == nil {
			live = c.result(now, false)
			c.attachResources(live)
		}
		m := withBaseline{r: live, scenario: s.sc.Name, baseline: s.opts.Baseline}
		ok, err := a.Condition.Eval(m)
		if err != nil || ok {
			c.failing[i] = -1
			continue
		}
		if c.failing[i] < 0 {
			c.failing[i] = now
		}
		if now-c.failing[i] >= a.AbortGrace && !s.stopped.Load() {
			s.mu.Lock()
			if s.abortMsg == "" {
				msg := a.ErrorMessage
				if msg == "" {
					msg = a.Expr
				}
				s.abortMsg = fmt.Sprintf("assertion %q failed for %v: %s", a.Expr, now-c.failing[i], msg)
			}
			s.mu.Unlock()
			s.abortIdx = i
			s.abortCmps = evalComparisons(a.Condition, m)
			s.requestStop(stopAbort)
		}
	}
}

// attachResources sets r's resource metrics as of the last sample, so that
// live conditions can read them (heap.in_use_peak > ...).
func (c *collector) attachResources(r *ScenarioResult) {
	if c.res == nil {
		return
	}
	cops, _ := c.c.Cum.Totals()
	rs := c.res.figures(cops)
	rs.Soak = analyzeSoak(c.series, rs.Heap, c.s.sc.LeakThreshold)
	r.Resources = &rs
}

// finalResult builds the scenario's result once its workers are done: the
// last collection, the pending series point, the resource figures and the
// breakpoint search's outcome.
func (c *collector) finalResult(elapsed time.Duration) *ScenarioResult {
	s := c.s
	c.c.Collect()
	c.creditStage(elapsed)
	if s.bp != nil && s.reason.Load() == stopEnd && elapsed > c.lastAt {
		// The schedule ran out between two ticks (a collector that ran
		// late on a loaded machine): the search judges its last interval
		// too, rather than claim a step it never looked at.
		s.bp.observe(c, c.lastAt, elapsed)
	}
	r := c.result(elapsed, true)
	// Flush the pending series interval, if any.
	ops, errs := c.c.Interval.Totals()
	if ops > 0 || errs > 0 || c.pendN > 0 {
		c.addPoint(elapsed, ops, errs, s.intervalVUs(), true)
	}
	r.Series = c.series
	if c.res != nil {
		if elapsed > c.lastAt {
			// The last, partial interval: stop() took its resource
			// sample.
			c.judgeInterval(elapsed - c.lastAt)
		}
		rs := c.res.figures(r.Total.Ops)
		rs.Soak = analyzeSoak(r.Series, rs.Heap, s.sc.LeakThreshold)
		r.Resources = &rs
		if c.judge != nil {
			rs.Machine = c.judge.mach.total()
			r.Interference = c.judge.result(c.viewResult, &rs, s.sc.LeakThreshold)
		}
	}
	if s.bp != nil {
		r.Breakpoint = s.bp.result(elapsed, s.reason.Load() != stopEnd)
	}
	r.Sweep = s.sc.Sweep
	if f := c.stages; f != nil {
		for i, st := range f.plan {
			v := c.viewFigures(f.views[i], f.to[i]-f.from[i])
			for j := range v.Ops {
				v.Ops[j].dropEmpty()
			}
			v.Total.dropEmpty()
			r.Stages = append(r.Stages, StageResult{Name: st.Name, Index: i + 1, Target: st.Target,
				Start: f.from[i], End: f.to[i], Total: v.Total, Ops: v.Ops})
		}
	}
	return r
}

// result builds a ScenarioResult from the cumulative view. final hands the
// collector's histograms over; otherwise they are shared read-only with the
// caller for the duration of the call.
func (c *collector) result(elapsed time.Duration, final bool) *ScenarioResult {
	s := c.s
	r := c.viewResult(c.c.Cum, elapsed)
	r.Dropped = s.dropped.Load()
	r.Cut = s.cut.Load()
	r.CutRampDown, r.CutInterrupt = s.cutRampDown.Load(), s.cutInterrupt.Load()
	r.VUsMax = int(s.vusMax.Load())
	if final {
		for i := range r.Ops {
			r.Ops[i].dropEmpty()
		}
		r.Total.dropEmpty()
	}
	return r
}

// viewResult builds a ScenarioResult from a view of elapsed length (the
// cumulative view, or one interval): counters, throughput, latencies and
// the target's statistics. Its histograms are the view's, or merged.
func (c *collector) viewResult(cum *metrics.View, elapsed time.Duration) *ScenarioResult {
	r := c.viewFigures(cum, elapsed)
	r.TargetStats = targets.SpanStats(c.s.kind(), c.s.statsStart, c.s.stats())
	r.targetKind = c.s.kind()
	return r
}

// viewFigures is viewResult without the target's statistics.
func (c *collector) viewFigures(cum *metrics.View, elapsed time.Duration) *ScenarioResult {
	s := c.s
	r := &ScenarioResult{
		Name:     s.sc.Name,
		Executor: s.sc.ExecutorName(),
		Elapsed:  elapsed,
	}
	r.Ops, r.Total = s.opFigures(cum, elapsed)
	return r
}

// opFigures summarises each operation of view, and all of them as
// "total", over a span of length d (throughput is per second of it). The
// figures hold the view's histograms.
func (s *scenarioRun) opFigures(view *metrics.View, d time.Duration) (ops []OpStats, total OpStats) {
	secs := d.Seconds()
	thr := func(n int64) float64 {
		if secs <= 0 {
			return 0
		}
		return float64(n) / secs
	}
	ops = make([]OpStats, len(s.ops))
	for i, o := range s.ops {
		ops[i] = opStats(o.Name, &view.Ops[i], thr)
	}
	if len(s.ops) == 1 {
		total = ops[0]
		total.Name = "total"
		return ops, total
	}
	all := view.Total()
	return ops, opStats("total", &all, thr)
}

// stats returns the target's statistics, or nil when Stats panics; the
// first panic is reported in the scenario's worker errors.
func (s *scenarioRun) stats() map[string]float64 {
	var st map[string]float64
	err := safely("Stats", func() error {
		st = s.target.Stats()
		return nil
	})
	if err != nil {
		s.statsPanicOnce.Do(func() { s.addError("target %s: %v", targetID(s.sc.Workload.Target), err) })
		return nil
	}
	return st
}

// safely calls f, which calls into a target, and turns a panic into an error
// that names the method (what), the panic value and the frame that raised
// it.
func safely(what string, f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%s panicked: %v%s", what, v, panicFrame())
		}
	}()
	return f()
}

// dropEmpty drops the histograms of an operation that never completed.
func (o *OpStats) dropEmpty() {
	if o.Ops == 0 {
		o.dropFamilyHists()
	}
}

// opStats summarises one operation's view. Its histograms are the view's.
func opStats(name string, v *metrics.OpView, thr func(int64) float64) OpStats {
	st := OpStats{Name: name, Ops: v.Ops, Errors: v.Errors, Throughput: thr(v.Ops)}
	st.setFamilies(v)
	if n := v.Omitted(); n > 0 {
		// A dropped iteration's latency is at least its lateness when it
		// was dropped: the percentiles become lower bounds.
		st.Omitted, st.OmitHist = n, v.Omit
		all := metrics.NewHist()
		all.Merge(v.Lat)
		all.Merge(v.Omit)
		st.Latency = latencyStats(all)
	}
	return st
}

func latencyStats(h *hdrhistogram.Histogram) LatencyStats {
	m := metrics.Summarize(h)
	d := func(f float64) time.Duration { return time.Duration(math.Round(f)) }
	return LatencyStats{
		Min: d(m.Min), Mean: d(m.Mean), StdDev: d(m.StdDev),
		P50: d(m.P50), P75: d(m.P75), P90: d(m.P90), P95: d(m.P95), P99: d(m.P99), P999: d(m.P999),
		Max: d(m.Max),
	}
}
