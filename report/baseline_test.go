package report

import (
	"math"
	"strings"
	"testing"
)

func TestBaselineMetric(t *testing.T) {
	t.Parallel()
	rep := func(p99ms, thr float64) PlanDoc {
		op := OpDoc{Name: "get", Ops: 100, Errors: 1, ErrorRate: 0.01, Throughput: thr, Latency: LatencyDoc{P50: 1e6, P99: int64(p99ms * 1e6)}}
		return PlanDoc{Name: "p", Scenarios: []ScenarioDoc{{
			Name: "s", ElapsedNS: 2e9, Total: op, Ops: []OpDoc{op}, Dropped: 3, VUsMax: 4,
			TargetStats: map[string]float64{"hit_ratio": 0.9},
		}}}
	}
	d := &Document{Plans: []PlanDoc{rep(3, 100), rep(1, 300), rep(2, 200), {Name: "p", Error: "target failed"}, {Name: "empty", Scenarios: []ScenarioDoc{{Name: "s"}}}}}
	b := NewBaseline(d, "base.json")
	tests := []struct {
		plan, scenario, metric string
		want                   float64
		err                    string
	}{
		{"p", "s", "latency.p99", 2, ""}, // median of 3, 1, 2
		{"p", "s", "throughput", 200, ""},
		{"p", "s", "op.get.latency.p50", 1, ""},
		{"p", "s", "op.get.error_rate", 0.01, ""},
		{"p", "s", "ops", 100, ""},
		{"p", "s", "errors", 1, ""},
		{"p", "s", "target.hit_ratio", 0.9, ""},
		{"p", "s", "dropped", 3, ""},
		{"p", "s", "vus_max", 4, ""},
		{"p", "s", "elapsed", 2000, ""},
		{"p", "s", "target.nope", 0, "has no value of target.nope"},
		{"p", "s", "op.put.ops", 0, "has no value"},
		{"p", "t", "ops", 0, `scenario "t" of plan "p" is not in baseline base.json`},
		{"q", "s", "ops", 0, `plan "q" is not in baseline base.json`},
		{"empty", "s", "latency.p99", 0, "has no value"}, // no operations, so no latency
		{"empty", "s", "ops", 0, ""},
	}
	for _, tt := range tests {
		got, err := b.Metric(tt.plan, tt.scenario, tt.metric)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s/%s %s: err = %v, want %q", tt.plan, tt.scenario, tt.metric, err, tt.err)
			}
			continue
		}
		if err != nil || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s/%s %s = %v, %v; want %v", tt.plan, tt.scenario, tt.metric, got, err, tt.want)
		}
	}
	if !b.Has("p") || b.Has("q") {
		t.Error("Has")
	}
}

// TestBaselineMedianEven: with an even number of repetitions the baseline is
// the mean of the two middle values.
func TestBaselineMedianEven(t *testing.T) {
	t.Parallel()
	rep := func(thr float64) PlanDoc {
		return PlanDoc{Name: "p", Scenarios: []ScenarioDoc{{Name: "s", Total: OpDoc{Throughput: thr}}}}
	}
	b := NewBaseline(&Document{Plans: []PlanDoc{rep(400), rep(100), rep(300), rep(200)}}, "base.json")
	if got, err := b.Metric("p", "s", "throughput"); err != nil || got != 250 {
		t.Errorf("throughput = %v, %v; want 250", got, err)
	}
}

func TestRepetitionLabels(t *testing.T) {
	t.Parallel()
	d := &Document{Plans: []PlanDoc{{Name: "a"}, {Name: "b"}, {Name: "a"}}}
	var names []string
	for _, s := range JUnit(d).Suites {
		names = append(names, s.Name)
	}
	if got, want := strings.Join(names, "|"), "a (repetition 1/2)|b|a (repetition 2/2)"; got != want {
		t.Errorf("JUnit suites %q, want %q", got, want)
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "plan `a` (repetition 2/2)") || strings.Contains(md.String(), "plan `b` (") {
		t.Errorf("markdown:\n%s", md.String())
	}
	var tab strings.Builder
	if err := WriteDocumentTables(&tab, d, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"plan a repetition 1/2:", "plan a repetition 2/2:", "last repetition of plan a in full", "plan b ("} {
		if !strings.Contains(tab.String(), want) {
			t.Errorf("tables lack %q:\n%s", want, tab.String())
		}
	}
}
