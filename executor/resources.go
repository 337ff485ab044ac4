package executor

import (
	"fmt"
	"math"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aclements/go-moremath/stats"

	"github.com/perfplan/perfplan/internal/lsq"
	"github.com/perfplan/perfplan/plan"
)

// Resources are the process's resource figures over one scenario, sampled
// by the scenario's collector goroutine once per snapshot interval (never on
// the per-operation path). They describe the whole perfplan process: when
// scenarios run in parallel, they share it.
type Resources struct {
	// CPUUserSeconds and CPUSystemSeconds are the process CPU time spent
	// during the scenario. CPUPercent is their sum over the wall time they
	// were measured in, in percent of one core (200 means two cores busy).
	CPUUserSeconds   float64 `json:"cpu_user_seconds"`
	CPUSystemSeconds float64 `json:"cpu_system_seconds"`
	CPUPercent       float64 `json:"cpu_percent"`
	// RSSPeak is the largest resident set size sampled, in bytes (0 where
	// /proc/self/statm is not available).
	RSSPeak int64 `json:"rss_peak_bytes"`
	// HeapInUsePeak and HeapInUseEnd are Go heap object bytes (live and
	// not yet swept garbage): the largest sampled and the last.
	HeapInUsePeak int64 `json:"heap_in_use_peak_bytes"`
	HeapInUseEnd  int64 `json:"heap_in_use_end_bytes"`
	// GCCount is the number of GC cycles completed during the scenario;
	// GCPauseP99 and GCPauseMax are percentiles of the stop-the-world
	// pauses of those cycles (bucket upper bounds of the runtime's
	// histogram).
	GCCount    int64         `json:"gc_count"`
	GCPauseP99 time.Duration `json:"gc_pause_p99_ns"`
	GCPauseMax time.Duration `json:"gc_pause_max_ns"`
	// GoroutinesMax is the most goroutines sampled.
	GoroutinesMax int64 `json:"goroutines_max"`
	// AllocsPerOp is heap allocations (objects) during the scenario divided
	// by its operations, the runner's own included.
	AllocsPerOp float64 `json:"allocs_per_op"`
	// Soak is the soak analysis of the scenario's series.
	Soak Soak `json:"soak"`
	// Heap is the per-interval heap series behind the leak regression.
	Heap []HeapPoint `json:"heap_series,omitempty"`
	// Machine is what the machine and the cgroup did over the scenario
	// (pressure, steal, other processes' CPU, throttling); nil when not
	// sampled.
	Machine *Machine `json:"machine,omitempty"`
	// IO is the process's disk and network I/O (iostat.go); nil where
	// the system gives no counters.
	IO *IO `json:"io,omitempty"`
}

// HeapPoint is one resource sample, taken once per snapshot interval. Live
// is the heap marked live by the most recent GC cycle (runtime/metrics
// /gc/heap/live:bytes), which does not saw-tooth with garbage the way InUse
// does; the leak regression uses it. GCs counts the GC cycles completed
// since the scenario started: Live changes only when it does.
//
// CPUPercent, RSS, GCPauseMax and Goroutines describe the interval that
// ends at Offset (added within schema version 1, for the HTML report's
// resource charts and live metrics; zero in older documents).
type HeapPoint struct {
	Offset time.Duration `json:"offset_ns"`
	Live   int64         `json:"live_bytes"`
	InUse  int64         `json:"in_use_bytes"`
	GCs    int64         `json:"gc_cycles"`
	// CPUPercent is the process's CPU time over the interval, in percent
	// of one core.
	CPUPercent float64 `json:"cpu_percent,omitempty"`
	// RSS is the resident set size when sampled.
	RSS int64 `json:"rss_bytes,omitempty"`
	// GCPauseMax is the longest stop-the-world pause of the GC cycles
	// that ended in the interval (a bucket bound of the runtime's
	// histogram); 0 when none did.
	GCPauseMax time.Duration `json:"gc_pause_max_ns,omitempty"`
	// Goroutines is the number of goroutines when sampled.
	Goroutines int64 `json:"goroutines,omitempty"`
	// Machine is what the machine and the cgroup did over the interval.
	Machine *Machine `json:"machine,omitempty"`
	// IO is the I/O of the interval (iostat.go).
	IO *IO `json:"io,omitempty"`
}

