package main

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/targets/builtin"
)

// These tests keep bench/run from rotting: the plans it generates load,
// the memory plan runs and its run document reads back, every benchmark it
// names exists, and its parsers and ratios work on fixed input. None of
// them decides anything from a timing.

// root is the repository's root, where bench/run runs from.
const root = "../.."

func quickRunner() *runner {
	return &runner{ctx: context.Background(), opts: options{quick: true, reps: 2}, bins: map[string]string{}}
}

// TestGeneratedPlansLoad: the plans section's 100 plans are valid.
func TestGeneratedPlansLoad(t *testing.T) {
	t.Parallel()
	files, err := writePlans(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != nPlans {
		t.Fatalf("%d plans, want %d", len(files), nPlans)
	}
	if err := loadPlans(files); err != nil {
		t.Fatal(err)
	}
}

// TestRSSPlanRuns: the memory plan loads with the variables rssArgs sets,
// runs (briefly, with few workers) and its run document reads back.
func TestRSSPlanRuns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "rss.hcl")
	if err := os.WriteFile(file, []byte(rssPlan), 0o644); err != nil {
		t.Fatal(err)
	}
	args := rssArgs(file, filepath.Join(dir, "out.json"), 20, 500*time.Millisecond)
	var vars []dsl.VarArg
	for i, a := range args {
		if a == "--var" {
			name, value, _ := strings.Cut(args[i+1], "=")
			vars = append(vars, dsl.VarArg{Name: name, Value: value})
		}
	}
	if len(vars) != 2 {
		t.Fatalf("rssArgs sets %d variables, want vus and duration: %q", len(vars), args)
	}
	p, diags := dsl.NewLoader(builtin.Registry(), vars, nil).Load(file)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	res, err := executor.Run(context.Background(), p, executor.Options{NoResources: true})
	if err != nil {
		t.Fatal(err)
	}
	doc := report.NewDocument("test", 1, dir)
	doc.AddResult(res)
	out := filepath.Join(dir, "doc.json")
	if err := doc.WriteFile(out); err != nil {
		t.Fatal(err)
	}
	run, err := readRunDoc(out)
	if err != nil {
		t.Fatal(err)
	}
	if run.throughput <= 0 || run.mean < rssLatency {
		t.Fatalf("run document read as throughput %v, mean latency %v", run.throughput, run.mean)
	}

	// The rows compute from such runs (no goal is asserted here).
	r := quickRunner()
	r.rssRows([]int{1000, 10000}, map[int][]rssRun{
		1000:  {{maxRSS: 20 << 20, throughput: 9900, mean: rssLatency}},
		10000: {{maxRSS: 60 << 20, throughput: 99000, mean: rssLatency}},
	}, time.Second)
	if len(r.rows) != 5 || !strings.Contains(r.rows[2].value, "4.55 KiB") {
		t.Fatalf("memory rows %+v", r.rows)
	}
}

// TestBenchmarksExist: every benchmark a comparison names is in its
// package: the top-level function, and each sub-benchmark level as a
// string in the package's test files.
func TestBenchmarksExist(t *testing.T) {
	t.Parallel()
	r := quickRunner()
	for _, g := range []group{r.hotPathGroup(), r.cacheGroup(), r.limiterGroup()} {
		dir := g.invs[0].dir
		funcs, strs := benchSource(t, filepath.Join(root, dir))
		var names []string
		for _, rt := range g.ratios {
			names = append(names, rt.num, rt.den)
			if rt.parNum != "" {
				names = append(names, rt.parNum, rt.parDen)
			}
		}
		for _, name := range names {
			levels := strings.Split(name, "/")
			if !funcs[levels[0]] {
				t.Errorf("%s: no func %s in %s", g.name, levels[0], dir)
			}
			for _, l := range levels[1:] {
				if !strings.Contains(strs, l) {
					t.Errorf("%s: no sub-benchmark %q of %s in %s", g.name, l, name, dir)
				}
			}
		}
		for _, inv := range g.invs {
			if inv.dir != dir {
				t.Errorf("%s: invocations in %s and %s", g.name, dir, inv.dir)
			}
		}
	}
}

