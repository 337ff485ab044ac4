// Package metrics records operation latencies for the executor without a lock
// or an allocation per operation, and turns them into exact totals and
// per-interval snapshots.
//
// # Design
//
// One HdrHistogram covering 1 ns to 1 h with 3 significant digits holds about
// 34,000 int64 counters, roughly 270 KB. The straightforward design, one
// histogram per worker and per operation (and a second one per operation for
// the service time of open models), costs 270 KB × ops × 2 per worker: an
// open-model scenario with 2,000 workers and 3 operations would need 3 GB.
//
// Instead, each worker owns a Recorder: a small staging buffer of packed
// uint64 words, each holding the operation index, an error bit, a kind
// (latency, service time or omitted iteration) and the value in
// nanoseconds. Recording is a store into the buffer and an increment: no
// lock, no atomic, no allocation. The recorder reports when the buffer is
// full, and the worker flushes it then (and reads the clock again, so that
// the flush is never part of a latency), when it notices a new snapshot
// epoch, before it parks or sleeps for long, and when it exits. A flush moves
// the words into one of a few shards. A shard holds one interval histogram
// per operation (four for open models: latency, service time, schedule lag
// and omitted iterations) and the interval counters, behind a mutex that is
// therefore taken once per batch, never per operation. Shards are picked by
// worker id, and a flush tries the other shards with TryLock, and yields,
// before it waits, so workers rarely contend.
//
// The buffer starts at StageMin words (128 bytes) and doubles, up to Stage
// words (2 KB), each time it fills up: a worker that fills it between two
// snapshots is fast enough that batching pays, while a slow one (a worker
// of 10,000 on a 100ms target records 10 words a second and is asked to
// flush every second) never needs more. Memory per worker therefore
// follows its rate, and the growth, four allocations at most, happens in
// Flush, which is never part of a latency.
//
// An open-model operation is staged as two words, its latency (from the
// intended start) and its service time (from the actual start); the flush
// derives its schedule lag, the actual start minus the intended start, as
// their difference, so the lag costs no third word. An iteration that the
// runner dropped is staged as one omitted word holding how late it was when
// it was dropped: a lower bound of the latency it would have had.
//
// The collector (Set.Collect), once per snapshot interval, drains every shard
// under its lock into the interval view, which it then merges into the
// cumulative histograms. Memory is therefore bounded by the number of shards
// (GOMAXPROCS, at most 16) and operations, not by the number of workers:
// about (shards + 3) × ops × (1 or 2) histograms per scenario (the shards,
// the collector's interval, cumulative and pending-series views), plus
// 128 bytes to 2 KB per worker. On 2 cores a closed-model scenario with one
// operation holds about 1.4 MB whatever its number of workers; an
// open-model one with three operations about 8 MB.
//
// Totals are exact: every operation a worker records reaches a shard, at the
// latest when the worker exits. An interval's figures are those flushed during
// it; the executor asks workers to flush at each tick and waits briefly, so
// only operations still in flight straddle an interval boundary.
package metrics

import (
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram range: 1 ns to 1 h, 3 significant digits.
const (
	HistMin    = 1
	HistMax    = int64(time.Hour)
	HistDigits = 3
)

// Stage is the most words a Recorder buffers before it flushes, and
// StageMin the fewest: a Recorder starts with StageMin and doubles its
// buffer, up to Stage, whenever it fills up.
const (
	Stage    = 256
	StageMin = 16
)

// Word layout: bits 0..52 value (ns), bits 53..54 kind, bit 55 error, bits
// 56..63 operation index.
const (
	valueBits = 53
	valueMask = 1<<valueBits - 1
	kindShift = 53
	kindMask  = 3 << kindShift
	errBit    = 1 << 55
	opShift   = 56
)

// Word kinds.
const (
	kindLat  = 0 << kindShift // latency (closed models: from the actual start)
	kindSvc  = 1 << kindShift // open models: service time, after its latency word
	kindOmit = 2 << kindShift // open models: a dropped iteration's lateness
)

// MaxOps is the largest number of operations a Set supports.
const MaxOps = 256

// NewHist returns an empty histogram with the package's range.
func NewHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(HistMin, HistMax, HistDigits)
}