// Soak is the soak analysis of one scenario.
type Soak struct {
	// ThroughputCV is the coefficient of variation (stddev/mean) of the
	// per-interval throughput; 0 with fewer than two intervals.
	ThroughputCV float64 `json:"throughput_cv"`
	// P99Drift is the least-squares slope of per-interval p99 latency, in
	// milliseconds per minute.
	P99Drift float64 `json:"p99_drift_ms_per_min"`
	// HeapSlope is the least-squares slope of the live heap (one point per
	// GC cycle completed in the scenario) over time in bytes per minute, with its 95% confidence interval
	// [HeapSlopeLow, HeapSlopeHigh] (Student's t, n-2 degrees of freedom).
	HeapSlope     float64 `json:"heap_slope_bytes_per_min"`
	HeapSlopeLow  float64 `json:"heap_slope_low"`
	HeapSlopeHigh float64 `json:"heap_slope_high"`
	// HeapSamples is the number of GC cycles (live-heap points) the heap
	// regression used; below three there is no verdict.
	HeapSamples int `json:"heap_samples"`
	// HeapFrom is when the worker pool reached its peak: the regression
	// uses the live heap from then on only, as the runner's own memory
	// grows with its pool.
	HeapFrom time.Duration `json:"heap_from_ns,omitempty"`
	// LeakThreshold is the rate in bytes per minute above which a
	// significant slope is a leak.
	LeakThreshold float64 `json:"leak_threshold_bytes_per_min"`
	// Leak is set when HeapSlopeLow > 0 and HeapSlope > LeakThreshold.
	// With fewer than three GC cycles there is no verdict (no leak).
	Leak bool `json:"leak"`
}

// resourceMetricNames are the runtime/metrics samples read; the indexes
// below follow this order.
var resourceMetricNames = [...]string{
	"/memory/classes/heap/objects:bytes",
	"/gc/heap/live:bytes",
	"/gc/cycles/total:gc-cycles",
	"/gc/pauses:seconds",
	"/sched/goroutines:goroutines",
	"/gc/heap/allocs:objects",
}

const (
	rmHeapObjects = iota
	rmHeapLive
	rmGCCycles
	rmGCPauses
	rmGoroutines
	rmAllocs
)

// resourceSampler samples the process's resources. It belongs to one
// collector goroutine and holds no shared state.
type resourceSampler struct {
	samples    []metrics.Sample
	pageSize   int64
	cpu0       [2]float64
	wall0      time.Time // when cpu0 was read: CPU percent is over the same span
	gc0        uint64
	allocs0    uint64
	pauses0    []uint64
	rssPeak    int64
	heapPeak   int64
	heapEnd    int64
	goroutines int64
	heap       []HeapPoint
	limit      int
	// cpuPrev, wallPrev and pausesPrev are the CPU times, the wall clock
	// and the GC pause counts at the previous sample: HeapPoint's
	// per-interval figures are measured from them.
	cpuPrev    [2]float64
	wallPrev   time.Time
	pausesPrev []uint64
	// io reads the I/O counters: io0 at the start, ioPrev at the
	// previous sample.
	io          *ioReader
	io0, ioPrev ioCounters
}

func newResourceSampler(limit int) *resourceSampler {
	r := &resourceSampler{samples: make([]metrics.Sample, len(resourceMetricNames)), pageSize: int64(os.Getpagesize()), limit: limit}
	for i, n := range resourceMetricNames {
		r.samples[i].Name = n
	}
	metrics.Read(r.samples)
	r.cpu0[0], r.cpu0[1] = cpuTimes()
	r.wall0 = time.Now()
	r.gc0 = r.uint(rmGCCycles)
	r.allocs0 = r.uint(rmAllocs)
	if h := r.hist(rmGCPauses); h != nil {
		r.pauses0 = append([]uint64(nil), h.Counts...)
		r.pausesPrev = append([]uint64(nil), h.Counts...)
	}
	r.cpuPrev, r.wallPrev = r.cpu0, r.wall0
	r.io = newIOReader()
	r.io0 = r.io.read(r.wall0)
	r.ioPrev = r.io0
	return r
}

