package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// The pacing section measures what an open model costs the runner at a
// fixed rate on the noop target (package executor's BenchmarkPace): its
// process CPU between the first and last progress ticks, against a
// goroutine that sleeps (time.Sleep) to each iteration's absolute deadline
// in the same window of repetitions; the cores it keeps busy and the
// schedule lag at 100,000/s; and whether any of its waits spun.

// Pacing goals (issue 23).
const (
	paceCPUGoal   = 1.8   // runner CPU at 1,000/s ÷ the sleep loop's
	paceCoresGoal = 1.2   // cores at 100,000/s
	paceLagGoal   = 100.0 // lag p99 at 100,000/s, µs, on an idle machine
)

// paceInv is one run of BenchmarkPace: a rate, a side (perfplan or
// sleep-loop) and its number of iterations (b.N, -test.benchtime Nx).
type paceInv struct {
	rate, side string
	iters      int
}

func (p paceInv) name() string { return "BenchmarkPace/rate=" + p.rate + "/" + p.side }

// paceInvs returns the section's runs: 5 s each (3 s with -quick; the
// runner's window needs two progress ticks a second apart).
func (r *runner) paceInvs() []paceInv {
	secs := 5
	if r.opts.quick {
		secs = 3
	}
	return []paceInv{
		{"1000", "perfplan", 1000 * secs},
		{"1000", "sleep-loop", 1000 * secs},
		{"100000", "perfplan", 100_000 * secs},
	}
}

// metricLine matches a benchmark result line: its name without the
// -GOMAXPROCS suffix, then the iterations and the value-unit pairs.
var metricLine = regexp.MustCompile(`^(Benchmark\S*?)(?:-\d+)?\s+\d+((?:\s+[0-9.e+-]+ \S+)+)\s*$`)

// parseMetrics returns every reported metric by benchmark name and unit
// (ns/op, cores, lag-p99-µs, ...) from go test -bench output.
func parseMetrics(out string) map[string]map[string]float64 {
	res := map[string]map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := metricLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		f := strings.Fields(m[2])
		units := map[string]float64{}
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				units[f[i+1]] = v
			}
		}
		res[m[1]] = units
	}
	return res
}

// runPace runs one paceInv and returns its metrics.
func (r *runner) runPace(p paceInv) (map[string]float64, error) {
	pat := pattern("BenchmarkPace", "rate="+p.rate, p.side)
	cmd := exec.CommandContext(r.ctx, r.bins["executor.test"], "-test.run", "^$", "-test.bench", pat,
		"-test.count", "1", "-test.benchtime", fmt.Sprintf("%dx", p.iters))
	cmd.Dir = "executor"
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("executor.test -test.bench %s: %w\n%s", pat, err, out)
	}
	m := parseMetrics(string(out))[p.name()]
	if m == nil || m["cores"] == 0 {
		return nil, fmt.Errorf("executor.test -test.bench %s: no result\n%s", pat, out)
	}
	return m, nil
}

// paceSamples holds the section's metrics, one value per repetition, by
// benchmark name and unit.
type paceSamples map[string]map[string][]float64

func (s paceSamples) get(name, unit string) []float64 { return s[name][unit] }

// pace runs the pacing section: every repetition runs each paceInv once,
// in alternating order.
func (r *runner) pace() error {
	invs := r.paceInvs()
	s := paceSamples{}
	for rep := range r.opts.reps {
		order := append([]paceInv(nil), invs...)
		if rep%2 == 1 {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		for _, p := range order {
			m, err := r.runPace(p)
			if err != nil {
				return err
			}
			if s[p.name()] == nil {
				s[p.name()] = map[string][]float64{}
			}
			for u, v := range m {
				s[p.name()][u] = append(s[p.name()][u], v)
			}
		}
		fmt.Fprintf(os.Stderr, "   pace: repetition %d of %d\n", rep+1, r.opts.reps)
	}
	rows, err := paceRows(s)
	if err != nil {
		return err
	}
	r.rows = append(r.rows, rows...)
	return nil
}

// paceRows makes the section's rows from its samples.
func paceRows(s paceSamples) ([]row, error) {
	const (
		run1k  = "BenchmarkPace/rate=1000/perfplan"
		loop1k = "BenchmarkPace/rate=1000/sleep-loop"
		run100 = "BenchmarkPace/rate=100000/perfplan"
	)
	num, den := s.get(run1k, "cores"), s.get(loop1k, "cores")
	if len(num) == 0 || len(num) != len(den) || len(s.get(run100, "cores")) == 0 {
		return nil, fmt.Errorf("pace: missing results (%d, %d, %d)", len(num), len(den), len(s.get(run100, "cores")))
	}
	ratios := make([]float64, len(num))
	for i := range num {
		if den[i] <= 0 {
			return nil, fmt.Errorf("pace: the sleep loop used no CPU")
		}
		ratios[i] = num[i] / den[i]
	}
	cpu := summarize(ratios)
	cores := summarize(s.get(run100, "cores"))
	lag := summarize(s.get(run100, "lag-p99-µs"))
	lag1k, lagLoop := summarize(s.get(run1k, "lag-p50-µs")), summarize(s.get(loop1k, "lag-p50-µs"))
	spun := sum(s.get(run1k, "spun")) + sum(s.get(run100, "spun"))
	waits := sum(s.get(run1k, "waits")) + sum(s.get(run100, "waits"))
	mk := func(measure, value, spread, goal string, ok *bool) row {
		rw := row{section: "pacing", measure: measure, value: value, spread: spread, goal: goal}
		if ok != nil {
			rw.ok = goalMark(*ok)
		}
		return rw
	}
	return []row{
		mk("runner CPU at 1,000/s on noop ÷ a time.Sleep-to-deadline loop, same window (cores ÷ cores)",
			fmt.Sprintf("%.2f× (%.1f %% against %.1f %% of a core)", cpu.med, 100*summarize(num).med, 100*summarize(den).med),
			cpu.spread(), fmt.Sprintf("≤ %.1f×", paceCPUGoal), ptr(cpu.med <= paceCPUGoal)),
		mk("runner CPU at 100,000/s on noop (cores)", fmt.Sprintf("%.2f cores", cores.med), cores.rangef("%.2f"),
			fmt.Sprintf("≤ %.1f cores", paceCoresGoal), ptr(cores.med <= paceCoresGoal)),
		mk("schedule lag p99 at 100,000/s on noop", fmt.Sprintf("%.0f µs", lag.med), lag.rangef("%.0f"),
			fmt.Sprintf("< %.0f µs (idle machine)", paceLagGoal), ptr(lag.med < paceLagGoal)),
		mk("schedule lag p50 at 1,000/s: perfplan's pacer against the sleep loop (Go's timers alone)",
			fmt.Sprintf("%.0f µs against %.0f µs", lag1k.med, lagLoop.med), lag1k.rangef("%.0f")+"; "+lagLoop.rangef("%.0f"), "", nil),
		mk("no spinning by default: the pacer's waits that spun, 1,000/s and 100,000/s",
			fmt.Sprintf("%.0f of %.0f waits", spun, waits), "", "0", ptr(spun == 0 && waits > 0)),
	}, nil
}

func sum(xs []float64) float64 {
	var t float64
	for _, x := range xs {
		t += x
	}
	return t
}