// clamp limits v to the histogram's range.
func clamp(v uint64) int64 {
	if v < HistMin {
		return HistMin
	}
	if v > uint64(HistMax) {
		return HistMax
	}
	return int64(v)
}

type opAcc struct {
	lat, svc, lag *hdrhistogram.Histogram
	omit          *hdrhistogram.Histogram // allocated at the first drop
	ops, errors   int64
}

type shard struct {
	mu  sync.Mutex
	ops []opAcc
	_   [64]byte // keep shards' hot fields on separate cache lines
}

// Set is the metrics of one scenario: its shards and, owned by the collector,
// the interval and cumulative views.
type Set struct {
	shards  []*shard
	service bool
	nops    int
}

// NewSet returns a Set for nops operations. service adds service-time
// histograms (open models).
func NewSet(nops int, service bool) *Set {
	if nops < 1 {
		nops = 1
	}
	n := runtime.GOMAXPROCS(0)
	if n > 16 {
		n = 16
	}
	s := &Set{service: service, nops: nops}
	for range n {
		sh := &shard{ops: make([]opAcc, nops)}
		for i := range sh.ops {
			sh.ops[i].lat = NewHist()
			if service {
				sh.ops[i].svc = NewHist()
				sh.ops[i].lag = NewHist()
			}
		}
		s.shards = append(s.shards, sh)
	}
	return s
}

// Service reports whether the Set records service times and schedule lags
// (open models).
func (s *Set) Service() bool { return s.service }

// Ops returns the number of operations.
func (s *Set) Ops() int { return s.nops }

// Recorder is one worker's staging buffer. It is used by one goroutine.
type Recorder struct {
	n     int
	buf   []uint64 // small, until the buffer first fills up
	set   *Set
	shard int
	small [StageMin]uint64
}

// NewRecorder returns a recorder for worker id.
func (s *Set) NewRecorder(id int) *Recorder {
	r := &Recorder{set: s, shard: id % len(s.shards)}
	r.buf = r.small[:]
	return r
}

// Cap returns the recorder's buffer size in words.
func (r *Recorder) Cap() int { return len(r.buf) }

// Record stages one operation's latency. It never locks, allocates or
// flushes; it reports whether the buffer is now full, and then the caller
// must Flush before it records again.
func (r *Recorder) Record(op int, failed bool, latency time.Duration) (full bool) {
	w := uint64(latency)&valueMask | uint64(op)<<opShift
	if failed {
		w |= errBit
	}
	r.buf[r.n] = w
	r.n++
	return r.n > len(r.buf)-2
}

// Record2 stages one open-model operation: its latency (from the intended
// start) and its service time (from the actual start). Like Record, it
// reports whether the caller must Flush.
func (r *Recorder) Record2(op int, failed bool, latency, service time.Duration) (full bool) {
	w := uint64(latency)&valueMask | uint64(op)<<opShift
	if failed {
		w |= errBit
	}
	r.buf[r.n] = w
	r.buf[r.n+1] = uint64(service)&valueMask | uint64(op)<<opShift | kindSvc
	r.n += 2
	return r.n > len(r.buf)-2
}

// Omit stages an iteration of operation op that the runner dropped, late by
// lateness when it was dropped. Like Record, it reports whether the caller
// must Flush.
func (r *Recorder) Omit(op int, lateness time.Duration) (full bool) {
	r.buf[r.n] = uint64(lateness)&valueMask | uint64(op)<<opShift | kindOmit
	r.n++
	return r.n > len(r.buf)-2
}

// Pending reports whether the recorder holds staged words.
func (r *Recorder) Pending() bool { return r.n > 0 }

// Flush moves the staged words into a shard. A buffer that was full
// doubles, up to Stage words.
func (r *Recorder) Flush() {
	if r.n == 0 {
		return
	}
	full := r.n > len(r.buf)-2
	sh := r.lockShard()
	nops := len(sh.ops)
	var lastLat int64
	for _, w := range r.buf[:r.n] {
		op := int(w >> opShift)
		if op >= nops {
			op = nops - 1
		}
		a := &sh.ops[op]
		raw := int64(w & valueMask)
		v := clamp(uint64(raw))
		switch w & kindMask {
		case kindSvc:
			if a.svc != nil {
				_ = a.svc.RecordValue(v)
				_ = a.lag.RecordValue(clamp(uint64(max(lastLat-raw, 0))))
			}
			continue
		case kindOmit:
			if a.omit == nil {
				a.omit = NewHist()
			}
			_ = a.omit.RecordValue(v)
			continue
		}
		lastLat = raw
		_ = a.lat.RecordValue(v)
		a.ops++
		if w&errBit != 0 {
			a.errors++
		}
	}
	sh.mu.Unlock()
	r.n = 0
	if full && len(r.buf) < Stage {
		r.buf = make([]uint64, min(2*len(r.buf), Stage))
	}
}

