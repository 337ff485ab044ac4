package merge_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/merge"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/builtin"
)

// mergePlan has a shared-iterations scenario whose assertions only the
// whole load meets, and an arrival-rate scenario on the sleep target, whose
// statistics include a gauge.
const mergePlanSrc = `
plan "merge-me" {}

variable "iters" {
  type    = number
  default = 1000
}

target "noop" "fast" {}

target "sleep" "slow" {
  latency = "200us"
}

workload "w" {
  target = target.noop.fast
  op "get" { weight = 3 }
  op "set" { weight = 1 }
  keys { count = 100 }
}

workload "s" {
  target = target.sleep.slow
  op "get" { weight = 1 }
  keys { count = 100 }
}

scenario "shared" {
  workload   = workload.w
  executor   = "shared-iterations"
  vus        = 4
  iterations = var.iters

  assert {
    condition = ops == var.iters && op.get.ops + op.set.ops == 1000
  }
  assert {
    condition = latency.max >= latency.p50
  }
}

scenario "rate" {
  workload          = workload.s
  executor          = "constant-arrival-rate"
  rate              = 300
  duration          = "500ms"
  pre_allocated_vus = 6
  max_vus           = 60

  assert {
    condition = ops + dropped >= 147 && ops + dropped <= 150 && target.calls == ops
  }
}
`

func loadMergePlan(t *testing.T, src string) *plan.Plan {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.hcl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	p, diags := dsl.NewLoader(builtin.Registry(), nil, nil).Load(path)
	if diags.HasErrors() || p == nil {
		t.Fatalf("load: %v", diags)
	}
	return p
}

// segmentDocs runs the given segments of p (of n) one after another and
// returns their documents.
func segmentDocs(t *testing.T, p *plan.Plan, n int, which ...int) []*report.Document {
	t.Helper()
	var docs []*report.Document
	for _, i := range which {
		sp, err := executor.SegmentPlan(p, plan.Segment{Index: i, Count: n})
		if err != nil {
			t.Fatal(err)
		}
		res, err := executor.Run(context.Background(), sp, executor.Options{NoResources: i%2 == 1})
		if err != nil {
			t.Fatal(err)
		}
		d := report.NewDocument("test", 1, "")
		d.Start, d.End = res.Start, res.End
		d.AddResult(res)
		docs = append(docs, d)
	}
	return docs
}

func kindOf(name string) (*targets.Kind, bool) { return builtin.Registry().Lookup(name) }

