package dsl

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
)

func scenarioByName(t *testing.T, p *plan.Plan, name string) *plan.Scenario {
	t.Helper()
	for _, s := range p.Scenarios {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no scenario %q", name)
	return nil
}

func TestLoadValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		check func(t *testing.T, p *plan.Plan)
	}{
		{"cache-read-heavy.hcl", func(t *testing.T, p *plan.Plan) {
			if p.Name != "cache-read-heavy" || p.Description == "" || !reflect.DeepEqual(p.Tags, []string{"cache", "smoke"}) {
				t.Errorf("plan header = %q %q %v", p.Name, p.Description, p.Tags)
			}
			if got := p.Variables["rate"]; got != 5000.0 {
				t.Errorf("var rate = %#v", got)
			}
			if len(p.Targets) != 1 {
				t.Fatalf("targets = %d", len(p.Targets))
			}
			tg := p.Targets[0]
			if tg.ID() != "cache.catalog" || tg.Spec == nil || tg.Spec.Name != "cache" {
				t.Errorf("target = %+v", tg)
			}
			if tg.Config.Int("capacity") != 1000 || tg.Config.String("policy") != "lru" || tg.Config.Duration("ttl") != 30*time.Second {
				t.Errorf("target attrs = %v", tg.Config.Attrs)
			}
			tiers := tg.Config.BlocksOf("tier")
			if len(tiers) != 2 || tiers[0].Labels[0] != "l1" || tiers[1].Config.Duration("ttl") != 5*time.Minute {
				t.Errorf("tiers = %+v", tiers)
			}
			if l := tg.Config.BlocksOf("loader"); len(l) != 1 || l[0].Config.Duration("latency") != time.Millisecond {
				t.Errorf("loader = %+v", l)
			}
			w := p.Workloads[0]
			wantOps := []plan.Op{{Name: "get", Index: 0, Weight: 90, Arg: 0}, {Name: "set", Index: 1, Weight: 10}, {Name: "allow_n", Index: 2, Weight: 1, Arg: 5}}
			if !reflect.DeepEqual(w.Ops, wantOps) {
				t.Errorf("ops = %+v", w.Ops)
			}
			wantKeys := plan.KeySpace{Count: 100000, Distribution: "zipf", ZipfS: 1.2, ZipfV: 1, HotFraction: 0.2, HotRate: 0.8}
			if w.Keys != wantKeys || w.ValueSize != 512 || w.Target != tg {
				t.Errorf("workload = %+v", w)
			}
			s := p.Scenarios[0]
			c, ok := s.Config.(*executor.RampingArrivalRate)
			if !ok || s.Workload != w || c.PreAllocatedVUs != 50 || c.MaxVUs != 50 || c.TimeUnit != time.Second {
				t.Fatalf("scenario = %+v config %+v", s, s.Config)
			}
			if !reflect.DeepEqual(c.Stages, []plan.Stage{{Duration: 5 * time.Second, Target: 5000}, {Duration: 20 * time.Second, Target: 5000}}) {
				t.Errorf("stages = %+v", c.Stages)
			}
			if s.GracefulStop != 30*time.Second {
				t.Errorf("graceful stop = %v", s.GracefulStop)
			}
			if len(s.Events) != 1 || s.Events[0].At != 10*time.Second || s.Events[0].Target != tg || s.Events[0].Action != "set_policy" || s.Events[0].Config.Float("rate") != 100 {
				t.Errorf("events = %+v", s.Events)
			}
			if len(s.Asserts) != 3 {
				t.Fatalf("asserts = %d", len(s.Asserts))
			}
			a := s.Asserts[0]
			if a.Expr != `latency.p99 < duration("5ms")` || a.ErrorMessage != "p99 read latency above 5ms" || a.AbortOnFail || a.AbortGrace != 0 {
				t.Errorf("assert 0 = %+v", a)
			}
			if filepath.Base(a.Pos) != "cache-read-heavy.hcl:63:21" {
				t.Errorf("assert pos = %s", a.Pos)
			}
			b := s.Asserts[1]
			if !b.AbortOnFail || b.AbortGrace != 10*time.Second || !reflect.DeepEqual(b.Condition.Refs(), []string{"target.hit_ratio", "error_rate"}) {
				t.Errorf("assert 1 = %+v refs %v", b, b.Condition.Refs())
			}
			if got := s.Asserts[2].Condition.Refs(); !reflect.DeepEqual(got, []string{"op.get.latency.p99", "op.set.latency.p50", "service_time.max"}) {
				t.Errorf("assert 2 refs = %v", got)
			}
		}},
		{"executors.hcl", func(t *testing.T, p *plan.Plan) {
			if p.Name != "executors" {
				t.Errorf("name = %q", p.Name)
			}
			cvs := scenarioByName(t, p, "cv")
			if cv := cvs.Config.(*executor.ConstantVUs); cv.VUs != 4 || cv.Duration != 2*time.Second || cvs.GracefulStop != 30*time.Second {
				t.Errorf("cv = %+v %+v", cvs, cv)
			}
			rv := scenarioByName(t, p, "rv").Config.(*executor.RampingVUs)
			if rv.StartVUs != 0 || rv.GracefulRampDown != time.Second || len(rv.Stages) != 2 || rv.Stages[0].Target != 10 {
				t.Errorf("rv = %+v", rv)
			}
			cars := scenarioByName(t, p, "car")
			car := cars.Config.(*executor.ConstantArrivalRate)
			if car.Rate != 1000 || car.TimeUnit != 100*time.Millisecond || car.Duration != 3*time.Second ||
				car.PreAllocatedVUs != 2 || car.MaxVUs != 2 || cars.StartTime != time.Second || cars.GracefulStop != 5*time.Second {
				t.Errorf("car = %+v %+v", cars, car)
			}
			rar := scenarioByName(t, p, "rar").Config.(*executor.RampingArrivalRate)
			if rar.StartRate != 10 || rar.MaxVUs != 8 || rar.PreAllocatedVUs != 1 || rar.Stages[0] != (plan.Stage{Duration: 250 * time.Millisecond, Target: 100}) {
				t.Errorf("rar = %+v", rar)
			}
			pvi := scenarioByName(t, p, "pvi").Config.(*executor.PerVUIterations)
			if pvi.VUs != 3 || pvi.Iterations != 100 || pvi.MaxDuration != 10*time.Minute {
				t.Errorf("pvi = %+v", pvi)
			}
			sis := scenarioByName(t, p, "si")
			if si := sis.Config.(*executor.SharedIterations); si.VUs != 2 || si.Iterations != 1000 || si.MaxDuration != 30*time.Second || len(sis.Asserts) != 1 {
				t.Errorf("si = %+v %+v", sis, si)
			}
		}},
		{"dynamic.hcl", func(t *testing.T, p *plan.Plan) {
			w := p.Workloads[0]
			if len(w.Ops) != 2 || w.Ops[0].Name != "get" || w.Ops[0].Weight != 80 || w.Ops[0].Index != 1 || w.Ops[1].Name != "set" || w.Ops[1].Weight != 20 {
				t.Errorf("ops = %+v", w.Ops)
			}
			s := p.Scenarios[0]
			want := []plan.Stage{{Duration: 2 * time.Second, Target: 100}, {Duration: 2 * time.Second, Target: 200}, {Duration: 2 * time.Second, Target: 400}}
			if st := stagesOf(s); !reflect.DeepEqual(st, want) {
				t.Errorf("stages = %+v", st)
			}
			if len(s.Asserts) != 2 || s.Asserts[1].ErrorMessage != "errors on set" || !reflect.DeepEqual(s.Asserts[1].Condition.Refs(), []string{"op.set.error_rate"}) {
				t.Errorf("asserts = %+v", s.Asserts)
			}
		}},
		{"resources.hcl", func(t *testing.T, p *plan.Plan) {
			s := scenarioByName(t, p, "soak")
			if s.LeakThreshold != 4096 || len(s.Asserts) != 5 {
				t.Errorf("soak: leak threshold %v, %d asserts", s.LeakThreshold, len(s.Asserts))
			}
			if d := scenarioByName(t, p, "default"); d.LeakThreshold != 1<<20 {
				t.Errorf("default leak threshold = %v, want 1 MiB/min", d.LeakThreshold)
			}
			m := mapMetrics{"cpu.percent": 150, "cpu.user_seconds": 1, "cpu.system_seconds": 0.5,
				"memory.rss_peak": 5e7, "heap.in_use_peak": 2e7, "heap.in_use_end": 1e7, "heap.slope": 10,
				"gc.count": 3, "gc.pause_p99": 0.1, "gc.pause_max": 0.2, "goroutines.max": 10,
				"allocs_per_op": 0, "heap.leak": 0, "soak.throughput_cv": 0.01, "soak.p99_drift": 0,
				"baseline.heap.in_use_peak": 2e7}
			for i, a := range s.Asserts {
				if ok, err := a.Condition.Eval(m); err != nil || !ok {
					t.Errorf("assert %d: %v, %v", i, ok, err)
				}
			}
		}},
		{"breakpoint.hcl", func(t *testing.T, p *plan.Plan) {
			s := scenarioByName(t, p, "steps")
			b, ok := s.Config.(*executor.Breakpoint)
			if !ok {
				t.Fatal("steps: no breakpoint config")
			}
			want := executor.Breakpoint{StartRate: 100, StepRate: 100, MaxRate: 1000, StepDuration: 10 * time.Second,
				StopWhenExpr: `latency.p99 > duration("10ms") || error_rate > 0.01`, StopGrace: 2 * time.Second,
				Interval: time.Second, RecoveryRate: 100, RecoveryTimeout: 30 * time.Second,
				TimeUnit: time.Second, PreAllocatedVUs: b.PreAllocatedVUs, MaxVUs: 10}
			got := *b
			got.StopWhen = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("steps: spec = %+v\nwant %+v", got, want)
			}
			if !s.Open() {
				t.Errorf("steps: open = %v", s.Open())
			}
			for m, want := range map[string]bool{
				`{"latency.p99": 11, "error_rate": 0}`: true, `{"latency.p99": 9, "error_rate": 0}`: false, `{"latency.p99": 1, "error_rate": 0.5}`: true,
			} {
				var mm mapMetrics
				if err := json.Unmarshal([]byte(m), &mm); err != nil {
					t.Fatal(err)
				}
				if ok, err := b.StopWhen.Eval(mm); err != nil || ok != want {
					t.Errorf("stop_when over %s = %v, %v; want %v", m, ok, err, want)
				}
			}
			if ok, err := s.Asserts[0].Condition.Eval(mapMetrics{"breaking_point": 600, "recovery_time": 100, "stability": 1}); err != nil || !ok {
				t.Errorf("assert: %v, %v", ok, err)
			}
			r := scenarioByName(t, p, "ramp").Config.(*executor.Breakpoint)
			if !r.Ramp || r.StartRate != 50 || r.StopGrace != 0 || r.Interval != 500*time.Millisecond ||
				r.RecoveryRate != 10 || r.RecoveryTimeout != time.Minute || r.StopWhen == nil {
				t.Errorf("ramp: spec = %+v", r)
			}
			if r.TimeUnit != 100*time.Millisecond || r.MaxVUs != 50 {
				t.Errorf("ramp: time_unit %v, max_vus %d", r.TimeUnit, r.MaxVUs)
			}
		}},
		{"sweep.hcl", func(t *testing.T, p *plan.Plan) {
			if len(p.Targets) != 2 || len(p.Workloads) != 2 || len(p.Scenarios) != 3 {
				t.Fatalf("%d targets, %d workloads, %d scenarios", len(p.Targets), len(p.Workloads), len(p.Scenarios))
			}
			s := p.Scenarios[1]
			if s.Name != `ramp["small"]` || s.Sweep.Value != "100" || s.StartTime != 3*time.Second || s.Workload.Name != `w["small"]` {
				t.Errorf("scenario %q sweep %+v start %v workload %q", s.Name, s.Sweep, s.StartTime, s.Workload.Name)
			}
			ok, err := s.Asserts[0].Condition.Eval(mapMetrics{"stage.steady.latency.p99": 4, "stage.up.op.get.ops": 1})
			if err != nil || !ok || s.Asserts[0].ErrorMessage != "steady p99 with small" {
				t.Errorf("eval = %v, %v; message %q", ok, err, s.Asserts[0].ErrorMessage)
			}
		}},
		{"variables.hcl", func(t *testing.T, p *plan.Plan) {
			if p.Description != "rate 100, SVC" || !reflect.DeepEqual(p.Tags, []string{"a"}) {
				t.Errorf("header = %q %v", p.Description, p.Tags)
			}
			want := map[string]any{"rate": 100.0, "name": "svc", "tags": []any{}, "shape": map[string]any{"vus": 2.0, "seconds": 3.0}}
			if !reflect.DeepEqual(p.Variables, want) {
				t.Errorf("variables = %#v", p.Variables)
			}
			s := p.Scenarios[0]
			if c := s.Config.(*executor.ConstantVUs); c.VUs != 2 || c.Duration != 3*time.Second || p.Workloads[0].Ops[0].Weight != 4 {
				t.Errorf("scenario = %+v %+v", s, c)
			}
			ok, err := s.Asserts[0].Condition.Eval(mapMetrics{"throughput": 150, "latency.p99": 0.9})
			if err != nil || !ok {
				t.Errorf("eval = %v, %v", ok, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "valid", tt.file)
			l := NewLoader(testRegistry(t), nil, nil)
			p, diags := l.Load(path)
			if diags.HasErrors() || p == nil {
				t.Fatalf("Load: %s", diagText(t, l, diags))
			}
			if len(diags) > 0 {
				t.Errorf("unexpected warnings: %s", diagText(t, l, diags))
			}
			src, _ := os.ReadFile(path)
			sum := sha256.Sum256(src)
			if p.File != path || p.Hash != hex.EncodeToString(sum[:]) {
				t.Errorf("file/hash = %s %s", p.File, p.Hash)
			}
			tt.check(t, p)
		})
	}
}