// lockShard locks a shard: the first free one from the recorder's own. When
// all are taken it yields the processor and tries again, and only after
// yieldRounds rounds does it wait on the mutex of its own. A shard is held
// for microseconds, so the yields almost always suffice, and they keep the
// worker's stack small: a goroutine blocked on a mutex runs through the
// runtime's semaphore code, deep enough to double a worker's stack (see
// package executor's TestWorkerStackStaysSmall), which happens when
// thousands of workers flush at once, as they do at each snapshot.
func (r *Recorder) lockShard() *shard {
	shards := r.set.shards
	for range yieldRounds {
		for i := range shards {
			if c := shards[(r.shard+i)%len(shards)]; c.mu.TryLock() {
				return c
			}
		}
		runtime.Gosched()
	}
	sh := shards[r.shard]
	sh.mu.Lock()
	return sh
}

// yieldRounds: see lockShard.
const yieldRounds = 64

// OpView is the figures of one operation over some period. Svc and Lag are
// nil in closed models; Omit is nil until an iteration was dropped.
type OpView struct {
	Ops, Errors   int64
	Lat, Svc, Lag *hdrhistogram.Histogram
	Omit          *hdrhistogram.Histogram
}

// Omitted returns the number of dropped iterations.
func (o *OpView) Omitted() int64 {
	if o.Omit == nil {
		return 0
	}
	return o.Omit.TotalCount()
}

// View is a set of per-operation figures (an interval or a cumulative view).
type View struct {
	Ops []OpView
}

func newView(nops int, service bool) *View {
	v := &View{Ops: make([]OpView, nops)}
	for i := range v.Ops {
		v.Ops[i].Lat = NewHist()
		if service {
			v.Ops[i].Svc = NewHist()
			v.Ops[i].Lag = NewHist()
		}
	}
	return v
}

// Reset empties the view.
func (v *View) Reset() {
	for i := range v.Ops {
		o := &v.Ops[i]
		o.Ops, o.Errors = 0, 0
		o.Lat.Reset()
		if o.Svc != nil {
			o.Svc.Reset()
			o.Lag.Reset()
		}
		if o.Omit != nil {
			o.Omit.Reset()
		}
	}
}

// Merge adds o into v.
func (v *View) Merge(o *View) {
	for i := range v.Ops {
		a, b := &v.Ops[i], &o.Ops[i]
		a.Ops += b.Ops
		a.Errors += b.Errors
		if b.Lat.TotalCount() > 0 {
			a.Lat.Merge(b.Lat)
		}
		if a.Svc != nil && b.Svc != nil && b.Svc.TotalCount() > 0 {
			a.Svc.Merge(b.Svc)
			a.Lag.Merge(b.Lag)
		}
		a.Omit = mergeInto(a.Omit, b.Omit)
	}
}

// mergeInto adds src into dst, allocating dst when src has values, and
// returns dst.
func mergeInto(dst, src *hdrhistogram.Histogram) *hdrhistogram.Histogram {
	if src == nil || src.TotalCount() == 0 {
		return dst
	}
	if dst == nil {
		dst = NewHist()
	}
	dst.Merge(src)
	return dst
}

// Totals returns the summed counters of every operation.
func (v *View) Totals() (ops, errors int64) {
	for _, o := range v.Ops {
		ops += o.Ops
		errors += o.Errors
	}
	return ops, errors
}

// Total returns the figures of every operation together: the counters
// summed and each histogram a new one that merges the operations'.
func (v *View) Total() OpView {
	ops, errs := v.Totals()
	return OpView{Ops: ops, Errors: errs, Lat: v.MergedLat(), Svc: v.MergedSvc(), Lag: v.MergedLag(), Omit: v.MergedOmit()}
}

