package cli_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/builtin"
)

// TestStarterPlanValidates loads the starter plan of every built-in kind,
// and of a custom kind with a required attribute of each sort, through the
// real loader: each must validate as written, with an open model and a gate.
func TestStarterPlanValidates(t *testing.T) {
	t.Parallel()
	reg := builtin.Registry()
	reg.MustRegister(customKind())
	names := reg.Names()
	if len(names) < 6 {
		t.Fatalf("registry has %d kinds, want the five built-ins and the custom one", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			kind, _ := reg.Lookup(name)
			src := cli.StarterPlan(*kind)
			path := filepath.Join(t.TempDir(), name+".hcl")
			if err := os.WriteFile(path, src, 0o644); err != nil {
				t.Fatal(err)
			}
			p, diags := dsl.NewLoader(reg, nil, nil).Load(path)
			if diags.HasErrors() {
				t.Fatalf("starter plan for %s does not validate: %v\n%s", name, diags, src)
			}
			if len(p.Targets) != 1 || len(p.Workloads) != 1 || len(p.Scenarios) != 1 {
				t.Fatalf("want one target, workload and scenario, got %d, %d, %d", len(p.Targets), len(p.Workloads), len(p.Scenarios))
			}
			s := p.Scenarios[0]
			cfg, ok := s.Config.(*executor.ConstantArrivalRate)
			if !ok || len(s.Asserts) == 0 {
				t.Fatalf("scenario: executor %T, %d assertions; want an open model with a gate", s.Config, len(s.Asserts))
			}
			// Little's law at the default rate: 200/s x 20ms x 3 = 12.
			if cfg.PreAllocatedVUs != 12 || cfg.MaxVUs != 100 {
				t.Errorf("pre_allocated_vus %d, max_vus %d; want 12 and 100", cfg.PreAllocatedVUs, cfg.MaxVUs)
			}
			if !strings.Contains(string(src), "Little's law") {
				t.Errorf("the plan does not explain the workers' sizing")
			}
			if string(dsl.Format(src)) != string(src) {
				t.Errorf("the starter plan is not in canonical format")
			}
		})
	}
}

// TestStarterPlanRate checks that pre_allocated_vus follows --var rate.
func TestStarterPlanRate(t *testing.T) {
	t.Parallel()
	reg := builtin.Registry()
	kind, _ := reg.Lookup("cache")
	path := filepath.Join(t.TempDir(), "cache.hcl")
	if err := os.WriteFile(path, cli.StarterPlan(*kind), 0o644); err != nil {
		t.Fatal(err)
	}
	p, diags := dsl.NewLoader(reg, []dsl.VarArg{{Name: "rate", Value: "5000"}}, nil).Load(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg := p.Scenarios[0].Config.(*executor.ConstantArrivalRate)
	if cfg.PreAllocatedVUs != 300 || cfg.MaxVUs != 2500 {
		t.Errorf("at 5000/s pre_allocated_vus = %d, max_vus = %d; want 5000 x 0.02 x 3 = 300 and 5000 x 0.5 = 2500", cfg.PreAllocatedVUs, cfg.MaxVUs)
	}
}

// customKind is a kind a team might register: a required string, a
// required number and a required block.
func customKind() targets.Kind {
	return targets.Kind{
		Name: "queue",
		Doc:  "a test queue",
		Schema: targets.Schema{
			Attrs: []targets.Attr{
				{Name: "endpoint", Type: targets.String, Required: true, Doc: "where the queue listens"},
				{Name: "partitions", Type: targets.Int, Required: true, Doc: "partitions"},
				{Name: "linger", Type: targets.Duration, Doc: "batching delay"},
			},
			Blocks: []targets.BlockSpec{{Type: "consumer", Required: true, Schema: targets.Schema{Attrs: []targets.Attr{
				{Name: "group", Type: targets.String, Default: "g", Doc: "consumer group"},
			}}}},
		},
		Ops:   []targets.OpSpec{{Name: "publish"}, {Name: "consume"}},
		Stats: []string{"published"},
		New:   func(targets.Config) (targets.Target, error) { return nil, nil },
	}
}

// TestInitCommand runs the binary: init writes a plan that validate
// accepts, refuses to overwrite it, and names a misspelt kind.
func TestInitCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, kind := range []string{"cache", "http"} {
		path := filepath.Join(dir, kind+".hcl")
		if r := run(t, "init", kind, path); r.code != 0 || !strings.Contains(r.stderr, "wrote "+path) {
			t.Fatalf("init %s: exit %d\n%s", kind, r.code, r.stderr)
		}
		if r := run(t, "validate", path); r.code != 0 {
			t.Fatalf("validate %s: exit %d\n%s", kind, r.code, r.stderr)
		}
		if r := run(t, "init", kind, path); r.code != 2 || !strings.Contains(r.stderr, "--force") {
			t.Errorf("init over an existing file: exit %d, %q", r.code, r.stderr)
		}
		if r := run(t, "init", "--force", kind, path); r.code != 0 {
			t.Errorf("init --force: exit %d, %q", r.code, r.stderr)
		}
	}
	r := run(t, "init", "limiter")
	if r.code != 0 || !strings.Contains(r.stdout, `target "limiter" "main"`) || r.stderr != "" {
		t.Errorf("init to stdout: exit %d, stderr %q", r.code, r.stderr)
	}
	r = run(t, "init", "cahce")
	if r.code != 2 || !strings.Contains(r.stderr, `did you mean "cache"`) {
		t.Errorf("init cahce: exit %d, %q", r.code, r.stderr)
	}
}

