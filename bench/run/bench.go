package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aclements/go-moremath/stats"
)

// invocation is one run of a test binary's benchmarks: those that pattern
// selects (-test.bench), in package directory dir.
type invocation struct {
	bin, dir, pattern string
}

// ratio compares two benchmarks by full name (without the -GOMAXPROCS
// suffix): num's ns/op over den's, within each repetition. With parNum and
// parDen set, the row also shows that second ratio (the every-core
// variant of the same comparison).
type ratio struct {
	section, measure string
	num, den         string
	parNum, parDen   string
	// unit names what num and den measure in the value cell.
	unit string
	goal string
	// check, when not nil, decides whether the median ratio meets goal.
	check func(float64) bool
}

// group is a set of ratios measured together: every repetition runs each
// invocation once, in alternating order.
type group struct {
	name      string
	invs      []invocation
	ratios    []ratio
	benchtime time.Duration
}

// pattern anchors each level of a benchmark name, for -test.bench.
func pattern(levels ...string) string {
	for i, l := range levels {
		levels[i] = "^" + regexp.QuoteMeta(l) + "$"
	}
	return strings.Join(levels, "/")
}

// benchLine matches a benchmark result line: its name without the
// -GOMAXPROCS suffix, and ns/op.
const benchLine = `^(Benchmark\S*?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op`

// parseBench returns ns/op by benchmark name from go test -bench output.
func parseBench(out string) map[string]float64 {
	re := regexp.MustCompile(benchLine)
	res := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			if v, err := strconv.ParseFloat(m[2], 64); err == nil {
				res[m[1]] = v
			}
		}
	}
	return res
}

// runInvocation runs one invocation and returns ns/op by benchmark name.
func (r *runner) runInvocation(inv invocation, benchtime time.Duration) (map[string]float64, error) {
	cmd := exec.CommandContext(r.ctx, r.bins[inv.bin], "-test.run", "^$", "-test.bench", inv.pattern,
		"-test.count", "1", "-test.benchtime", benchtime.String(), "-test.benchmem")
	cmd.Dir = inv.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s -test.bench %s: %w\n%s", inv.bin, inv.pattern, err, out)
	}
	res := parseBench(string(out))
	if len(res) == 0 {
		return nil, fmt.Errorf("%s -test.bench %s: no result\n%s", inv.bin, inv.pattern, out)
	}
	return res, nil
}

// measure runs g's repetitions, reversing the order of the invocations
// every other repetition, and adds a row per ratio.
func (r *runner) measure(g group) error {
	samples := map[string][]float64{} // ns/op by benchmark, one per repetition
	for rep := range r.opts.reps {
		order := append([]invocation(nil), g.invs...)
		if rep%2 == 1 {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		got := map[string]float64{}
		for _, inv := range order {
			res, err := r.runInvocation(inv, g.benchtime)
			if err != nil {
				return err
			}
			for k, v := range res {
				got[k] = v
			}
		}
		for k, v := range got {
			samples[k] = append(samples[k], v)
		}
		fmt.Fprintf(os.Stderr, "   %s: repetition %d of %d\n", g.name, rep+1, r.opts.reps)
	}
	for _, rt := range g.ratios {
		row, err := ratioRow(rt, samples)
		if err != nil {
			return fmt.Errorf("%s: %w", g.name, err)
		}
		r.rows = append(r.rows, row)
	}
	return nil
}

// ratios divides num's samples by den's, repetition by repetition.
func ratios(samples map[string][]float64, num, den string) ([]float64, error) {
	n, d := samples[num], samples[den]
	if len(n) == 0 || len(n) != len(d) {
		return nil, fmt.Errorf("no results for %s or %s (%d and %d)", num, den, len(n), len(d))
	}
	out := make([]float64, len(n))
	for i := range n {
		if d[i] == 0 {
			return nil, fmt.Errorf("%s: 0 ns/op", den)
		}
		out[i] = n[i] / d[i]
	}
	return out, nil
}

// ratioRow makes rt's table row from the samples.
func ratioRow(rt ratio, samples map[string][]float64) (row, error) {
	xs, err := ratios(samples, rt.num, rt.den)
	if err != nil {
		return row{}, err
	}
	s := summarize(xs)
	value := fmt.Sprintf("%.2f× (%s %s, %s %s)", s.med, ns(summarize(samples[rt.num]).med), rt.unit,
		ns(summarize(samples[rt.den]).med), rt.unit)
	spread := s.spread()
	if rt.parNum != "" {
		ys, err := ratios(samples, rt.parNum, rt.parDen)
		if err != nil {
			return row{}, err
		}
		p := summarize(ys)
		value = fmt.Sprintf("one core %.2f×, every core %.2f× (one core: %s against %s)", s.med, p.med,
			ns(summarize(samples[rt.num]).med), ns(summarize(samples[rt.den]).med))
		spread = s.spread() + "; " + p.spread()
	}
	rw := row{section: rt.section, measure: rt.measure, value: value, spread: spread, goal: rt.goal}
	if rt.check != nil {
		rw.ok = goalMark(rt.check(s.med))
	}
	return rw, nil
}

// summary is a sample's median and range.
type summary struct {
	n             int
	med, min, max float64
}

func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	s := stats.Sample{Xs: xs}
	lo, hi := s.Bounds()
	return summary{n: len(xs), med: s.Quantile(0.5), min: lo, max: hi}
}

// spread formats the range of ratios.
func (s summary) spread() string { return s.rangef("%.2f") }

// rangef formats the range with format, and the number of samples.
func (s summary) rangef(format string) string {
	return fmt.Sprintf(format+"–"+format+" (n=%d)", s.min, s.max, s.n)
}

