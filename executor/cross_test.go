package executor

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// duetSeries is n+2 series points (the first and last are left out) whose
// p50 is base × factor(i) × the common noise of interval i.
func duetSeries(n int, base time.Duration, noise func(i int) float64) []SeriesPoint {
	var out []SeriesPoint
	for i := range n + 2 {
		v := time.Duration(float64(base) * noise(i))
		out = append(out, SeriesPoint{Offset: time.Duration(i+1) * time.Second, Ops: 100, Throughput: 100,
			P50: v, P90: 2 * v, P95: 2 * v, P99: 3 * v, Max: 4 * v})
	}
	return out
}

// TestCompareDuet checks the duet's pairing and its metric names on known
// series: B's intervals are 10 % slower than A's under the same noise, C's
// as fast; the first and last intervals (partial, here wildly off) are left
// out.
func TestCompareDuet(t *testing.T) {
	t.Parallel()
	noise := func(i int) float64 {
		if i == 0 || i == 11 {
			return 50 // partial intervals: must not count
		}
		return 1 + float64(i%3)/2
	}
	a := &ScenarioResult{Name: "a", Series: duetSeries(10, time.Millisecond, noise)}
	b := &ScenarioResult{Name: "b", Series: duetSeries(10, 1100*time.Microsecond, noise)}
	c := &ScenarioResult{Name: "c", Series: duetSeries(10, time.Millisecond, noise)}

	two := CompareDuet(&plan.Duet{Name: "d", Members: []string{"a", "b"}}, []*ScenarioResult{a, b})
	for _, name := range []string{"duet.d.latency.p50.change", "duet.d.b.latency.p99.change", "duet.d.latency.p50.low", "duet.d.latency.max.high"} {
		v, ok := two.Metric(name)
		if !ok || math.Abs(v-0.1) > 1e-3 {
			t.Errorf("%s = %v, %v; want 0.1", name, v, ok)
		}
	}
	if v, ok := two.Metric("duet.d.throughput.change"); !ok || v != 0 {
		t.Errorf("throughput change %v, %v; want 0", v, ok)
	}
	if v, ok := two.Metric("duet.d.latency.p50.pairs"); !ok || v != 10 {
		t.Errorf("pairs %v, %v; want the 10 full intervals", v, ok)
	}
	if _, ok := two.Metric("duet.d.latency.p42.change"); ok {
		t.Error("an unknown figure has a value")
	}

	three := CompareDuet(&plan.Duet{Name: "d", Members: []string{"a", "b", "c"}}, []*ScenarioResult{a, b, c})
	if v, ok := three.Metric("duet.d.c.latency.p50.change"); !ok || v != 0 {
		t.Errorf("c against a: %v, %v; want 0", v, ok)
	}
	if _, ok := three.Metric("duet.d.latency.p50.change"); ok {
		t.Error("the short form has a value with three members")
	}

	// Through a run's peers: two pairs give no verdict, and the reason.
	pe := newPeers(&plan.Plan{Scenarios: []*plan.Scenario{{Name: "a"}, {Name: "b"}},
		Duets: []*plan.Duet{{Name: "d", Members: []string{"a", "b"}}}})
	pe.publish(0, &ScenarioResult{Name: "a", Series: a.Series[:4]})
	pe.publish(1, &ScenarioResult{Name: "b", Series: b.Series[:4]})
	m := crossMetrics{peers: pe}
	if v, ok := m.Metric("duet.d.latency.p50.change"); ok {
		t.Errorf("two pairs give a change %v; want no verdict", v)
	}
	if why := m.missing("duet.d.latency.p50.change"); !strings.Contains(why, "fewer than 5") {
		t.Errorf("missing: %q; want the reason", why)
	}
	// An assertion on the declined figure is inconclusive, not failed,
	// and says why; one on a figure that exists is judged as usual.
	got := evalPlanAssertions([]*plan.Assertion{
		{Expr: "duet.d.latency.p50.change > 0.5", Condition: greaterThan("duet.d.latency.p50.change", 0.5)},
		{Expr: "scenario.b.ops > 1", Condition: greaterThan("scenario.b.ops", 1)},
	}, pe)
	if a := got[0]; a.Passed || a.Verdict() != VerdictInconclusive || !strings.Contains(a.Inconclusive, "no verdict: 2 usable pairs, fewer than 5") {
		t.Errorf("assertion on a declined duet figure: verdict %s, inconclusive %q, err %q", a.Verdict(), a.Inconclusive, a.Err)
	}
	if a := got[1]; a.Verdict() != VerdictFail {
		t.Errorf("scenario.b.ops > 1 without operations: verdict %s (%q)", a.Verdict(), a.Inconclusive)
	}
	if v, ok := m.Metric("scenario.b.latency.p50"); ok {
		t.Errorf("scenario.b.latency.p50 = %v without operations", v)
	}
	if d := pe.duetResults(); len(d) != 1 || d[0].Name != "d" {
		t.Errorf("duet results %v", d)
	}
}
