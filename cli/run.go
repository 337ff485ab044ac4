package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/perfplan/perfplan/compare"
	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/report"
)

// quickScale is the duration scale of --quick and --mode quick.
const quickScale = 0.1

// output is one --out FORMAT=PATH.
type output struct{ format, path string }

type outFlag struct{ outs *[]output }

func (f outFlag) String() string { return "" }
func (f outFlag) Set(s string) error {
	format, path, ok := strings.Cut(s, "=")
	if !ok || path == "" {
		return fmt.Errorf("want FORMAT=PATH, got %q", s)
	}
	if _, known := report.Writers()[format]; !known {
		return fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(report.FormatNames(), ", "))
	}
	*f.outs = append(*f.outs, output{format, path})
	return nil
}

// writeOutput renders the document in format and writes it to path
// atomically, so a reader never sees a partial file.
func writeOutput(d *report.Document, format, path string) error {
	var buf bytes.Buffer
	if err := report.Writers()[format](d, &buf); err != nil {
		return fmt.Errorf("render %s: %w", format, err)
	}
	return report.WriteFileAtomic(path, buf.Bytes())
}

// Run modes (--mode): presets of the run flags. Flags given explicitly
// override a mode's defaults.
const (
	modeQuick      = "quick"      // --duration-scale 0.1
	modeFull       = "full"       // as written
	modeBenchmark  = "benchmark"  // --count 10 --no-abort
	modeRegression = "regression" // run, then compare with a baseline and fail on a regression
)

// benchmarkCount is the --count of --mode benchmark.
const benchmarkCount = 10

const modeHelp = "run preset `MODE`: " + `quick (durations x0.1), full (as written), benchmark (--count 10 --no-abort),
regression (run, then compare with --baseline or the latest history run of each plan,
print the comparison and exit 1 on a significant regression of at least --threshold);
flags given explicitly override the preset`

type runFlags struct {
	vars          []dsl.VarArg
	outs          []output
	quick         bool
	scale         float64
	quiet         bool
	noColor       bool
	progressEvery time.Duration
	count         int
	mode          string
	noAbort       bool
	baseline      string
	saveBaseline  string
	history       string
	noHistory     bool
	threshold     float64
}

// applyMode fills in the defaults of f.mode for the flags not in set.
func (f *runFlags) applyMode(set map[string]bool) error {
	switch f.mode {
	case modeFull, modeRegression:
	case modeQuick:
		if !set["duration-scale"] && !f.quick {
			f.scale = quickScale
		}
	case modeBenchmark:
		if !set["count"] {
			f.count = benchmarkCount
		}
		if !set["no-abort"] {
			f.noAbort = true
		}
	default:
		return fmt.Errorf("unknown --mode %q (want %s, %s, %s or %s)", f.mode, modeQuick, modeFull, modeBenchmark, modeRegression)
	}
	return nil
}