// ns formats nanoseconds per operation.
func ns(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f ns", v)
	}
	return fmt.Sprintf("%.1f ns", v)
}

// benchtime is full, or quick under -quick.
func (r *runner) benchtime(full, quick time.Duration) time.Duration {
	if r.opts.quick {
		return quick
	}
	return full
}

// hotPath measures hotPathGroup.
func (r *runner) hotPath() error { return r.measure(r.hotPathGroup()) }

// cache measures cacheGroup.
func (r *runner) cache() error { return r.measure(r.cacheGroup()) }

// limiter measures limiterGroup.
func (r *runner) limiter() error { return r.measure(r.limiterGroup()) }

// hotPathGroup: the runner's worker loop on noop against a bare loop that
// times each call with time.Now/time.Since and records it into
// HdrHistogram; the same on every core; the resource sampler on against
// off.
func (r *runner) hotPathGroup() group {
	inv := func(levels ...string) invocation {
		return invocation{bin: "executor.test", dir: "executor", pattern: pattern(levels...)}
	}
	const vu = "BenchmarkRunPerVUIterations"
	const prof = "BenchmarkRunProfile"
	return group{
		name: "hotpath",
		invs: []invocation{
			inv("BenchmarkBareLoop"), inv("BenchmarkRunnerHotPath"),
			inv("BenchmarkBareLoopParallel"), inv("BenchmarkRunParallel"),
			inv(vu, "resources=on"), inv(vu, "resources=off"),
			inv(prof, "noop", "profile=on"), inv(prof, "noop", "profile=off"),
			inv(prof, "spin", "profile=on"), inv(prof, "spin", "profile=off"),
		},
		ratios: []ratio{
			{section: "runner", measure: "hot path speed-up over the bare timed loop, one core (bare ns ÷ perfplan ns)",
				num: "BenchmarkBareLoop", den: "BenchmarkRunnerHotPath", unit: "an op",
				goal: "≥ 1.8×", check: func(x float64) bool { return x >= 1.8 }},
			{section: "runner", measure: "executor.Run speed-up over the bare loop, every core (bare ns ÷ perfplan ns)",
				num: "BenchmarkBareLoopParallel", den: "BenchmarkRunParallel", unit: "an op"},
			{section: "runner", measure: "resource sampler cost, 1s interval (on ns ÷ off ns)",
				num: vu + "/resources=on", den: vu + "/resources=off", unit: "an op"},
			{section: "runner", measure: "resource sampler cost, 10ms interval (on ns ÷ off ns)",
				num: vu + "/resources=on/interval=10ms", den: vu + "/resources=off/interval=10ms", unit: "an op"},
			{section: "runner", measure: "--profile cost on the hot path: noop target, one worker (on ns ÷ off ns)",
				num: prof + "/noop/profile=on", den: prof + "/noop/profile=off", unit: "an op"},
			{section: "runner", measure: "--profile cost on throughput: a 10µs CPU-bound target, a worker per core, 100 Hz (on ns ÷ off ns)",
				num: prof + "/spin/profile=on", den: prof + "/spin/profile=off", unit: "an op",
				goal: "≤ 1.03", check: func(x float64) bool { return x <= 1.03 }},
		},
		benchtime: r.benchtime(300*time.Millisecond, 50*time.Millisecond),
	}
}

// cacheGroup: the cache target (L1 only, through Worker.Do) against raw
// otter doing the same work on the value, on the same Zipf keys.
func (r *runner) cacheGroup() group {
	var invs []invocation
	var rts []ratio
	for _, m := range []struct{ name, what string }{
		{"get100", "reads (L1 hits)"},
		{"get75", "75 % reads, 25 % sets"},
		{"set100", "sets"},
	} {
		for _, side := range []string{"manager", "otter"} {
			invs = append(invs, invocation{bin: "cache.test", dir: "targets/cache", pattern: pattern("BenchmarkCache", m.name, side)})
		}
		rts = append(rts, ratio{section: "cache", measure: "cache target ÷ raw otter v2, " + m.what + ", Zipf keys (ns/op)",
			num: "BenchmarkCache/" + m.name + "/manager", den: "BenchmarkCache/" + m.name + "/otter", unit: "an op",
			goal: "≤ 1.3×", check: func(x float64) bool { return x <= 1.3 }})
	}
	return group{name: "cache", invs: invs, ratios: rts,
		benchtime: r.benchtime(400*time.Millisecond, 50*time.Millisecond)}
}

// limiterGroup: each algorithm of the in-memory backend against
// golang.org/x/time/rate, on one core and on every core. One invocation
// runs every shape of one algorithm (and its /parallel variants).
func (r *runner) limiterGroup() group {
	shapes := []struct{ name, what string }{
		{"global", "one global policy"},
		{"key-1", "one key"},
		{"key-100k", "100,000 keys"},
	}
	algs := []string{"token_bucket", "gcra", "fixed_window", "sliding_window"}
	var invs []invocation
	for _, a := range append([]string{"x-time-rate"}, algs...) {
		invs = append(invs, invocation{bin: "limiter.test", dir: "targets/limiter", pattern: pattern("BenchmarkAllow", a)})
	}
	var rts []ratio
	for _, a := range algs {
		for _, s := range shapes {
			num, den := "BenchmarkAllow/"+a+"/"+s.name, "BenchmarkAllow/x-time-rate/"+s.name
			rts = append(rts, ratio{section: "limiter",
				measure: fmt.Sprintf("%s ÷ x/time/rate, %s (ns a decision)", a, s.what),
				num:     num, den: den, parNum: num + "/parallel", parDen: den + "/parallel"})
		}
	}
	return group{name: "limiter", invs: invs, ratios: rts,
		benchtime: r.benchtime(150*time.Millisecond, 20*time.Millisecond)}
}
