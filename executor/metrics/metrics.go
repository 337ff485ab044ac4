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
// Instead, each worker owns a Recorder: a small staging buffer (Stage words,
// 2 KB) of packed uint64 words, each holding the operation index, an error
// bit, a kind bit (latency or service time) and the value in nanoseconds.
// Recording is a store into the buffer and an increment: no lock, no atomic,
// no allocation. When the buffer is full (every few hundred operations), when
// the worker notices a new snapshot epoch, before it parks or sleeps for long,
// and when it exits, it flushes the buffer into one of a few shards. A shard
// holds one interval histogram per operation (two for open models) and the
// interval counters, behind a mutex that is therefore taken once per batch,
// never per operation. Shards are picked by worker id, and a flush tries the
// other shards with TryLock before it waits, so workers rarely contend.
//
// The collector (Set.Collect), once per snapshot interval, drains every shard
// under its lock into the interval view, which it then merges into the
// cumulative histograms. Memory is therefore bounded by the number of shards
// (GOMAXPROCS, at most 16) and operations, not by the number of workers:
// about (shards + 3) × ops × (1 or 2) histograms per scenario (the shards,
// the collector's interval, cumulative and pending-series views), plus 2 KB
// per worker. On 2 cores a closed-model scenario with one operation holds
// about 1.4 MB whatever its number of workers; an open-model one with three
// operations about 8 MB.
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

// Stage is the number of words a Recorder buffers before it flushes.
const Stage = 256

// Word layout: bits 0..53 value (ns), bit 54 error, bit 55 kind (service
// time), bits 56..63 operation index.
const (
	valueBits = 54
	valueMask = 1<<valueBits - 1
	errBit    = 1 << 54
	svcBit    = 1 << 55
	opShift   = 56
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
	lat, svc    *hdrhistogram.Histogram
	ops, errors int64
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
			}
		}
		s.shards = append(s.shards, sh)
	}
	return s
}

// Service reports whether the Set records service times.
func (s *Set) Service() bool { return s.service }

// Ops returns the number of operations.
func (s *Set) Ops() int { return s.nops }

// Recorder is one worker's staging buffer. It is used by one goroutine.
type Recorder struct {
	n     int
	buf   [Stage]uint64
	set   *Set
	shard int
}

// NewRecorder returns a recorder for worker id.
func (s *Set) NewRecorder(id int) *Recorder {
	return &Recorder{set: s, shard: id % len(s.shards)}
}

// Record stages one operation's latency. It never locks or allocates; every
// Stage words it flushes.
func (r *Recorder) Record(op int, failed bool, latency time.Duration) {
	w := uint64(latency)&valueMask | uint64(op)<<opShift
	if failed {
		w |= errBit
	}
	r.buf[r.n] = w
	r.n++
	if r.n == Stage {
		r.Flush()
	}
}

// Record2 stages one open-model operation: its latency (from the intended
// start) and its service time (from the actual start).
func (r *Recorder) Record2(op int, failed bool, latency, service time.Duration) {
	if r.n+2 > Stage {
		r.Flush()
	}
	w := uint64(latency)&valueMask | uint64(op)<<opShift
	if failed {
		w |= errBit
	}
	r.buf[r.n] = w
	r.buf[r.n+1] = uint64(service)&valueMask | uint64(op)<<opShift | svcBit
	r.n += 2
	if r.n == Stage {
		r.Flush()
	}
}

// Pending reports whether the recorder holds staged words.
func (r *Recorder) Pending() bool { return r.n > 0 }

// Flush moves the staged words into a shard.
func (r *Recorder) Flush() {
	if r.n == 0 {
		return
	}
	shards := r.set.shards
	var sh *shard
	for i := range shards {
		c := shards[(r.shard+i)%len(shards)]
		if c.mu.TryLock() {
			sh = c
			break
		}
	}
	if sh == nil {
		sh = shards[r.shard]
		sh.mu.Lock()
	}
	nops := len(sh.ops)
	for _, w := range r.buf[:r.n] {
		op := int(w >> opShift)
		if op >= nops {
			op = nops - 1
		}
		a := &sh.ops[op]
		v := clamp(w & valueMask)
		if w&svcBit != 0 {
			if a.svc != nil {
				_ = a.svc.RecordValue(v)
			}
			continue
		}
		_ = a.lat.RecordValue(v)
		a.ops++
		if w&errBit != 0 {
			a.errors++
		}
	}
	sh.mu.Unlock()
	r.n = 0
}

// OpView is the figures of one operation over some period.
type OpView struct {
	Ops, Errors int64
	Lat, Svc    *hdrhistogram.Histogram
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
		}
	}
}

// Totals returns the summed counters of every operation.
func (v *View) Totals() (ops, errors int64) {
	for _, o := range v.Ops {
		ops += o.Ops
		errors += o.Errors
	}
	return ops, errors
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
	if len(v.Ops) == 0 || v.Ops[0].Svc == nil {
		return nil
	}
	h := NewHist()
	for _, o := range v.Ops {
		if o.Svc.TotalCount() > 0 {
			h.Merge(o.Svc)
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
			if a.ops == 0 && (a.svc == nil || a.svc.TotalCount() == 0) {
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