func runCommand(ctx context.Context, env Env, args []string) int {
	f := runFlags{threshold: compare.DefaultOptions().Threshold}
	fs := newFlagSet("run", "run [flags] PLAN...", env.Stderr)
	addVarFlags(fs, &f.vars)
	fs.Var(outFlag{&f.outs}, "out", "write results as FORMAT=PATH (repeatable); formats: "+strings.Join(report.FormatNames(), ", "))
	fs.StringVar(&f.mode, "mode", modeFull, modeHelp)
	fs.BoolVar(&f.quick, "quick", false, fmt.Sprintf("scale every scenario duration by %g for smoke runs", quickScale))
	fs.Float64Var(&f.scale, "duration-scale", 1, "multiply every scenario duration by `F`")
	fs.IntVar(&f.count, "count", 1, "run each plan `N` times, interleaved across plans; every repetition is kept in the results")
	fs.BoolVar(&f.noAbort, "no-abort", false, "do not stop scenarios early on abort_on_fail assertions (they are still checked at the end)")
	fs.StringVar(&f.baseline, "baseline", "", "run document `BASE.json` whose figures assertions read as baseline.* (median over its repetitions)")
	fs.StringVar(&f.saveBaseline, "save-baseline", "", "write this run's document to `PATH` for later use with --baseline")
	fs.StringVar(&f.history, "history", "", "history database `PATH` each run is appended to (default $"+history.EnvVar+" or "+history.DefaultPath+")")
	fs.BoolVar(&f.noHistory, "no-history", false, "do not record this run in the history database")
	fs.Var(percentFlag{&f.threshold}, "threshold", "--mode regression: fail on a significant regression of at least `P` (e.g. 5% or 0.05)")
	fs.BoolVar(&f.quiet, "quiet", false, "no live progress")
	fs.BoolVar(&f.noColor, "no-color", false, "no colour (also off without a terminal or with NO_COLOR set)")
	fs.DurationVar(&f.progressEvery, "progress-interval", 5*time.Second, "how often to print a progress line when stderr is not a terminal")
	paths, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if err := f.applyMode(set); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan run:", err)
		return ExitUsage
	}
	if set["threshold"] && f.mode != modeRegression {
		fmt.Fprintln(env.Stderr, "perfplan run: --threshold applies only to --mode regression")
		return ExitUsage
	}
	if f.scale <= 0 {
		fmt.Fprintln(env.Stderr, "perfplan run: --duration-scale must be positive")
		return ExitUsage
	}
	if f.count < 1 {
		fmt.Fprintln(env.Stderr, "perfplan run: --count must be at least 1")
		return ExitUsage
	}
	scale := f.scale
	if f.quick {
		scale *= quickScale
	}
	var baseDoc *report.Document
	if f.baseline != "" {
		if baseDoc, err = report.ReadDocumentFile(f.baseline); err != nil {
			fmt.Fprintf(env.Stderr, "perfplan run: --baseline: %v\n", err)
			return ExitUsage
		}
	}
	plans, code := loadPlans(ctx, env, paths, f.vars, f.noColor)
	if code != ExitOK {
		return code
	}

	// The regression mode's base: --baseline, else each plan's latest run in
	// the history, read before this run is appended to it.
	var regressionBase *report.Document
	baseSource := f.baseline
	if f.mode == modeRegression {
		if baseDoc != nil {
			regressionBase = baseDoc
		} else {
			path := history.ResolvePath(f.history, env.getenv)
			regressionBase, err = latestRuns(ctx, path, plans)
			if err != nil {
				fmt.Fprintf(env.Stderr, "perfplan run: --mode regression: %v\n", err)
				return ExitUsage
			}
			if regressionBase == nil {
				fmt.Fprintf(env.Stderr, "perfplan run: --mode regression: no earlier run of these plans in %s and no --baseline; this run becomes the first to compare against\n", path)
			} else {
				baseDoc = regressionBase
				baseSource = "history " + path
			}
		}
	}
	var baseline *report.Baseline
	if baseDoc != nil {
		baseline = report.NewBaseline(baseDoc, baseSource)
	}

	color := !f.noColor && env.getenv("NO_COLOR") == "" && env.StdoutTTY
	tableOpts := report.TableOptions{Color: color}
	doc := report.NewDocument(Version(), scale, filepath.Dir(plans[0].File))
	doc.Start = time.Now()
	var interrupted, targetFailed, failed bool
	// Repetitions are interleaved across plans (A1 B1 A2 B2 ...), so that
	// drift in the machine's speed does not bias one plan.
