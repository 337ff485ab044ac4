package executor

import (
	"testing"
	"time"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
)

// TestStageFiguresCredit: each collection counts in the stage that ran
// when the collection before it was taken, and a stage's span runs from
// its first credited collection's start to its last one's end; after the
// last stage (a ramp-down), collections count in the last stage.
func TestStageFiguresCredit(t *testing.T) {
	t.Parallel()
	set := metrics.NewSet(1, false)
	f := &stageFigures{plan: []plan.Stage{{Name: "ramp", Duration: time.Second}, {Name: "steady", Duration: 2 * time.Second}},
		ends: []time.Duration{time.Second, 3 * time.Second}, from: make([]time.Duration, 2), to: make([]time.Duration, 2),
		seen: make([]bool, 2), views: []*metrics.View{set.NewCollector().Interval, set.NewCollector().Interval}}
	iv := func(ops int64) *metrics.View {
		v := set.NewCollector().Interval
		v.Ops[0].Ops = ops
		return v
	}
	for _, c := range []struct {
		at  time.Duration
		ops int64
	}{
		{500 * time.Millisecond, 10},  // from 0: ramp
		{1020 * time.Millisecond, 5},  // the cut at the boundary: ramp
		{2 * time.Second, 100},        // from 1.02s: steady
		{3020 * time.Millisecond, 90}, // the last one: steady
		{3500 * time.Millisecond, 7},  // ramp-down after the stages: steady
	} {
		f.credit(iv(c.ops), c.at)
	}
	if got := f.views[0].Ops[0].Ops; got != 15 {
		t.Errorf("ramp ops %d, want 15", got)
	}
	if got := f.views[1].Ops[0].Ops; got != 197 {
		t.Errorf("steady ops %d, want 197", got)
	}
	if f.from[0] != 0 || f.to[0] != 1020*time.Millisecond || f.from[1] != 1020*time.Millisecond || f.to[1] != 3500*time.Millisecond {
		t.Errorf("spans ramp %v–%v, steady %v–%v", f.from[0], f.to[0], f.from[1], f.to[1])
	}
	if f.index(999*time.Millisecond) != 0 || f.index(time.Second) != 1 || f.index(time.Hour) != 1 {
		t.Error("index")
	}
}