// MergedLat returns a new histogram holding every operation's latencies.
func (v *View) MergedLat() *hdrhistogram.Histogram {
	h := NewHist()
	for _, o := range v.Ops {
		if o.Lat.TotalCount() > 0 {
			h.Merge(o.Lat)
		}
	}
	return h
}

// MergedSvc returns a new histogram of every operation's service times, or
// nil when the view has none.
func (v *View) MergedSvc() *hdrhistogram.Histogram {
	return v.merged(func(o *OpView) *hdrhistogram.Histogram { return o.Svc })
}

// MergedLag returns a new histogram of every operation's schedule lags, or
// nil when the view has none.
func (v *View) MergedLag() *hdrhistogram.Histogram {
	return v.merged(func(o *OpView) *hdrhistogram.Histogram { return o.Lag })
}

// MergedOmit returns a new histogram of every dropped iteration's lateness,
// or nil when none was dropped.
func (v *View) MergedOmit() *hdrhistogram.Histogram {
	return v.merged(func(o *OpView) *hdrhistogram.Histogram { return o.Omit })
}

func (v *View) merged(field func(*OpView) *hdrhistogram.Histogram) *hdrhistogram.Histogram {
	var h *hdrhistogram.Histogram
	for i := range v.Ops {
		if f := field(&v.Ops[i]); f != nil {
			if h == nil {
				h = NewHist()
			}
			if f.TotalCount() > 0 {
				h.Merge(f)
			}
		}
	}
	return h
}

// Collector owns the interval and cumulative views of a Set. It is used by
// one goroutine.
type Collector struct {
	set      *Set
	Interval *View
	Cum      *View
}

// NewCollector returns the collector of s.
func (s *Set) NewCollector() *Collector {
	return &Collector{
		set:      s,
		Interval: newView(s.nops, s.service),
		Cum:      newView(s.nops, s.service),
	}
}

// Collect drains every shard into c.Interval (after resetting it) and adds
// the interval into c.Cum.
func (c *Collector) Collect() {
	c.Interval.Reset()
	for _, sh := range c.set.shards {
		sh.mu.Lock()
		for i := range sh.ops {
			a, o := &sh.ops[i], &c.Interval.Ops[i]
			if a.ops == 0 && (a.svc == nil || a.svc.TotalCount() == 0) && (a.omit == nil || a.omit.TotalCount() == 0) {
				continue
			}
			o.Ops += a.ops
			o.Errors += a.errors
			a.ops, a.errors = 0, 0
			if a.lat.TotalCount() > 0 {
				o.Lat.Merge(a.lat)
				a.lat.Reset()
			}
			if a.svc != nil && a.svc.TotalCount() > 0 {
				o.Svc.Merge(a.svc)
				a.svc.Reset()
				o.Lag.Merge(a.lag)
				a.lag.Reset()
			}
			if a.omit != nil && a.omit.TotalCount() > 0 {
				o.Omit = mergeInto(o.Omit, a.omit)
				a.omit.Reset()
			}
		}
		sh.mu.Unlock()
	}
	c.Cum.Merge(c.Interval)
}

// Summary is a latency distribution's statistics in nanoseconds.
type Summary struct {
	Count                              int64
	Min, Mean, StdDev                  float64
	P50, P75, P90, P95, P99, P999, Max float64
}

// Summarize computes the statistics of h (nil or empty gives zeros).
func Summarize(h *hdrhistogram.Histogram) Summary {
	if h == nil || h.TotalCount() == 0 {
		return Summary{}
	}
	q := h.ValueAtPercentilesSlice([]float64{50, 75, 90, 95, 99, 99.9})
	s := Summary{
		Count:  h.TotalCount(),
		Min:    float64(h.Min()),
		Mean:   h.Mean(),
		StdDev: h.StdDev(),
		Max:    float64(h.Max()),
	}
	s.P50, s.P75, s.P90, s.P95, s.P99, s.P999 = float64(q[0]), float64(q[1]), float64(q[2]), float64(q[3]), float64(q[4]), float64(q[5])
	if math.IsNaN(s.StdDev) {
		s.StdDev = 0
	}
	return s
}
