// Command gate measures perfplan's verdicts as a CI gate would see them on a
// busy machine, side by side in one table, each figure beside its goal:
//
//   - the bundled plans (plans/*.hcl) with --quick, N times each beside a
//     CPU hog the gate starts itself: no run may FAIL (exit 1);
//     INCONCLUSIVE (exit 6) is allowed;
//   - the same N times each without the hog: no run INCONCLUSIVE or FAIL;
//   - a genuine regression (a sleep target of 20ms gated at 10ms, on p50
//     and on p99) N times each beside the hog: every run must FAIL;
//   - A/A perfplan compare of two `run --count 5` of one plan beside the
//     hog, in both directions: at most 5% false verdicts.
//
// It builds perfplan once (go build ./cmd/perfplan) and runs the binary, so
// the exit codes are the ones CI sees. The hog is child processes of this
// command, each one busy loop at a duty cycle (by default 100%, 70% and
// 40%), stopped at the end and on Ctrl-C.
//
//	go run ./bench/gate            # N = 10: about 20 minutes (an estimate is printed after the first round)
//	go run ./bench/gate -quick     # N = 1: a smoke test of the harness, not a measurement
//	go run ./bench/gate -only regression -n 5
//
// Run it from the repository root. It exits 1 when a goal is missed.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/perfplan/perfplan/bench/internal/hog"
	"github.com/perfplan/perfplan/report"
)

// Section names, for -only.
const (
	secHog        = "plans-hog"
	secIdle       = "plans-idle"
	secRegression = "regression"
	secCompare    = "compare"
)

// row is one line of the result table.
type row struct {
	section, check string
	t              tally
	measured       string
	goal           string
	// ok is "ok" or "MISS".
	ok string
}

type gate struct {
	ctx    context.Context
	dir    string
	bin    string
	n      int
	plans  []string
	aaPlan string
	duties []float64
	period time.Duration
	hog    *hog.Hog
	rows   map[string][]row
	// round is how long one round of the bundled plans took (0 until one
	// has run); it feeds the estimate.
	round time.Duration
	// planTime is how long each bundled plan took in its first run.
	planTime map[string]time.Duration
}

func main() {
	os.Exit(run())
}

// options are the command line's values.
type options struct {
	n                       int
	quick, keep             bool
	only, plansGlob, aaPlan string
	duties                  string
	period                  time.Duration
	child                   float64
}