func (r *resourceSampler) uint(i int) uint64 {
	if r.samples[i].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return r.samples[i].Value.Uint64()
}

func (r *resourceSampler) hist(i int) *metrics.Float64Histogram {
	if r.samples[i].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return r.samples[i].Value.Float64Histogram()
}

// sample takes one sample at offset at from the scenario's start.
func (r *resourceSampler) sample(at time.Duration) {
	metrics.Read(r.samples)
	inUse := int64(r.uint(rmHeapObjects))
	r.heapPeak = max(r.heapPeak, inUse)
	r.heapEnd = inUse
	goroutines := int64(r.uint(rmGoroutines))
	r.goroutines = max(r.goroutines, goroutines)
	rss := readRSS(r.pageSize)
	r.rssPeak = max(r.rssPeak, rss)
	p := HeapPoint{Offset: at, Live: int64(r.uint(rmHeapLive)), InUse: inUse, GCs: int64(r.uint(rmGCCycles) - r.gc0), RSS: rss, Goroutines: goroutines}
	u, s := cpuTimes()
	now := time.Now()
	if sec := now.Sub(r.wallPrev).Seconds(); sec > 0 {
		p.CPUPercent = (u - r.cpuPrev[0] + s - r.cpuPrev[1]) / sec * 100
	}
	r.cpuPrev, r.wallPrev = [2]float64{u, s}, now
	ioNow := r.io.read(now)
	p.IO, r.ioPrev = ioDelta(r.ioPrev, ioNow), ioNow
	if h := r.hist(rmGCPauses); h != nil {
		_, p.GCPauseMax = pauseQuantiles(h, r.pausesPrev)
		r.pausesPrev = append(r.pausesPrev[:0], h.Counts...)
	}
	r.heap = append(r.heap, p)
	if r.limit > 1 && len(r.heap) >= r.limit {
		// Keep every other point, as the series does.
		out := r.heap[:0]
		for i := 1; i < len(r.heap); i += 2 {
			out = append(out, r.heap[i])
		}
		r.heap = out
	}
}

// figures returns the figures as of the last sample, for a scenario of
// scenario of ops operations. The heap series is shared, not copied.
func (r *resourceSampler) figures(ops int64) Resources {
	u, s := cpuTimes()
	res := Resources{
		CPUUserSeconds:   u - r.cpu0[0],
		CPUSystemSeconds: s - r.cpu0[1],
		RSSPeak:          r.rssPeak,
		HeapInUsePeak:    r.heapPeak,
		HeapInUseEnd:     r.heapEnd,
		GCCount:          int64(r.uint(rmGCCycles) - r.gc0),
		GoroutinesMax:    r.goroutines,
		Heap:             r.heap,
	}
	// The CPU times cover the span since cpu0 was read, which can be longer
	// than the scenario's elapsed time (set-up before the first operation,
	// the final snapshot): divide by the wall time of that same span.
	if sec := time.Since(r.wall0).Seconds(); sec > 0 {
		res.CPUPercent = (res.CPUUserSeconds + res.CPUSystemSeconds) / sec * 100
	}
	if ops > 0 {
		res.AllocsPerOp = float64(r.uint(rmAllocs)-r.allocs0) / float64(ops)
	}
	res.IO = ioDelta(r.io0, r.io.read(time.Now()))
	if h := r.hist(rmGCPauses); h != nil {
		res.GCPauseP99, res.GCPauseMax = pauseQuantiles(h, r.pauses0)
	}
	return res
}

