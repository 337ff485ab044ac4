package executor

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
)

func segments(n int) []plan.Segment {
	out := make([]plan.Segment, n)
	for i := range out {
		out[i] = plan.Segment{Index: i, Count: n}
	}
	return out
}

func segmentConfig(t *testing.T, cfg Config, seg plan.Segment) Config {
	t.Helper()
	c, err := cfg.Segment(seg)
	if err != nil {
		t.Fatalf("Segment(%v): %v", seg, err)
	}
	return c.(Config)
}

// TestSegmentSplitsWorkersAndIterations checks the closed models' splits:
// workers and shared iterations add up exactly (10 VUs over 3: 4+3+3).
func TestSegmentSplitsWorkersAndIterations(t *testing.T) {
	var vus []int
	for _, seg := range segments(3) {
		vus = append(vus, segmentConfig(t, &ConstantVUs{VUs: 10, Duration: time.Second}, seg).(*ConstantVUs).VUs)
	}
	if !slices.Equal(vus, []int{4, 3, 3}) {
		t.Errorf("constant-vus 10 over 3 = %v, want [4 3 3]", vus)
	}
	var iters, total, perVU int64
	for _, seg := range segments(3) {
		c := segmentConfig(t, &SharedIterations{VUs: 4, Iterations: 1000, MaxDuration: time.Minute}, seg).(*SharedIterations)
		iters += c.Iterations
		total += c.run().total()
		p := segmentConfig(t, &PerVUIterations{VUs: 7, Iterations: 13, MaxDuration: time.Minute}, seg).(*PerVUIterations)
		perVU += p.run().total()
	}
	if iters != 1000 || total != 1000 {
		t.Errorf("shared-iterations 1000 over 3 = %d (%d by the executors), want 1000", iters, total)
	}
	if perVU != 7*13 {
		t.Errorf("per-vu-iterations 7x13 over 3 = %d, want %d", perVU, 7*13)
	}
	// More segments than workers: the extra segments run none, but a
	// shared-iterations segment with iterations keeps a worker.
	c := segmentConfig(t, &SharedIterations{VUs: 2, Iterations: 5, MaxDuration: time.Minute}, plan.Segment{Index: 2, Count: 3}).(*SharedIterations)
	if c.Iterations != 1 || c.VUs != 1 {
		t.Errorf("shared-iterations 2 VUs/5 iterations, segment 2/3 = %d VUs, %d iterations; want 1, 1", c.VUs, c.Iterations)
	}
	if _, err := (&Breakpoint{}).Segment(plan.Segment{Index: 0, Count: 2}); !errors.Is(err, ErrBreakpointSegment) {
		t.Errorf("breakpoint Segment error = %v", err)
	}
}

// TestSegmentRampingVUsAddUp checks that at every step of the whole plan,
// the segments' active workers add up to the whole plan's.
func TestSegmentRampingVUsAddUp(t *testing.T) {
	cfg := &RampingVUs{StartVUs: 2, Stages: []plan.Stage{
		{Duration: time.Second, Target: 11}, {Duration: 500 * time.Millisecond, Target: 11},
		{Duration: 0, Target: 4}, {Duration: time.Second, Target: 0},
	}}
	whole := cfg.run().(*rampingVUs)
	at := func(e *rampingVUs, t time.Duration) int {
		n := e.startVUs
		for _, st := range e.steps {
			if st.at > t {
				break
			}
			n = st.vus
		}
		return n
	}
	var segs []*rampingVUs
	maxSum := 0
	for _, seg := range segments(3) {
		e := segmentConfig(t, cfg, seg).run().(*rampingVUs)
		segs = append(segs, e)
		maxSum += e.maxVUs
	}
	if maxSum != whole.maxVUs {
		t.Errorf("segments' max workers add up to %d, want %d", maxSum, whole.maxVUs)
	}
	times := []time.Duration{0}
	for _, st := range whole.steps {
		times = append(times, st.at, st.at+1)
	}
	for _, tm := range times {
		sum := 0
		for _, e := range segs {
			sum += at(e, tm)
		}
		if want := at(whole, tm); sum != want {
			t.Fatalf("at %v the segments run %d workers, the whole plan %d", tm, sum, want)
		}
	}
}