func parseFlags() options {
	var o options
	flag.IntVar(&o.n, "n", 0, "repetitions of each plan and A/A pairs (default 10, 1 with -quick)")
	flag.BoolVar(&o.quick, "quick", false, "one repetition of everything: a smoke test of the harness, not a measurement")
	flag.StringVar(&o.only, "only", "", "run only the sections whose names contain this ("+strings.Join([]string{secHog, secIdle, secRegression, secCompare}, ", ")+")")
	flag.StringVar(&o.plansGlob, "plans", "plans/*.hcl", "the bundled plans to run, a glob")
	flag.StringVar(&o.aaPlan, "aa-plan", "plans/smoke-open.hcl", "the plan run on both sides of the A/A comparison (with --quick --count 5)")
	flag.StringVar(&o.duties, "hog", "1,0.7,0.4", "the hog's busy loops, one duty cycle each (fractions or percentages)")
	flag.DurationVar(&o.period, "hog-period", hog.DefaultPeriod, "the hog's busy-then-idle cycle")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directory (the perfplan binary, plans, JSON results and every run's output)")
	flag.Float64Var(&o.child, "hog-child", 0, "internal: run as one hog process at this duty cycle")
	flag.Parse()
	return o
}

func run() int {
	o := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if o.child > 0 {
		hog.Child(ctx, o.child, o.period)
		return 0
	}
	g, err := newGate(ctx, &o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gate:", err)
		return 2
	}
	dir, err := os.MkdirTemp("", "perfplan-gate")
	if err != nil {
		fmt.Fprintln(os.Stderr, "gate:", err)
		return 1
	}
	g.dir = dir
	if o.keep {
		fmt.Fprintf(os.Stderr, "gate: keeping %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	defer func() {
		if err := g.stopHog(); err != nil {
			fmt.Fprintln(os.Stderr, "gate: stopping the hog:", err)
		}
	}()

	env := report.NewDocument("", 1, ".").Environment
	fmt.Printf("perfplan gate harness, %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Printf("machine: %s, %d cores, GOMAXPROCS %d, %s %s/%s; load average %s\n", env.CPU, env.Cores, runtime.GOMAXPROCS(0), env.GoVersion, env.OS, env.Arch, loadAvg())
	fmt.Printf("hog: %s, cycle %s; N = %d\n\n", g.hogString(), g.period, g.n)

	fmt.Fprintln(os.Stderr, "== building perfplan")
	g.bin = filepath.Join(dir, "perfplan")
	build := exec.CommandContext(ctx, "go", "build", "-o", g.bin, "./cmd/perfplan")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "gate: go build ./cmd/perfplan (run from the repository root):", err)
		return 1
	}
	return g.runSections(o.only)
}

// newGate checks the options (an error is a usage error) and returns the
// gate they describe, without its working directory.
func newGate(ctx context.Context, o *options) (*gate, error) {
	if flag.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if o.n == 0 {
		o.n = 10
		if o.quick {
			o.n = 1
		}
	}
	if o.n < 1 {
		return nil, errors.New("-n must be at least 1")
	}
	ds, err := hog.ParseDuties(o.duties)
	if err != nil {
		return nil, fmt.Errorf("-hog: %w", err)
	}
	plans, err := filepath.Glob(o.plansGlob)
	if err == nil && len(plans) == 0 {
		err = fmt.Errorf("no file matches %q (run from the repository root)", o.plansGlob)
	}
	if err != nil {
		return nil, fmt.Errorf("-plans: %w", err)
	}
	if _, err := os.Stat(o.aaPlan); err != nil {
		return nil, fmt.Errorf("-aa-plan: %w", err)
	}
	return &gate{ctx: ctx, n: o.n, plans: plans, aaPlan: o.aaPlan, duties: ds, period: o.period,
		rows: map[string][]row{}, planTime: map[string]time.Duration{}}, nil
}

// runSections runs the sections whose names contain only (all for ""),
// idle first, so the hog never runs before an idle measurement; prints the
// table and returns the exit code.
func (g *gate) runSections(only string) int {
	order := []struct {
		name    string
		withHog bool
		run     func() error
	}{
		{secIdle, false, func() error { return g.bundled(secIdle, goalClean) }},
		{secHog, true, func() error { return g.bundled(secHog, goalNoFail) }},
		{secRegression, true, g.regression},
		{secCompare, true, g.compare},
	}
	var selected []string
	for _, s := range order {
		if only == "" || strings.Contains(s.name, only) {
			selected = append(selected, s.name)
		}
	}
	if len(selected) == 0 {
		fmt.Fprintf(os.Stderr, "gate: -only %q matches no section\n", only)
		return 2
	}
	g.estimate(selected)
	for _, s := range order {
		if !slices.Contains(selected, s.name) || g.ctx.Err() != nil {
			continue
		}
		if s.withHog {
			if err := g.startHog(); err != nil {
				fmt.Fprintln(os.Stderr, "gate:", err)
				return 1
			}
		} else if err := g.stopHog(); err != nil {
			fmt.Fprintln(os.Stderr, "gate: stopping the hog:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "== %s (load average %s)\n", s.name, loadAvg())
		start := time.Now()
		if err := s.run(); err != nil {
			if g.ctx.Err() != nil {
				break
			}
			fmt.Fprintf(os.Stderr, "gate: %s: %v\n", s.name, err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "== %s took %s\n", s.name, time.Since(start).Round(time.Second))
		if s.name == selected[0] {
			g.estimate(selected[1:])
		}
	}
	return g.finish()
}

// finish stops the hog, prints the table and returns the exit code.
func (g *gate) finish() int {
	if err := g.stopHog(); err != nil {
		fmt.Fprintln(os.Stderr, "gate: stopping the hog:", err)
	}
	missed := g.print()
	if g.ctx.Err() != nil {
		fmt.Println("interrupted: the table holds the sections that finished")
		return 3
	}
	if missed > 0 {
		fmt.Printf("%d goals missed\n", missed)
		return 1
	}
	return 0
}

func (g *gate) hogString() string {
	var ds []string
	for _, d := range g.duties {
		ds = append(ds, fmt.Sprintf("%.0f%%", 100*d))
	}
	return fmt.Sprintf("%d busy processes at %s duty", len(g.duties), strings.Join(ds, ", "))
}

func (g *gate) startHog() error {
	if g.hog != nil {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("start the hog: %w", err)
	}
	h, err := hog.Start(exe, func(d float64) []string {
		return []string{"-hog-child", strconv.FormatFloat(d, 'g', -1, 64), "-hog-period", g.period.String()}
	}, g.duties)
	if err != nil {
		return err
	}
	g.hog = h
	// Let the children reach their loops before anything is measured.
	time.Sleep(time.Second)
	return nil
}

func (g *gate) stopHog() error {
	h := g.hog
	g.hog = nil
	return h.Stop()
}

// estimate prints how long the sections left will take: from the first
// round of the bundled plans once one has run, from the plans' scale
// otherwise.
func (g *gate) estimate(sections []string) {
	if len(sections) == 0 {
		return
	}
	round := g.round
	how := fmt.Sprintf("one round of the %d plans took %s", len(g.plans), round.Round(time.Second))
	if round == 0 {
		// soak.hcl's 30s under --quick is most of a round; the others take
		// about 2s each.
		round = time.Duration(len(g.plans)) * 6 * time.Second
		how = "a guess of 6s a plan until a round has run"
	}
	aa := g.planTime[g.aaPlan]
	if aa == 0 {
		aa = 2 * time.Second
	}
	var total time.Duration
	plans := false
	for _, s := range sections {
		switch s {
		case secHog, secIdle:
			total += time.Duration(g.n) * round
			plans = true
		case secRegression:
			total += time.Duration(g.n) * 2 * (regressionDuration + time.Second)
		case secCompare:
			total += time.Duration(g.n) * 2 * 5 * aa
		}
	}
	if !plans {
		how = "from the regression plans' length and the A/A plan's"
	}
	fmt.Fprintf(os.Stderr, "== estimate for %s: about %s (%s)\n", strings.Join(sections, ", "), total.Round(time.Second), how)
}

// perfplan runs the perfplan binary with args, its output to log, and
// returns its exit code. An error means it could not run at all.
func (g *gate) perfplan(log string, args ...string) (int, error) {
	cmd := exec.CommandContext(g.ctx, g.bin, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "PERFPLAN_HISTORY="+filepath.Join(g.dir, "history.db"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if werr := os.WriteFile(log, out.Bytes(), 0o644); werr != nil {
		return 0, werr
	}
	if g.ctx.Err() != nil {
		return 0, g.ctx.Err()
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return exit.ExitCode(), nil
	}
	return 0, fmt.Errorf("perfplan %s: %w", strings.Join(args, " "), err)
}

// verdictLine matches the lines of perfplan's output worth showing when a
// run did not end as the goal wants: failed or inconclusive assertions,
// warnings, the verdict lines of run and compare, compare's regressions,
// errors.
var verdictLine = regexp.MustCompile(`│\s*(FAIL|INCONCLUSIVE)\s*│|WARNING|^(FAIL|INCONCLUSIVE|PASS|REGRESSION|OK)\b|^\d+ plans?:|\[fails:|^\s*(Critical|High|Medium|Low) |(?i)^(perfplan: |error)`)

// explain prints, to stderr, the lines of log that say why a run ended with
// code.
func explain(what string, code int, log string) {
	fmt.Fprintf(os.Stderr, "   %s: exit %d (output in %s)\n", what, code, log)
	data, err := os.ReadFile(log)
	if err != nil {
		return
	}
	for _, line := range verdictLines(data, 10) {
		fmt.Fprintf(os.Stderr, "     %s\n", line)
	}
}

// verdictLines returns the first max lines of perfplan's output that
// verdictLine matches, trimmed.
func verdictLines(out []byte, max int) []string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && len(lines) < max {
		if line := strings.TrimSpace(sc.Text()); verdictLine.MatchString(line) {
			lines = append(lines, line)
		}
	}
	return lines
}

// bundled runs each bundled plan with --quick, N times, and adds a row a
// plan and one for all of them.
func (g *gate) bundled(section string, gl goal) error {
	per := make([]tally, len(g.plans))
	for i := range g.n {
		start := time.Now()
		for j, p := range g.plans {
			name := strings.TrimSuffix(filepath.Base(p), ".hcl")
			log := filepath.Join(g.dir, fmt.Sprintf("%s-%s-%d.txt", section, name, i))
			t0 := time.Now()
			code, err := g.perfplan(log, "run", "--quick", "--quiet", "--no-history", p)
			if err != nil {
				return err
			}
			if _, ok := g.planTime[p]; !ok {
				g.planTime[p] = time.Since(t0)
			}
			per[j].add(code)
			if code != exitPass {
				explain(fmt.Sprintf("%s run %d", name, i+1), code, log)
			}
		}
		if g.round == 0 {
			g.round = time.Since(start)
		}
		fmt.Fprintf(os.Stderr, "   round %d of %d done\n", i+1, g.n)
	}
	var all tally
	for j, p := range g.plans {
		g.add(section, filepath.Base(p)+" --quick", per[j], gl)
		all.merge(per[j])
	}
	g.add(section, fmt.Sprintf("all %d plans", len(g.plans)), all, gl)
	return nil
}

// regressionDuration is how long each regression plan runs.
const regressionDuration = 2 * time.Second

// regression runs a plan whose backend (a sleep target of 20ms) is twice
// its gate (10ms), on p50 and on p99, N times each beside the hog: each run
// must fail.
func (g *gate) regression() error {
	for _, q := range []string{"p50", "p99"} {
		src := fmt.Sprintf(`plan "gate-regression-%[1]s" {
  description = "a 20ms backend gated at 10ms on %[1]s: a genuine regression"
}

target "sleep" "backend" {
  latency = "20ms"
}

workload "w" {
  target = target.sleep.backend
  op "get" { weight = 1 }
}

scenario "s" {
  workload          = workload.w
  executor          = "constant-arrival-rate"
  rate              = 100
  duration          = %[2]q
  pre_allocated_vus = 4
  max_vus           = 50
  assert {
    condition = latency.%[1]s < duration("10ms")
  }
}
`, q, regressionDuration.String())
		path := filepath.Join(g.dir, "regression-"+q+".hcl")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			return err
		}
		var t tally
		for i := range g.n {
			log := filepath.Join(g.dir, fmt.Sprintf("regression-%s-%d.txt", q, i))
			code, err := g.perfplan(log, "run", "--quiet", "--no-history", path)
			if err != nil {
				return err
			}
			t.add(code)
			if code != exitFail {
				explain(fmt.Sprintf("regression %s run %d", q, i+1), code, log)
			}
		}
		g.add(secRegression, fmt.Sprintf("sleep 20ms gated at latency.%s < 10ms", q), t, goalAllFail)
	}
	return nil
}

// compare runs N A/A pairs beside the hog: the same plan twice with
// --quick --count 5, compared in both directions. A failing compare (exit
// 1) is a false verdict.
func (g *gate) compare() error {
	var fwd, back tally
	name := filepath.Base(g.aaPlan)
	for i := range g.n {
		var sides [2]string
		for s := range sides {
			sides[s] = filepath.Join(g.dir, fmt.Sprintf("aa-%d-%c.json", i, 'a'+s))
			log := filepath.Join(g.dir, fmt.Sprintf("aa-%d-%c.txt", i, 'a'+s))
			code, err := g.perfplan(log, "run", "--quick", "--count", "5", "--quiet", "--no-history", "--out", "json="+sides[s], g.aaPlan)
			if err != nil {
				return err
			}
			// The plan's own assertions may fail or be inconclusive; the
			// comparison needs only the results.
			if code != exitPass && code != exitFail && code != exitInconclusive {
				explain(fmt.Sprintf("A/A pair %d, run %c", i+1, 'A'+s), code, log)
				return fmt.Errorf("perfplan run of %s for the A/A pair exited %d (output in %s)", name, code, log)
			}
		}
		for d, dir := range []struct {
			t          *tally
			base, next string
			label      string
		}{{&fwd, sides[0], sides[1], "A B"}, {&back, sides[1], sides[0], "B A"}} {
			log := filepath.Join(g.dir, fmt.Sprintf("aa-%d-compare-%d.txt", i, d))
			code, err := g.perfplan(log, "compare", dir.base, dir.next)
			if err != nil {
				return err
			}
			dir.t.add(code)
			if code != exitPass {
				explain(fmt.Sprintf("A/A pair %d, compare %s", i+1, dir.label), code, log)
			}
		}
		fmt.Fprintf(os.Stderr, "   pair %d of %d done\n", i+1, g.n)
	}
	g.add(secCompare, fmt.Sprintf("%s: compare A B", name), fwd, goalFewFalse)
	g.add(secCompare, fmt.Sprintf("%s: compare B A", name), back, goalFewFalse)
	var both tally
	both.merge(fwd)
	both.merge(back)
	g.add(secCompare, fmt.Sprintf("%s: both directions, %d pairs of --count 5", name, g.n), both, goalFewFalse)
	return nil
}

func (g *gate) add(section, check string, t tally, gl goal) {
	measured, ok := judge(gl, t)
	r := row{section: section, check: check, t: t, measured: measured, goal: gl.String(), ok: "MISS"}
	if ok {
		r.ok = "ok"
	}
	g.rows[section] = append(g.rows[section], r)
}

// print writes the table and returns the number of missed goals.
func (g *gate) print() int {
	t := tablewriter.NewTable(os.Stdout,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
	t.Header("section", "check", "runs", "pass (0)", "FAIL (1)", "INCONCLUSIVE (6)", "other", "measured", "goal", "")
	// The sections' labels, in the table's order.
	sectionTitles := []struct{ name, title string }{
		{secHog, "bundled plans beside the hog"},
		{secIdle, "bundled plans idle"},
		{secRegression, "regression beside the hog"},
		{secCompare, "A/A compare beside the hog"},
	}
	missed := 0
	for _, s := range sectionTitles {
		for i, r := range g.rows[s.name] {
			sec := s.title
			if i > 0 {
				sec = ""
			}
			if r.ok != "ok" {
				missed++
			}
			_ = t.Append(sec, r.check, strconv.Itoa(r.t.runs), strconv.Itoa(r.t.pass), strconv.Itoa(r.t.fail),
				strconv.Itoa(r.t.inconclusive), r.t.otherString(), r.measured, r.goal, r.ok)
		}
	}
	_ = t.Render()
	return missed
}

// loadAvg returns the one-minute load average, or "not measured" where
// /proc/loadavg is missing.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "not measured"
	}
	if f := strings.Fields(string(data)); len(f) > 0 {
		return f[0]
	}
	return "not measured"
}
