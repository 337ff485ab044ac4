package executor

import (
	"slices"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/executor/metrics"
)

// The runner measures itself: a probe goroutine per scenario asks to wake
// every probePeriod and records how late it woke. A wake-up is late when the
// process could not run it: the machine gave the process's threads to
// another process, a GC stopped the world, the CPU quota ran out, or every
// P was busy. The probe does no work and reads the clock once per wake, so
// it costs about 200 wake-ups a second and its lateness is the process's
// and the machine's, never the target's (whose operations it does not
// run).
const (
	probePeriod = 5 * time.Millisecond
	// probePauses bounds the pause windows one probe keeps.
	probePauses = 4096
	// calibrationWakes is the number of wake-ups of the jitter
	// calibration at the start of a run (about 50ms).
	calibrationWakes = 50
	// pauseMin is the least lateness that counts as a pause of the
	// process, whatever the calibration says: below it, a late wake-up is
	// the timer's and the scheduler's ordinary jitter.
	pauseMin = 2 * time.Millisecond
	// jitterFactor times the calibrated jitter is a pause too.
	jitterFactor = 4
)

// pauseWindow is a span in which the probe could not run: from the wake-up
// it asked for to the one it got, as offsets from the scenario's start.
type pauseWindow struct{ from, to time.Duration }

// pauseProbe is one scenario's probe. run belongs to its own goroutine;
// take and windows may be called from another (the collector) and lock.
type pauseProbe struct {
	base   time.Time
	period time.Duration
	floor  time.Duration

	mu       sync.Mutex
	iv       *hdrhistogram.Histogram // lateness since the last take
	all      *hdrhistogram.Histogram
	pauses   []pauseWindow
	overflow bool
}

func newPauseProbe(base time.Time, floor time.Duration) *pauseProbe {
	return &pauseProbe{base: base, period: probePeriod, floor: max(floor, pauseMin), iv: metrics.NewHist(), all: metrics.NewHist()}
}

// run wakes every period until stop is closed.
func (p *pauseProbe) run(stop <-chan struct{}) {
	next := time.Since(p.base) + p.period
	t := time.NewTimer(p.period)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := time.Since(p.base)
		p.record(next, now)
		next += p.period
		if next <= now {
			next = now + p.period
		}
		t.Reset(next - now)
	}
}

// record notes a wake-up asked for at due that came at now.
func (p *pauseProbe) record(due, now time.Duration) {
	late := max(now-due, 0)
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.iv.RecordValue(int64(late))
	_ = p.all.RecordValue(int64(late))
	if late >= p.floor {
		if len(p.pauses) < probePauses {
			p.pauses = append(p.pauses, pauseWindow{from: due, to: now})
		} else {
			p.overflow = true
		}
	}
}

// probeFigures summarise the probe's lateness over a span.
type probeFigures struct {
	N        int64
	P99, Max time.Duration
	// wake is the lateness statistic by statistic.
	wake LatencyStats
}

// take returns the lateness since the previous take and starts a new span.
func (p *pauseProbe) take() probeFigures {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := figuresOf(p.iv)
	p.iv.Reset()
	return f
}

// total returns the lateness over the whole scenario.
func (p *pauseProbe) total() probeFigures {
	p.mu.Lock()
	defer p.mu.Unlock()
	return figuresOf(p.all)
}

func figuresOf(h *hdrhistogram.Histogram) probeFigures {
	if h.TotalCount() == 0 {
		return probeFigures{}
	}
	return probeFigures{N: h.TotalCount(), P99: time.Duration(h.ValueAtQuantile(99)), Max: time.Duration(h.Max()), wake: latencyStats(h)}
}

// windows returns a copy of the pause windows, in order.
func (p *pauseProbe) windows() []pauseWindow {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.pauses)
}

// overlap returns how much of [from, to) the windows cover. ws is sorted by
// from and its windows do not overlap (the probe wakes in order).
func overlap(ws []pauseWindow, from, to time.Duration) time.Duration {
	var sum time.Duration
	i, _ := slices.BinarySearchFunc(ws, from, func(w pauseWindow, t time.Duration) int {
		switch {
		case w.to <= t:
			return -1
		case w.from > t:
			return 1
		}
		return 0
	})
	for ; i < len(ws) && ws[i].from < to; i++ {
		lo, hi := max(ws[i].from, from), min(ws[i].to, to)
		if hi > lo {
			sum += hi - lo
		}
	}
	return sum
}

// calibrateJitter measures the machine's ordinary wake-up lateness at the
// start of a run: n wake-ups of 1ms, and returns the lateness that 90% of
// them stayed under. A busy neighbour at that moment makes it larger, and
// the thresholds built on it (pauses, the saturation flag) less sensitive:
// they then describe what this machine gives.
func calibrateJitter(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	late := make([]time.Duration, 0, n)
	t := time.NewTimer(time.Millisecond)
	defer t.Stop()
	for range n {
		due := time.Now().Add(time.Millisecond)
		t.Reset(time.Millisecond)
		<-t.C
		late = append(late, max(time.Since(due), 0))
	}
	slices.Sort(late)
	return late[(len(late)*9)/10]
}