// stagesOf returns the stages of a ramping executor's configuration.
func stagesOf(s *plan.Scenario) []plan.Stage {
	switch c := s.Config.(type) {
	case *executor.RampingVUs:
		return c.Stages
	case *executor.RampingArrivalRate:
		return c.Stages
	}
	return nil
}

// TestPlanProfile: the plan block's profile attribute (perfplan run
// --profile for every run of the plan); a value that is not a bool is a
// diagnostic at its line.
func TestPlanProfile(t *testing.T) {
	t.Parallel()
	const rest = `
target "noop" "n" {}
workload "w" {
  target = target.noop.n
  op "get" { weight = 1 }
}
scenario "s" {
  workload   = workload.w
  executor   = "shared-iterations"
  vus        = 1
  iterations = 1
}
`
	for _, c := range []struct {
		block string
		want  bool
		diag  string
	}{
		{`plan "p" {}`, false, ""},
		{`plan "p" { profile = true }`, true, ""},
		{`plan "p" { profile = "often" }`, false, "Incorrect attribute value type"},
	} {
		p, diags, _ := loadSrc(t, c.block+rest, nil, nil)
		if c.diag != "" {
			if !diags.HasErrors() || !strings.Contains(diags.Error(), c.diag) || !strings.Contains(diags.Error(), ":1,") {
				t.Errorf("%s: diagnostics %v, want %q on line 1", c.block, diags, c.diag)
			}
			continue
		}
		if diags.HasErrors() || p.Profile != c.want {
			t.Errorf("%s: profile %v, diagnostics %v; want %v", c.block, p != nil && p.Profile, diags, c.want)
		}
	}
}