// pauseQuantiles returns the p99 and the maximum of the pauses counted in h
// since the counts base (upper bucket bounds; a bucket bounded by +Inf
// reports its lower bound).
func pauseQuantiles(h *metrics.Float64Histogram, base []uint64) (p99, maxP time.Duration) {
	delta := make([]uint64, len(h.Counts))
	var n uint64
	for i, c := range h.Counts {
		if i < len(base) {
			c -= base[i]
		}
		delta[i] = c
		n += c
	}
	if n == 0 {
		return 0, 0
	}
	bound := func(i int) time.Duration {
		b := h.Buckets[i+1]
		if math.IsInf(b, 1) {
			b = h.Buckets[i]
		}
		return time.Duration(b * 1e9)
	}
	rank := uint64(math.Ceil(0.99 * float64(n)))
	var cum uint64
	for i, c := range delta {
		if c == 0 {
			continue
		}
		cum += c
		if p99 == 0 && cum >= rank {
			p99 = bound(i)
		}
		maxP = bound(i)
	}
	return p99, maxP
}

// readRSS returns the resident set size from /proc/self/statm, or 0.
func readRSS(pageSize int64) int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	rss, err := parseStatm(string(b), pageSize)
	if err != nil {
		return 0
	}
	return rss
}

// parseStatm returns the resident size in bytes from a statm line.
func parseStatm(s string, pageSize int64) (int64, error) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0, fmt.Errorf("statm: %d fields, want at least 2", len(f))
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("statm: resident: %w", err)
	}
	return pages * pageSize, nil
}

// DefaultLeakThreshold is the leak rate used when a scenario sets none:
// 1 MiB per minute.
const DefaultLeakThreshold = 1 << 20

// analyzeSoak computes the soak figures from the scenario's series and heap
// samples. threshold is in bytes per minute.
func analyzeSoak(series []SeriesPoint, heap []HeapPoint, threshold float64) Soak {
	if threshold <= 0 {
		threshold = DefaultLeakThreshold
	}
	s := Soak{LeakThreshold: threshold}
	if len(series) >= 2 {
		thr := make([]float64, len(series))
		xs := make([]float64, len(series))
		p99 := make([]float64, len(series))
		for i, p := range series {
			thr[i] = p.Throughput
			xs[i] = p.Offset.Minutes()
			p99[i] = ms(p.P99)
		}
		smp := stats.Sample{Xs: thr}
		if m := smp.Mean(); m > 0 {
			s.ThroughputCV = smp.StdDev() / m
		}
		s.P99Drift = theilSen(xs, p99)
	}
	// One point per new GC cycle: the live heap is only measured by a GC,
	// so repeating it between cycles would add no information and narrow
	// the interval falsely, and before the scenario's first cycle it
	// describes the heap before the scenario.
	//
	// Only once the worker pool has reached its peak: while it grows (an
	// open model spawning workers as iterations pile up behind a slow or
	// held-back process, a ramp), the runner's own memory grows with it,
	// and that is not the target's leak.
	s.HeapFrom = poolPeak(series)
	var xs, ys []float64
	var last int64
	for _, h := range heap {
		if h.GCs > last {
			last = h.GCs
			if h.Offset < s.HeapFrom {
				continue
			}
			xs = append(xs, h.Offset.Minutes())
			ys = append(ys, float64(h.Live))
		}
	}
	s.HeapSamples = len(xs)
	if len(xs) >= 3 {
		s.HeapSlope, s.HeapSlopeLow, s.HeapSlopeHigh = regress(xs, ys)
		s.Leak = s.HeapSlopeLow > 0 && s.HeapSlope > threshold
	}
	return s
}

// poolPeak returns the end of the first interval in which the series
// reached its most active workers.
func poolPeak(series []SeriesPoint) time.Duration {
	var at time.Duration
	peak := 0
	for _, p := range series {
		if p.ActiveVUs > peak {
			peak, at = p.ActiveVUs, p.Offset
		}
	}
	return at
}

// theilSenPoints bounds the points theilSen pairs up (n²/2 slopes).
const theilSenPoints = 512