// TestSegmentScheduleStriped checks that the segments of an open model run
// exactly the whole plan's iterations, at the same intended starts,
// interleaved: the union of their schedules is the whole schedule.
func TestSegmentScheduleStriped(t *testing.T) {
	cfg := &RampingArrivalRate{StartRate: 10, TimeUnit: time.Second, PreAllocatedVUs: 5, MaxVUs: 10, Stages: []plan.Stage{
		{Duration: time.Second, Target: 1000}, {Duration: 2 * time.Second, Target: 333}, {Duration: time.Second, Target: 0},
	}}
	list := func(s *arrivalSchedule) []time.Duration {
		var out []time.Duration
		var cur int
		for i := int64(0); ; i++ {
			d, ok := s.at(i, &cur)
			if !ok {
				return out
			}
			out = append(out, d)
		}
	}
	whole := list(cfg.run().(*arrivalRate).sched)
	var all []time.Duration
	pre, maxVUs := 0, 0
	for _, seg := range segments(4) {
		c := segmentConfig(t, cfg, seg).(*RampingArrivalRate)
		pre += c.PreAllocatedVUs
		maxVUs += c.MaxVUs
		s := c.run().(*arrivalRate).sched
		got := list(s)
		if int64(len(got)) != s.count() {
			t.Errorf("segment %v: %d iterations, count() %d", seg, len(got), s.count())
		}
		if len(got) > 0 && got[0] != whole[seg.Index] {
			t.Errorf("segment %v starts at %v, want the whole plan's iteration %d at %v", seg, got[0], seg.Index, whole[seg.Index])
		}
		all = append(all, got...)
	}
	if pre != 5 || maxVUs != 10 {
		t.Errorf("workers split into %d pre-allocated, %d max; want 5, 10", pre, maxVUs)
	}
	slices.Sort(all)
	if !slices.Equal(all, whole) {
		t.Fatalf("segments' schedules (%d iterations) differ from the whole plan's (%d)", len(all), len(whole))
	}
}

// TestSegmentPlan checks SegmentPlan: the copy, the recorded segment, and
// the error that names a breakpoint scenario.
func TestSegmentPlan(t *testing.T) {
	sc := &plan.Scenario{Name: "cv", Config: &ConstantVUs{VUs: 5, Duration: time.Second}, Workload: workload(noopTarget())}
	p := onePlan(sc)
	got, err := SegmentPlan(p, plan.Segment{Index: 1, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got.Segment != (plan.Segment{Index: 1, Count: 2}) || got.Scenarios[0].Config.(*ConstantVUs).VUs != 2 {
		t.Errorf("segment 1/2: %v, %d VUs", got.Segment, got.Scenarios[0].Config.(*ConstantVUs).VUs)
	}
	if p.Scenarios[0].Config.(*ConstantVUs).VUs != 5 || !p.Segment.Whole() {
		t.Error("SegmentPlan changed its argument")
	}
	bp := &plan.Scenario{Name: "search", Config: &Breakpoint{}, Workload: workload(noopTarget())}
	if _, err := SegmentPlan(onePlan(bp), plan.Segment{Index: 0, Count: 2}); err == nil || !errors.Is(err, ErrBreakpointSegment) {
		t.Errorf("breakpoint: err = %v", err)
	}
}

// TestSegmentsRunAddUp runs a shared-iterations plan and an arrival-rate
// plan as three segments at once and checks that their operations add up to
// the whole plan's: exactly for iterations; for arrivals, every scheduled
// iteration is either run or counted as dropped, but for the last one of a
// segment whose worker, on a loaded machine, wakes for it only after the
// schedule ended.
func TestSegmentsRunAddUp(t *testing.T) {
	shared := &plan.Scenario{Name: "si", Config: &SharedIterations{VUs: 4, Iterations: 1001, MaxDuration: time.Minute}, Workload: workload(noopTarget())}
	rate := &plan.Scenario{Name: "car", Config: &ConstantArrivalRate{Rate: 600, TimeUnit: time.Second, Duration: 500 * time.Millisecond, PreAllocatedVUs: 3, MaxVUs: 30}, Workload: workload(noopTarget())}
	vus := &plan.Scenario{Name: "cv", Config: &ConstantVUs{VUs: 2, Duration: 200 * time.Millisecond}, Workload: workload(noopTarget())}
	p := onePlan(shared, rate, vus)
	results := make([]*Result, 3)
	var wg sync.WaitGroup
	start := time.Now().Add(200 * time.Millisecond)
	for i, seg := range segments(3) {
		sp, err := SegmentPlan(p, seg)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := Run(context.Background(), sp, Options{StartAt: start, NoResources: true})
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = res
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var si, car, dropped int64
	vuPeaks := 0
	for _, r := range results {
		if r.Start.Before(start) {
			t.Errorf("segment %v started at %v, before the common start %v", r.Plan.Segment, r.Start, start)
		}
		si += r.Scenarios[0].Total.Ops
		car += r.Scenarios[1].Total.Ops
		dropped += r.Scenarios[1].Dropped
		vuPeaks += r.Scenarios[2].VUsMax
	}
	if si != 1001 {
		t.Errorf("shared-iterations: %d operations over 3 segments, want 1001", si)
	}
	if car+dropped > 300 || car+dropped < 297 {
		t.Errorf("constant-arrival-rate: %d run + %d dropped over 3 segments, want 300 (at least 297)", car, dropped)
	}
	if vuPeaks != 2 {
		t.Errorf("constant-vus 2 over 3 segments peaked at %d workers in all, want 2", vuPeaks)
	}
}

// TestStartAtInterrupted checks that a run waiting for its start time ends
// as interrupted when its context is cancelled.
func TestStartAtInterrupted(t *testing.T) {
	sc := &plan.Scenario{Name: "cv", Config: &ConstantVUs{VUs: 1, Duration: time.Second}, Workload: workload(noopTarget())}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res, err := Run(ctx, onePlan(sc), Options{StartAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || len(res.Scenarios) != 0 {
		t.Errorf("interrupted = %v, %d scenarios", res.Interrupted, len(res.Scenarios))
	}
}