repetitions:
	for rep := 1; rep <= f.count; rep++ {
		for _, p := range plans {
			if ctx.Err() != nil {
				interrupted = true
				break repetitions
			}
			if f.count > 1 && !f.quiet {
				fmt.Fprintf(env.Stderr, "plan %s: repetition %d/%d\n", p.Name, rep, f.count)
			}
			prog := newProgress(env, f.quiet, f.progressEvery)
			res, err := executor.Run(ctx, p, executor.Options{
				DurationScale: scale, Observer: prog, NoAbort: f.noAbort, Baseline: baselineFunc(baseline, p.Name),
			})
			prog.Close()
			if err != nil {
				var te *executor.TargetError
				if errors.As(err, &te) {
					targetFailed = true
				} else {
					failed = true
				}
				fmt.Fprintf(env.Stderr, "perfplan: plan %s (%s): %v\n", p.Name, p.File, err)
				doc.AddFailure(p.Name, p.File, p.Hash, err)
			} else {
				doc.AddResult(res)
				if !res.Passed() {
					failed = true
				}
			}
			pd := &doc.Plans[len(doc.Plans)-1]
			pd.Repetition = rep
			if err := report.WriteRepetitionTables(env.Stdout, pd, rep, f.count, tableOpts); err != nil {
				fmt.Fprintf(env.Stderr, "perfplan: %v\n", err)
			}
			if res != nil && res.Interrupted {
				interrupted = true
				break repetitions
			}
		}
	}
	doc.End = time.Now()

	code = ExitOK
	switch {
	case interrupted:
		code = ExitInterrupted
	case targetFailed:
		code = ExitTarget
	case failed:
		code = ExitFailed
	}
	if f.mode == modeRegression && regressionBase != nil && !interrupted {
		opts := compare.DefaultOptions()
		opts.Threshold = f.threshold
		regressed, err := regressionCheck(env.Stdout, regressionBase, doc, opts)
		if err != nil {
			fmt.Fprintf(env.Stderr, "perfplan run: --mode regression: %v\n", err)
			if code == ExitOK {
				code = ExitFailed
			}
		}
		if regressed && code == ExitOK {
			code = ExitFailed
		}
	}
	doc.Interrupted = interrupted
	doc.Passed = code == ExitOK
	doc.ExitCode = code
	for _, o := range f.outs {
		if err := writeOutput(doc, o.format, o.path); err != nil {
			fmt.Fprintf(env.Stderr, "perfplan: %v\n", err)
			if code == ExitOK {
				code = ExitFailed
			}
			continue
		}
		fmt.Fprintf(env.Stderr, "wrote %s results to %s\n", o.format, o.path)
	}
	if f.saveBaseline != "" {
		if err := doc.WriteFile(f.saveBaseline); err != nil {
			fmt.Fprintf(env.Stderr, "perfplan: --save-baseline: %v\n", err)
			if code == ExitOK {
				code = ExitFailed
			}
		} else {
			fmt.Fprintf(env.Stderr, "wrote baseline to %s\n", f.saveBaseline)
		}
	}
	switch {
	case f.noHistory:
	case interrupted:
		fmt.Fprintln(env.Stderr, "perfplan: the run was interrupted, so it is not recorded in the history")
	default:
		path := history.ResolvePath(f.history, env.getenv)
		if err := appendHistory(context.WithoutCancel(ctx), path, doc); err != nil {
			fmt.Fprintf(env.Stderr, "perfplan: warning: run not recorded in history: %v\n", err)
		}
	}
	return code
}

// baselineFunc resolves the baseline.* metrics of plan for the executor.
func baselineFunc(b *report.Baseline, plan string) func(scenario, metric string) (float64, error) {
	return func(scenario, metric string) (float64, error) {
		if b == nil {
			return 0, errors.New("run with --baseline FILE")
		}
		return b.Metric(plan, scenario, metric)
	}
}

// latestRuns builds the regression base from the history at path: for each
// plan, the repetitions of its latest recorded run. It returns nil when the
// history holds none of the plans (or does not exist).
func latestRuns(ctx context.Context, path string, plans []*plan.Plan) (*report.Document, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	store, err := history.Open(path)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	var base *report.Document
	seen := map[string]bool{}
	for _, p := range plans {
		if seen[p.Name] {
			continue
		}
		seen[p.Name] = true
		d, err := store.Latest(ctx, p.Name)
		if err != nil {
			return nil, err
		}
		if d == nil {
			continue
		}
		if base == nil {
			cp := *d
			cp.Plans = nil
			base = &cp
		}
		for _, pd := range d.Plans {
			if pd.Name == p.Name && pd.Error == "" {
				base.Plans = append(base.Plans, pd)
			}
		}
	}
	return base, nil
}

// regressionCheck compares doc with base as perfplan compare does, prints
// the table to w and reports whether a significant regression reached the
// threshold.
func regressionCheck(w io.Writer, base, doc *report.Document, opts compare.Options) (bool, error) {
	res, err := compare.Compare(base, doc, opts)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(w, "\nregression check (threshold %s, alpha %g) against the baseline:\n", percentFlag{&opts.Threshold}, opts.Alpha)
	if err := res.Write(w); err != nil {
		return false, fmt.Errorf("write comparison: %w", err)
	}
	return res.Failed(), nil
}