// theilSen returns the Theil–Sen slope of the points: the median of the
// slopes between every pair with distinct x. Up to about 29% of the points
// can be anywhere without moving it, so one stalled interval at the end of
// a short soak does not read as a drift, as it does in a least-squares
// slope; a steady rise does. More than theilSenPoints points are first
// reduced to that many, each the mean x and the median y of consecutive
// points. With fewer than two distinct x it is 0.
func theilSen(xs, ys []float64) float64 {
	if n := len(xs); n > theilSenPoints {
		g := (n + theilSenPoints - 1) / theilSenPoints
		var bx, by []float64
		for i := 0; i < n; i += g {
			j := min(i+g, n)
			bx = append(bx, stats.Mean(xs[i:j]))
			by = append(by, stats.Sample{Xs: ys[i:j]}.Quantile(0.5))
		}
		xs, ys = bx, by
	}
	var slopes []float64
	for i := range xs {
		for j := i + 1; j < len(xs); j++ {
			if dx := xs[j] - xs[i]; dx != 0 {
				slopes = append(slopes, (ys[j]-ys[i])/dx)
			}
		}
	}
	if len(slopes) == 0 {
		return 0
	}
	slices.Sort(slopes)
	n := len(slopes)
	if n%2 == 1 {
		return slopes[n/2]
	}
	return (slopes[n/2-1] + slopes[n/2]) / 2
}

// regress fits y = a + b x by least squares (package lsq) and returns
// b with its 95% confidence interval (Student's t on the residuals). With
// fewer than three points, or no spread in x, the interval is [b, b] or
// zero.
//
// Successive live-heap samples are not independent: the heap wanders (a
// cache replaces values, buffers come and go), so its residuals about the
// line are positively autocorrelated, and the textbook interval, which
// assumes independent residuals, is too narrow: the steady soak example
// read for five seconds was flagged as a leak in a test run. The interval
// therefore allows for lag-1 autocorrelation r of the residuals, as trend
// tests on serially correlated series do (Santer et al., 2000): the
// standard error grows by sqrt((1+r)/(1-r)) and the degrees of freedom
// shrink to n(1-r)/(1+r) - 2 (at least 1). With r ≤ 0 the interval is the
// textbook one.
func regress(xs, ys []float64) (slope, lo, hi float64) {
	if len(xs) < 2 {
		return 0, 0, 0
	}
	mx := stats.Mean(xs)
	var sxx float64
	for _, x := range xs {
		sxx += (x - mx) * (x - mx)
	}
	if sxx == 0 {
		return 0, 0, 0
	}
	a, slope, _ := lsq.Line(xs, ys)
	if len(xs) < 3 {
		return slope, slope, slope
	}
	res := make([]float64, len(xs))
	var sse float64
	for i, x := range xs {
		res[i] = ys[i] - (a + slope*x)
		sse += res[i] * res[i]
	}
	n := float64(len(xs))
	se := math.Sqrt(sse / (n - 2) / sxx)
	dof := n - 2
	if r := lag1(res, sse); r > 0 {
		r = min(r, 0.95)
		se *= math.Sqrt((1 + r) / (1 - r))
		dof = max(n*(1-r)/(1+r)-2, 1)
	}
	t := stats.InvCDF(stats.TDist{V: dof})(0.975)
	return slope, slope - t*se, slope + t*se
}

// lag1 returns the lag-1 autocorrelation of residuals e (in order), whose
// sum of squares is sse; 0 when sse is.
func lag1(e []float64, sse float64) float64 {
	if sse == 0 {
		return 0
	}
	var c float64
	for i := 1; i < len(e); i++ {
		c += e[i] * e[i-1]
	}
	return c / sse
}

// Metric resolves a resource or soak metric name (see plan.ResourceMetrics).
// Pauses are in milliseconds, sizes in bytes, slopes in bytes per minute.
func (r *Resources) Metric(name string) (float64, bool) {
	if v, ok, isIO := ioMetric(r.IO, name); isIO {
		return v, ok
	}
	if d, ok := plan.LookupResource(name); ok {
		return r.Figure(d)
	}
	switch name {
	case "soak.throughput_cv":
		return r.Soak.ThroughputCV, true
	case "soak.p99_drift":
		return r.Soak.P99Drift, true
	case "heap.slope":
		return r.Soak.HeapSlope, true
	case "heap.leak":
		if r.Soak.Leak {
			return 1, true
		}
		return 0, true
	}
	if strings.HasPrefix(name, "machine.") {
		return r.Machine.Metric(name)
	}
	return 0, false
}
