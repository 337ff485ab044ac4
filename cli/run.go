package cli

import (
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
	"github.com/perfplan/perfplan/report/promwrite"
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
	if format == promFormat {
		if err := promwrite.CheckURL(path); err != nil {
			return fmt.Errorf("%s=%s: %v", promFormat, path, err)
		}
	} else if _, known := report.Writers()[format]; !known {
		return fmt.Errorf("unknown format %q (known: %s, and %s=URL)", format, strings.Join(report.FormatNames(), ", "), promFormat)
	}
	*f.outs = append(*f.outs, output{format, path})
	return nil
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
regression (run, then compare with --baseline or the last good history run of each plan,
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
	fs.Var(outFlag{&f.outs}, "out", "write results as FORMAT=PATH (repeatable); formats: "+strings.Join(report.FormatNames(), ", ")+
		"; prometheus=URL pushes live metrics to a Prometheus remote-write endpoint")
	fs.StringVar(&f.mode, "mode", modeFull, modeHelp)
	fs.BoolVar(&f.quick, "quick", false, fmt.Sprintf("scale every scenario duration by %g for smoke runs", quickScale))
	float64Var(fs, &f.scale, "duration-scale", 1, floatRange{min: minDurationScale, max: maxDurationScale}, "multiply every scenario duration by `F`")
	intVar(fs, &f.count, "count", 1, intRange{min: 1, max: maxCount}, "run each plan `N` times, interleaved across plans; every repetition is kept in the results")
	fs.BoolVar(&f.noAbort, "no-abort", false, "do not stop scenarios early on abort_on_fail assertions (they are still checked at the end)")
	fs.StringVar(&f.baseline, "baseline", "", "run document `BASE.json` whose figures assertions read as baseline.* (median over its repetitions)")
	fs.StringVar(&f.saveBaseline, "save-baseline", "", "write this run's document to `PATH` for later use with --baseline")
	fs.StringVar(&f.history, "history", "", "history database `PATH` each run is appended to (default $"+history.EnvVar+" or "+history.DefaultPath+")")
	fs.BoolVar(&f.noHistory, "no-history", false, "do not record this run in the history database")
	fs.Var(percentFlag{&f.threshold}, "threshold", "--mode regression: fail on a significant regression of at least `P` (e.g. 5% or 0.05)")
	fs.BoolVar(&f.quiet, "quiet", false, "no live progress")
	fs.BoolVar(&f.noColor, "no-color", false, "no colour (also off without a terminal or with NO_COLOR set)")
	durationVar(fs, &f.progressEvery, "progress-interval", 5*time.Second, durationRange{min: minProgressInterval, max: maxProgressInterval}, "how often (`D`) to print a progress line when stderr is not a terminal")
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
	if code := checkRunOutputs(env, &f); code != ExitOK {
		return code
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
	if err := checkScaledDurations(plans, scale); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan run:", err)
		return ExitUsage
	}

	// The regression mode's base: --baseline, else each plan's last good run
	// in the history (see latestRuns), read before this run is appended to
	// it. baseNotes say which runs those are.
	var regressionBase *report.Document
	var baseNotes []string
	baseSource := f.baseline
	if f.mode == modeRegression {
		if baseDoc != nil {
			regressionBase = baseDoc
			baseNotes = []string{docLabel(baseDoc)}
		} else {
			path := history.ResolvePath(f.history, env.getenv)
			regressionBase, baseNotes, err = latestRuns(ctx, path, plans)
			if err != nil {
				fmt.Fprintf(env.Stderr, "perfplan run: --mode regression: %v\n", err)
				if ctx.Err() != nil {
					return ExitInterrupted
				}
				return ExitUsage
			}
			baseSource = "history " + path
			if regressionBase == nil {
				fmt.Fprintf(env.Stderr, "perfplan run: --mode regression: warning: no good earlier run of these plans in %s and no --baseline: this run is not compared (a run that passes becomes the base of the next)\n", path)
			} else {
				baseDoc = regressionBase
			}
		}
	}
	var baseline *report.Baseline
	if baseDoc != nil {
		baseline = report.NewBaseline(baseDoc, baseSource)
	}

	live, err := startLiveOutputs(&f)
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan run:", err)
		return ExitUsage
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
				Abort:         env.Abort,
				DurationScale: scale, Observer: live.observer(p.Name, prog, env.Stderr), NoAbort: f.noAbort, Baseline: baselineFunc(baseline, p.Name),
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
				if res.TargetFailed() {
					targetFailed = true
				}
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
	live.close(env.Stderr)

	code = ExitOK
	switch {
	case interrupted:
		code = ExitInterrupted
	case targetFailed:
		code = ExitTarget
	case failed:
		code = ExitFailed
	}
	if f.mode == modeRegression && !interrupted {
		opts := compare.DefaultOptions()
		opts.Threshold = f.threshold
		regressed, err := regressionCheck(env.Stdout, regressionBase, doc, opts, baseSource, baseNotes)
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
	if !writeRunOutputs(env, doc, &f) {
		code = ExitOutput
	}
	appendStepSummary(env, doc)
	switch {
	case f.noHistory:
	case interrupted:
		fmt.Fprintln(env.Stderr, "perfplan: the run was interrupted, so it is not recorded in the history")
	default:
		recordHistory(context.WithoutCancel(ctx), env.Stderr, history.ResolvePath(f.history, env.getenv), doc)
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

// regressionCheck compares doc with base as perfplan compare does, prints
// the table to w and reports whether a significant regression reached the
// threshold. source names the base ("history PATH" or the --baseline file)
// and notes say which runs it holds. A nil base (nothing good to compare
// with) is said so on w, and is no regression.
func regressionCheck(w io.Writer, base, doc *report.Document, opts compare.Options, source string, notes []string) (bool, error) {
	if base == nil {
		fmt.Fprintf(w, "\nregression check: NOT COMPARED: no good earlier run of these plans in %s\n", source)
		for _, n := range notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
		fmt.Fprintln(w, "The exit status reflects the assertions only. A run that passes becomes the base of the next check.")
		return false, nil
	}
	res, err := compare.Compare(base, doc, opts)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(w, "\nregression check (threshold %s, alpha %g) against %s:\n", percentFlag{&opts.Threshold}, opts.Alpha, source)
	for _, n := range notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
	if err := res.Write(w); err != nil {
		return false, fmt.Errorf("write comparison: %w", err)
	}
	return res.Failed(), nil
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