// TestTablesFitColumns runs a plan with every kind of table (grouped target
// statistics, a breakpoint search, a failing assertion) at COLUMNS=120 and
// 80: no line of stdout is wider.
func TestTablesFitColumns(t *testing.T) {
	t.Parallel()
	for _, width := range []int{120, 80} {
		r := runEnv(t, []string{"COLUMNS=" + strconv.Itoa(width), "PERFPLAN_HISTORY=" + filepath.Join(t.TempDir(), "h.db")},
			"run", "--quiet", "testdata/report.hcl")
		if r.code != 1 {
			t.Fatalf("exit %d, want 1 (one assertion fails)\n%s", r.code, r.stderr)
		}
		for i, line := range strings.Split(r.stdout, "\n") {
			if n := utf8.RuneCountInString(line); n > width {
				t.Errorf("COLUMNS=%d: line %d is %d wide:\n%s", width, i+1, n, line)
			}
		}
	}
}

// TestStageGate runs a ramp with named stages through the binary: an
// assertion on the steady stage's p99 gates (exit 0, then 1 with a limit
// of 0), the stages' operations add up to the scenario's, and the run
// document and `perfplan report` carry the per-stage figures.
func TestStageGate(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "run.json")
	r := run(t, "run", "--quiet", "--out", "json="+out, "testdata/stages.hcl")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"│ stage ", "│ warmup │", "│ steady │", "stage.steady.latency.p99="} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	doc := readRunDoc(t, out)
	st := doc.Plans[0].Scenarios[0].Stages
	if len(st) != 2 || st[0].Name != "warmup" || st[1].Name != "steady" || st[0].Total.Ops+st[1].Total.Ops != doc.Plans[0].Scenarios[0].Total.Ops {
		t.Errorf("stages in the document: %+v", st)
	}
	if rep := run(t, "report", out); rep.code != 0 || !strings.Contains(rep.stdout, "│ steady │") {
		t.Errorf("report: exit %d\n%s", rep.code, rep.stdout)
	}
	r = run(t, "run", "--quiet", "--var", "p99_ms=0", "testdata/stages.hcl")
	if r.code != 1 || !strings.Contains(r.stdout, "steady-state p99 at or above the limit") {
		t.Errorf("a steady p99 limit of 0: exit %d, want 1\n%s", r.code, r.stdout)
	}
}

// TestSweep runs a plan with for_each over two L1 sizes through the binary:
// it validates as two targets, two workloads and two scenarios, runs them
// one after another, and prints one sweep table with the swept value.
func TestSweep(t *testing.T) {
	t.Parallel()
	r := run(t, "validate", "testdata/sweep.hcl")
	if r.code != 0 || !strings.Contains(r.stdout, "2 target(s), 2 workload(s), 2 scenario(s)") {
		t.Fatalf("validate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	out := filepath.Join(t.TempDir(), "run.json")
	r = run(t, "run", "--quiet", "--out", "json="+out, "testdata/sweep.hcl")
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A key is marked "large *" when a stall made its latencies corrected.
	for _, want := range []string{"sweep steady (for_each):", "│ each.key │ each.value │", "│ large", "│ 10000      │", "│ small", "│ 100        │"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	doc := readRunDoc(t, out)
	sc := doc.Plans[0].Scenarios
	if len(sc) != 2 || sc[0].Sweep == nil || sc[0].Sweep.Key != "large" || !sc[1].Start.After(sc[0].Start) {
		t.Errorf("scenarios in the document: %+v", sc)
	}
}