// benchSource returns the Benchmark functions of the test files in dir,
// and their string literals joined.
func benchSource(t *testing.T, dir string) (map[string]bool, string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files in %s: %v", dir, err)
	}
	funcs := map[string]bool{}
	var strs strings.Builder
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if strings.HasPrefix(n.Name.Name, "Benchmark") {
					funcs[n.Name.Name] = true
				}
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					if s, err := strconv.Unquote(n.Value); err == nil {
						strs.WriteString(s + "\n")
					}
				}
			}
			return true
		})
	}
	return funcs, strs.String()
}

// TestParseBench reads go test -bench lines, with and without the
// -GOMAXPROCS suffix.
func TestParseBench(t *testing.T) {
	t.Parallel()
	out := `goos: linux
BenchmarkBareLoop-2                	16082318	        74.93 ns/op	       0 B/op	       0 allocs/op
BenchmarkCache/get100/manager-2    	 8000000	       150.2 ns/op
BenchmarkAllow/gcra/key-1/parallel 	 1000	  12 ns/op
PASS
`
	got := parseBench(out)
	want := map[string]float64{"BenchmarkBareLoop": 74.93, "BenchmarkCache/get100/manager": 150.2, "BenchmarkAllow/gcra/key-1/parallel": 12}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

// TestParseTable reads bench/truth's box-drawn table, continuing a
// section over rows whose first cell is empty.
func TestParseTable(t *testing.T) {
	t.Parallel()
	out := `┌─────────┬───────┬──────────┬──────┬──────┐
│ section │ check │ measured │ goal │      │
├─────────┼───────┼──────────┼──────┼──────┤
│ rate    │ 1k/s  │ 500      │ 1%   │ ok   │
│         │ lag   │ 96µs     │ 50µs │ MISS │
│ cpu     │ a | b │ 14%      │      │      │ x │
└─────────┴───────┴──────────┴──────┴──────┘`
	got := parseTable(out)
	want := []truthRow{{"rate", "1k/s", "500", "1%", "ok"}, {"rate", "lag", "96µs", "50µs", "MISS"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v, want %+v (a row of six cells is not one)", got, want)
	}
}

// TestRatioRow: a ratio is taken within each repetition, and the row shows
// their median and range, and checks the median against the goal.
func TestRatioRow(t *testing.T) {
	t.Parallel()
	samples := map[string][]float64{
		"BenchmarkA": {100, 90, 200}, "BenchmarkB": {50, 60, 100},
		"BenchmarkA/parallel": {10, 10, 10}, "BenchmarkB/parallel": {20, 20, 20},
	}
	rw, err := ratioRow(ratio{section: "s", measure: "m", num: "BenchmarkA", den: "BenchmarkB", unit: "an op",
		goal: "≥ 1.8×", check: func(x float64) bool { return x >= 1.8 }}, samples)
	if err != nil {
		t.Fatal(err)
	}
	// Ratios 2, 1.5 and 2: median 2, range 1.5–2.
	if rw.value != "2.00× (100 ns an op, 60.0 ns an op)" || rw.spread != "1.50–2.00 (n=3)" || rw.ok != "ok" {
		t.Fatalf("row %+v", rw)
	}
	rw, err = ratioRow(ratio{num: "BenchmarkA", den: "BenchmarkB", parNum: "BenchmarkA/parallel", parDen: "BenchmarkB/parallel"}, samples)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rw.value, "one core 2.00×, every core 0.50×") || rw.spread != "1.50–2.00 (n=3); 0.50–0.50 (n=3)" || rw.ok != "" {
		t.Fatalf("row %+v", rw)
	}
	if _, err := ratioRow(ratio{num: "BenchmarkA", den: "BenchmarkC"}, samples); err == nil {
		t.Fatal("a missing benchmark gave no error")
	}
}

// TestOptions: -only accepts the section names and nothing else.
func TestOptions(t *testing.T) {
	t.Parallel()
	var o options
	if err := o.finish("cache,rss"); err != nil || !o.only["cache"] || !o.only["rss"] || o.reps != 7 {
		t.Fatalf("finish: %v, %+v", err, o)
	}
	o = options{quick: true}
	if err := o.finish("cash"); err == nil {
		t.Fatal("an unknown section was accepted")
	}
	if o.reps != 2 {
		t.Fatalf("quick reps = %d", o.reps)
	}
}

// TestParseMetrics reads every value-unit pair of a benchmark line.
func TestParseMetrics(t *testing.T) {
	t.Parallel()
	out := `BenchmarkPace/rate=1000/perfplan-2  	    5000	   1014223 ns/op	         0.03343 cores	     33416 cpu-ns/op	         0 dropped	        24.69 lag-p50-µs	     30851 lag-p99-µs	0 spun	4990 waits
BenchmarkPace/rate=1000/sleep-loop 	 5000	 1000125 ns/op	 0.02235 cores
--- FAIL: BenchmarkPace/rate=100000/perfplan-2
`
	got := parseMetrics(out)
	run := got["BenchmarkPace/rate=1000/perfplan"]
	if len(got) != 2 || run["cores"] != 0.03343 || run["lag-p99-µs"] != 30851 || run["waits"] != 4990 || run["ns/op"] != 1014223 {
		t.Fatalf("got %v", got)
	}
	if got["BenchmarkPace/rate=1000/sleep-loop"]["cores"] != 0.02235 {
		t.Fatalf("got %v", got)
	}
}

// TestPaceRows: the pacing rows take the CPU ratio within each repetition,
// and each goal is checked: met here, then missed one by one.
func TestPaceRows(t *testing.T) {
	t.Parallel()
	const (
		run1k  = "BenchmarkPace/rate=1000/perfplan"
		loop1k = "BenchmarkPace/rate=1000/sleep-loop"
		run100 = "BenchmarkPace/rate=100000/perfplan"
	)
	good := func() paceSamples {
		return paceSamples{
			run1k:  {"cores": {0.03, 0.04, 0.03}, "lag-p50-µs": {20, 25, 22}, "spun": {0, 0, 0}, "waits": {4000, 4000, 4000}},
			loop1k: {"cores": {0.02, 0.02, 0.02}, "lag-p50-µs": {500, 550, 520}},
			run100: {"cores": {0.3, 0.4, 0.35}, "lag-p99-µs": {60, 80, 70}, "spun": {0, 0, 0}, "waits": {90000, 90000, 90000}},
		}
	}
	rows, err := paceRows(good())
	if err != nil {
		t.Fatal(err)
	}
	for _, rw := range rows {
		if rw.goal != "" && rw.ok != "ok" {
			t.Errorf("%s: %s with %s, want ok", rw.measure, rw.ok, rw.value)
		}
	}
	// Ratios 1.5, 2 and 1.5: median 1.5.
	if !strings.HasPrefix(rows[0].value, "1.50×") || rows[0].spread != "1.50–2.00 (n=3)" {
		t.Fatalf("CPU row %+v", rows[0])
	}
	for i, miss := range []func(paceSamples){
		func(s paceSamples) { s[run1k]["cores"] = []float64{0.04, 0.04, 0.04} },
		func(s paceSamples) { s[run100]["cores"] = []float64{1.3, 1.5, 1.25} },
		func(s paceSamples) { s[run100]["lag-p99-µs"] = []float64{100, 150, 120} },
		func(s paceSamples) { s[run100]["spun"] = []float64{0, 3, 0} },
	} {
		s := good()
		miss(s)
		rows, err := paceRows(s)
		if err != nil {
			t.Fatal(err)
		}
		var missed []string
		for _, rw := range rows {
			if rw.ok == "MISS" {
				missed = append(missed, rw.measure)
			}
		}
		if len(missed) != 1 {
			t.Errorf("miss %d: rows missed %q, want exactly one", i, missed)
		}
	}
	if _, err := paceRows(paceSamples{}); err == nil {
		t.Fatal("no samples gave no error")
	}
}

// TestPaceBenchmarksExist: the pacing section's benchmark and its
// sub-benchmark levels are in package executor.
func TestPaceBenchmarksExist(t *testing.T) {
	t.Parallel()
	funcs, strs := benchSource(t, filepath.Join(root, "executor"))
	if !funcs["BenchmarkPace"] {
		t.Fatal("no func BenchmarkPace in executor")
	}
	for _, p := range quickRunner().paceInvs() {
		if !strings.Contains(strs, "rate=%d/"+p.side) {
			t.Errorf("no sub-benchmark %q in executor", p.side)
		}
	}
}
