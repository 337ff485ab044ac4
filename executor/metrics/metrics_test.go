package metrics

import (
	"slices"
	"sync"
	"testing"
	"time"
)

func TestRecordersAreExact(t *testing.T) {
	s := NewSet(2, true)
	c := s.NewCollector()
	var wg sync.WaitGroup
	for id := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.NewRecorder(id)
			for i := range 10000 {
				op := i % 2
				if r.Record2(op, i%10 == 0, time.Duration(i+1)*time.Microsecond, time.Duration(i+1)) {
					r.Flush()
				}
			}
			r.Flush()
		}()
	}
	wg.Wait()
	c.Collect()
	ops, errs := c.Cum.Totals()
	if ops != 40000 || errs != 4000 {
		t.Fatalf("ops=%d errors=%d", ops, errs)
	}
	for i, o := range c.Cum.Ops {
		if o.Ops != 20000 || o.Lat.TotalCount() != 20000 || o.Svc.TotalCount() != 20000 {
			t.Fatalf("op %d: %+v", i, o)
		}
	}
	sum := Summarize(c.Cum.MergedLat())
	if p := time.Duration(sum.P50); p < 4990*time.Microsecond || p > 5010*time.Microsecond {
		t.Errorf("p50 = %v, want 5ms", p)
	}
	if m := time.Duration(sum.Max); m < 9990*time.Microsecond || m > 10010*time.Microsecond {
		t.Errorf("max = %v, want 10ms", m)
	}
	// A second collect with nothing new leaves an empty interval.
	c.Collect()
	if n, _ := c.Interval.Totals(); n != 0 {
		t.Errorf("interval after drain = %d", n)
	}
}

func TestRecordAllocs(t *testing.T) {
	s := NewSet(1, false)
	r := s.NewRecorder(0)
	a := testing.AllocsPerRun(10, func() {
		for i := range 1000 {
			if r.Record(0, false, time.Duration(i)) {
				r.Flush()
			}
		}
	})
	if a != 0 {
		t.Fatalf("%v allocs", a)
	}
}

func TestClampOutOfRange(t *testing.T) {
	s := NewSet(1, false)
	c := s.NewCollector()
	r := s.NewRecorder(0)
	r.Record(0, false, 0)
	r.Record(0, false, 2*time.Hour)
	r.Flush()
	c.Collect()
	if n := c.Cum.Ops[0].Lat.TotalCount(); n != 2 {
		t.Fatalf("count = %d", n)
	}
}

func BenchmarkRecord(b *testing.B) {
	s := NewSet(1, false)
	r := s.NewRecorder(0)
	b.ReportAllocs()
	for i := range b.N {
		if r.Record(0, false, time.Duration(i&1023)) {
			r.Flush()
		}
	}
}

// TestScheduleLagAndOmitted checks that the flush derives each open-model
// operation's schedule lag from its latency and service time, and keeps
// dropped iterations apart from completed ones.
func TestScheduleLagAndOmitted(t *testing.T) {
	t.Parallel()
	s := NewSet(2, true)
	c := s.NewCollector()
	r := s.NewRecorder(0)
	for i := range 1000 {
		lat := time.Duration(100+i) * time.Microsecond
		svc := 100 * time.Microsecond
		if r.Record2(i%2, false, lat, svc) {
			r.Flush()
		}
	}
	for i := range 10 {
		if r.Omit(1, time.Duration(i+1)*time.Second) {
			r.Flush()
		}
	}
	r.Flush()
	c.Collect()
	var lags, omitted int64
	for i, o := range c.Cum.Ops {
		if o.Ops != 500 || o.Svc.TotalCount() != 500 || o.Lag.TotalCount() != 500 {
			t.Fatalf("op %d: ops=%d svc=%d lag=%d", i, o.Ops, o.Svc.TotalCount(), o.Lag.TotalCount())
		}
		lags += o.Lag.TotalCount()
		omitted += o.Omitted()
	}
	if omitted != 10 || c.Cum.Ops[0].Omit != nil {
		t.Fatalf("omitted = %d (op 0 omit %v), want 10 on op 1 only", omitted, c.Cum.Ops[0].Omit)
	}
	lag := Summarize(c.Cum.MergedLag())
	if mx := time.Duration(lag.Max); mx < 998*time.Microsecond || mx > 1000*time.Microsecond {
		t.Errorf("lag max = %v, want 999µs", mx)
	}
	if mn := time.Duration(lag.Min); mn > time.Nanosecond {
		t.Errorf("lag min = %v, want 0 (recorded as 1ns)", mn)
	}
	om := Summarize(c.Cum.MergedOmit())
	if om.Count != 10 || time.Duration(om.Max) < 9990*time.Millisecond {
		t.Errorf("omitted summary = %+v", om)
	}
	if n, _ := c.Cum.Totals(); n != 1000 {
		t.Errorf("ops = %d: dropped iterations must not count as operations", n)
	}
}

// TestRecorderGrows: a recorder starts small, doubles each time it fills
// up, up to Stage words, and stays small when flushed before it fills.
func TestRecorderGrows(t *testing.T) {
	s := NewSet(1, true)
	c := s.NewCollector()
	slow := s.NewRecorder(0)
	for range 100 {
		slow.Record2(0, false, time.Millisecond, time.Millisecond)
		slow.Flush() // a flush at every snapshot, before the buffer fills
	}
	if slow.Cap() != StageMin {
		t.Errorf("slow recorder: %d words, want %d", slow.Cap(), StageMin)
	}
	fast := s.NewRecorder(1)
	var caps []int
	for range 10 * Stage {
		if fast.Record2(0, false, time.Millisecond, time.Millisecond) {
			fast.Flush()
			if n := len(caps); n == 0 || caps[n-1] != fast.Cap() {
				caps = append(caps, fast.Cap())
			}
		}
	}
	fast.Flush()
	var want []int
	for n := 2 * StageMin; n <= Stage; n *= 2 {
		want = append(want, n)
	}
	if !slices.Equal(caps, want) {
		t.Errorf("capacities after each full flush: %v, want %v", caps, want)
	}
	c.Collect()
	if n, _ := c.Cum.Totals(); n != 100+10*Stage {
		t.Errorf("ops = %d, want %d", n, 100+10*Stage)
	}
}