func TestMergeSegments(t *testing.T) {
	p := loadMergePlan(t, mergePlanSrc)
	docs := segmentDocs(t, p, 3, 0, 1, 2)
	for _, d := range docs {
		if d.Plans[0].Segment == nil || d.Plans[0].Scenarios[0].Target != "noop.fast" {
			t.Fatalf("segment document: segment %v, target %q", d.Plans[0].Segment, d.Plans[0].Scenarios[0].Target)
		}
		if d.Plans[0].Scenarios[0].Assertions[0].Passed {
			t.Errorf("segment %v passed an assertion only the whole load meets", d.Plans[0].Segment)
		}
	}
	m, err := merge.Documents(docs, merge.Options{Conditions: dsl.Conditions{}, Sources: []string{"a", "b", "c"}, Kind: kindOf, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	pd := m.Plans[0]
	if pd.Merged == nil || pd.Merged.Count != 3 || len(pd.Merged.Segments) != 3 || pd.Merged.Partial || pd.Segment != nil {
		t.Fatalf("merged info %+v, segment %v", pd.Merged, pd.Segment)
	}
	sh := pd.Scenarios[0]
	if sh.Total.Ops != 1000 || sh.Ops[0].Ops+sh.Ops[1].Ops != 1000 {
		t.Errorf("shared-iterations merged %d operations (%d + %d), want 1000", sh.Total.Ops, sh.Ops[0].Ops, sh.Ops[1].Ops)
	}
	h, err := hdrhistogram.Decode([]byte(sh.Total.Histogram))
	if err != nil || h.TotalCount() != 1000 {
		t.Fatalf("merged histogram: %v, %d values", err, h.TotalCount())
	}
	if sh.Total.Latency.Max != h.Max() || sh.Total.Latency.P99 != h.ValueAtQuantile(99) {
		t.Errorf("merged latency %+v is not the merged histogram's", sh.Total.Latency)
	}
	if len(sh.Segments) != 3 || sh.Segments[1].Source != "b" || sh.VUsMax != 4 {
		t.Errorf("segments %d (second from %q), vus_max %d", len(sh.Segments), sh.Segments[1].Source, sh.VUsMax)
	}
	rate := pd.Scenarios[1]
	// Each segment may miss its last iteration when its worker wakes for
	// it after the schedule ended (a loaded machine).
	if n := rate.Total.Ops + rate.Dropped; n > 150 || n < 147 {
		t.Errorf("arrival rate merged %d + %d dropped, want 150 (at least 147)", rate.Total.Ops, rate.Dropped)
	}
	var calls, peak float64
	for _, s := range rate.Segments {
		calls += s.TargetStats["calls"]
		peak = max(peak, s.TargetStats["in_flight_max"])
	}
	if rate.TargetStats["calls"] != calls || rate.TargetStats["in_flight_max"] != peak {
		t.Errorf("target stats %v: calls should be the sum %g, in_flight_max (a gauge) the largest %g", rate.TargetStats, calls, peak)
	}
	if rate.Resources == nil || rate.Segments[1].Resources != nil || rate.Segments[0].Resources == nil {
		t.Errorf("resources: merged %v; per segment kept as sampled", rate.Resources)
	}
	for _, sc := range pd.Scenarios {
		for _, a := range sc.Assertions {
			if !a.Passed {
				t.Errorf("%s: %s failed on the merged figures: %s %v", sc.Name, a.Condition, a.Error, a.Observed)
			}
		}
	}
	if !pd.Passed || !m.Passed {
		t.Errorf("merged verdict: plan %v, document %v", pd.Passed, m.Passed)
	}
	if g, _ := report.Grade(pd); g <= 0 {
		t.Errorf("grade %v", g)
	}
	// Every format renders the merged document.
	for name, w := range report.Writers() {
		var b strings.Builder
		if err := w(m, &b); err != nil || b.Len() == 0 {
			t.Errorf("format %s: %v", name, err)
		}
	}
}

func TestMergeErrors(t *testing.T) {
	p := loadMergePlan(t, strings.Replace(mergePlanSrc, `duration          = "500ms"`, `duration          = "100ms"`, 1))
	docs := segmentDocs(t, p, 3, 0, 1, 2)
	mergeErr := func(ds ...*report.Document) error {
		names := []string{"s0.json", "s1.json", "s2.json", "s3.json"}
		_, err := merge.Documents(ds, merge.Options{Conditions: dsl.Conditions{}, Sources: names[:len(ds)], Kind: kindOf})
		return err
	}
	clone := func(d *report.Document, edit func(*report.PlanDoc)) *report.Document {
		cp := *d
		cp.Plans = append([]report.PlanDoc(nil), d.Plans...)
		seg := *cp.Plans[0].Segment
		cp.Plans[0].Segment = &seg
		edit(&cp.Plans[0])
		return &cp
	}
	cases := []struct {
		name string
		docs []*report.Document
		want string
	}{
		{"missing", docs[:2], "missing segment 2 of 3"},
		{"overlap", []*report.Document{docs[0], docs[1], docs[1]}, "overlapping segments: s1.json and s2.json both ran segment 1/3"},
		{"version", []*report.Document{docs[0], docs[1], clone(docs[2], func(p *report.PlanDoc) { p.Hash = "0123456789abcdef" })}, "different plan versions"},
		{"plans", []*report.Document{docs[0], docs[1], clone(docs[2], func(p *report.PlanDoc) { p.Name = "other" })}, "different plans"},
		{"variables", []*report.Document{docs[0], docs[1], clone(docs[2], func(p *report.PlanDoc) { p.Variables = map[string]any{"iters": 5.0} })}, "different variables"},
		{"split", []*report.Document{docs[0], docs[1], clone(docs[2], func(p *report.PlanDoc) { p.Segment.Count = 4 })}, "split the load differently"},
		{"whole", []*report.Document{docs[0], clone(docs[1], func(p *report.PlanDoc) { p.Segment = nil })}, "is a whole run, not a segment"},
	}
	for _, c := range cases {
		err := mergeErr(c.docs...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	m, err := merge.Documents(docs[:2], merge.Options{Conditions: dsl.Conditions{}, AllowPartial: true, Kind: kindOf})
	if err != nil {
		t.Fatal(err)
	}
	pd := m.Plans[0]
	if !pd.Merged.Partial || len(pd.Merged.Missing) != 1 || pd.Merged.Missing[0] != 2 {
		t.Fatalf("partial merge: %+v", pd.Merged)
	}
	if got := pd.Scenarios[0].Total.Ops; got != 667 {
		t.Errorf("partial merge of segments 0 and 1 of 1000 iterations: %d, want 334+333", got)
	}
	if pd.Passed {
		t.Error("a partial merge passed an assertion on the whole plan's count")
	}
	// Without a condition compiler, every assertion fails saying so.
	m, err = merge.Documents(docs, merge.Options{Kind: kindOf})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range m.Plans[0].Scenarios[0].Assertions {
		if a.Passed || !strings.Contains(a.Error, "no condition compiler was given") {
			t.Errorf("%s without Conditions: passed %v, error %q", a.Condition, a.Passed, a.Error)
		}
	}
}

// TestMergeStages merges two segments of a ramp with named stages: each
// stage's operations are the sum of the segments', and an assertion on a
// stage is evaluated again on the merged figures.
func TestMergeStages(t *testing.T) {
	p := loadMergePlan(t, `
plan "stages" {}
target "noop" "n" {}
workload "w" {
  target = target.noop.n
  op "get" { weight = 1 }
}
scenario "ramp" {
  workload          = workload.w
  executor          = "ramping-arrival-rate"
  pre_allocated_vus = 2
  max_vus           = 10
  stage {
    name     = "up"
    duration = "300ms"
    target   = 200
  }
  stage {
    name     = "hold"
    duration = "300ms"
    target   = 200
  }
  assert {
    condition = stage.up.ops + stage.hold.ops == ops
  }
}
`)
	docs := segmentDocs(t, p, 2, 0, 1)
	m, err := merge.Documents(docs, merge.Options{Conditions: dsl.Conditions{}, Sources: []string{"a", "b"}, Kind: kindOf, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	s := m.Plans[0].Scenarios[0]
	if len(s.Stages) != 2 || s.Stages[0].Name != "up" || s.Stages[1].Name != "hold" {
		t.Fatalf("merged stages %+v", s.Stages)
	}
	for i := range s.Stages {
		var want int64
		for _, d := range docs {
			want += d.Plans[0].Scenarios[0].Stages[i].Total.Ops
		}
		if got := s.Stages[i].Total.Ops; got != want || got == 0 {
			t.Errorf("stage %s: %d ops merged, the segments have %d", s.Stages[i].Name, got, want)
		}
	}
	if a := s.Assertions[0]; !a.Passed {
		t.Errorf("the stage assertion failed on the merged figures: %+v", a)
	}
}
