package http

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Phase indexes, in the order of phases.
const (
	phaseConnect = iota
	phaseTLS
	phaseTTFB
	numPhases
)

// phaseRec records one worker's phase timings (microseconds). The trace
// callbacks may run on the client's goroutines, so it is locked.
type phaseRec struct {
	mu    sync.Mutex
	hist  [numPhases]*hdrhistogram.Histogram
	total [numPhases]time.Duration
	count [numPhases]int64
}

func newPhaseRec() *phaseRec {
	p := &phaseRec{}
	for i := range p.hist {
		p.hist[i] = newPhaseHist()
	}
	return p
}

// newPhaseHist covers 1µs to 10 minutes at 2 significant digits.
func newPhaseHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 2)
}

func (p *phaseRec) record(phase int, d time.Duration) {
	if d < 0 {
		return
	}
	us := max(int64(d/time.Microsecond), 1)
	p.mu.Lock()
	_ = p.hist[phase].RecordValue(min(us, p.hist[phase].HighestTrackableValue()))
	p.total[phase] += d
	p.count[phase]++
	p.mu.Unlock()
}

// phaseStats adds the phases' statistics, merged over recs, to m: per
// phase, the total (ms) and count (counters, whose ratio over a span is the
// mean) and p50, p99 and max (ms, over the target's life).
func phaseStats(m map[string]float64, recs []*phaseRec) {
	for i, name := range phases {
		h := newPhaseHist()
		var total time.Duration
		var count int64
		for _, r := range recs {
			r.mu.Lock()
			h.Merge(r.hist[i])
			total += r.total[i]
			count += r.count[i]
			r.mu.Unlock()
		}
		m[name+phaseTotalSuffix] = ms(total)
		m[name+phaseCountSuffix] = float64(count)
		m[name+phaseMeanSuffix] = 0
		if count > 0 {
			m[name+phaseMeanSuffix] = ms(total) / float64(count)
		}
		for _, q := range phaseQuantiles {
			v := 0.0
			if count > 0 {
				v = float64(h.ValueAtQuantile(q.q)) / 1000
				if q.q == 100 {
					v = float64(h.Max()) / 1000
				}
			}
			m[name+"_"+q.name] = v
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