// appendHistory records doc in the history store at path.
func appendHistory(ctx context.Context, path string, doc *report.Document) error {
	store, err := history.Open(path)
	if err != nil {
		return err
	}
	if err := store.Append(ctx, doc); err != nil {
		store.Close()
		return err
	}
	return store.Close()
}

// loadPlans loads every plan file, prints all diagnostics, and checks that
// each --var names a variable that some plan declares. It stops with
// ExitInterrupted when ctx is cancelled (a signal) between files.
func loadPlans(ctx context.Context, env Env, args []string, vars []dsl.VarArg, noColor bool) ([]*plan.Plan, int) {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "perfplan: no plan files given")
		return nil, ExitUsage
	}
	paths, err := expandPaths(args)
	if err != nil {
		fmt.Fprintf(env.Stderr, "perfplan: %v\n", err)
		return nil, ExitUsage
	}
	loader := dsl.NewLoader(env.Registry, vars, env.Environ)
	var plans []*plan.Plan
	var diags hcl.Diagnostics
	for _, path := range paths {
		if ctx.Err() != nil {
			return nil, interruptedLoading(env)
		}
		p, d := loader.Load(path)
		diags = append(diags, d...)
		if p != nil && !d.HasErrors() {
			plans = append(plans, p)
		}
	}
	if ctx.Err() != nil {
		return nil, interruptedLoading(env)
	}
	if len(diags) > 0 {
		color := !noColor && env.getenv("NO_COLOR") == "" && env.StderrTTY
		if err := loader.WriteDiagnostics(env.Stderr, diags, color); err != nil {
			fmt.Fprintf(env.Stderr, "perfplan: %v\n", err)
		}
	}
	if diags.HasErrors() {
		n := 0
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				n++
			}
		}
		fmt.Fprintf(env.Stderr, "perfplan: %d error(s) in plans; nothing was run\n", n)
		return nil, ExitUsage
	}
	declared := loader.DeclaredVariables()
	for _, v := range vars {
		if v.Name != "" && !declared[v.Name] {
			fmt.Fprintf(env.Stderr, "perfplan: --var %s: no plan declares a variable %q\n", v.Name, v.Name)
			return nil, ExitUsage
		}
	}
	return plans, ExitOK
}

// expandPaths turns arguments into plan files: a directory means its *.hcl
// files, and a pattern the shell did not expand is globbed here.
func expandPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		switch {
		case err == nil && st.IsDir():
			m, _ := filepath.Glob(filepath.Join(a, "*.hcl"))
			if len(m) == 0 {
				return nil, fmt.Errorf("%s: no *.hcl plan files in directory", a)
			}
			out = append(out, m...)
		case err == nil:
			out = append(out, a)
		case strings.ContainsAny(a, "*?["):
			m, gerr := filepath.Glob(a)
			if gerr != nil || len(m) == 0 {
				return nil, fmt.Errorf("%s: no plan files match", a)
			}
			out = append(out, m...)
		default:
			return nil, fmt.Errorf("plan file: %w", err)
		}
	}
	return out, nil
}

func validateCommand(ctx context.Context, env Env, args []string) int {
	var vars []dsl.VarArg
	fs := newFlagSet("validate", "validate [flags] PLAN...", env.Stderr)
	addVarFlags(fs, &vars)
	noColor := fs.Bool("no-color", false, "no colour in diagnostics")
	paths, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage
	}
	plans, code := loadPlans(ctx, env, paths, vars, *noColor)
	if code != ExitOK {
		return code
	}
	for _, p := range plans {
		asserts := 0
		for _, s := range p.Scenarios {
			asserts += len(s.Asserts)
		}
		fmt.Fprintf(env.Stdout, "%s: plan %q is valid: %d target(s), %d workload(s), %d scenario(s), %d assertion(s)\n",
			p.File, p.Name, len(p.Targets), len(p.Workloads), len(p.Scenarios), asserts)
	}
	return ExitOK
}
