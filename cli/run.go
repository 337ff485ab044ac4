package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/perfplan/perfplan/compare"
	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/profiling"
	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/report/promwrite"
)

// quickScale is the duration scale of --quick and --mode quick.
const quickScale = 0.1

// output is one --out FORMAT=PATH.
type output struct{ format, path string }

type outFlag struct{ outs *[]output }

// allFormat is --out all=DIR: every file format into DIR, under the names
// of allFiles.
const allFormat = "all"

// allFiles names the files of --out all=DIR, by format.
var allFiles = []output{
	{"json", "results.json"}, {"csv", "results.csv"}, {"markdown", "results.md"},
	{"junit", "results.junit.xml"}, {"html", "results.html"},
}

// allFormatList is "json, csv, markdown, junit and html".
func allFormatList() string {
	var names []string
	for _, o := range allFiles {
		names = append(names, o.format)
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// allOutputs are the outputs of --out all=dir.
func allOutputs(dir string) []output {
	var outs []output
	for _, o := range allFiles {
		outs = append(outs, output{o.format, filepath.Join(dir, o.path)})
	}
	return outs
}

func (f outFlag) String() string { return "" }
func (f outFlag) Set(s string) error {
	format, path, ok := strings.Cut(s, "=")
	if !ok || path == "" {
		return fmt.Errorf("want FORMAT=PATH, got %q", s)
	}
	format = formatAlias(format)
	if format == allFormat {
		*f.outs = append(*f.outs, allOutputs(path)...)
		return nil
	}
	if format == promFormat {
		if err := promwrite.CheckURL(path); err != nil {
			return fmt.Errorf("%s=%s: %v", promFormat, promwrite.Redact(path), err)
		}
	} else if _, known, err := writerFor(format); err != nil {
		return err
	} else if !known {
		return fmt.Errorf("unknown format %q (known: %s, md for markdown, %s=DIR and %s=URL)", format, formatList(), allFormat, promFormat)
	}
	*f.outs = append(*f.outs, output{format, path})
	return nil
}

// formatAlias returns the report format that name stands for: "md" is
// "markdown"; any other name is itself.
func formatAlias(name string) string {
	if name == "md" {
		return "markdown"
	}
	return name
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
	profile       bool
	threshold     float64
	segment       plan.Segment
	// stdout is the standard output kept for a result written to "-"
	// (--out json=-), when the tables go to standard error instead.
	stdout  io.Writer
	startAt time.Time
	// inconclusive is what an inconclusive verdict exits with:
	// "" (ExitInconclusive), "fail" or "pass".
	inconclusive      string
	retryInconclusive int
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

// runCommand is `perfplan run`: it loads the plans, runs each of them
// --count times, prints the tables, checks a regression in --mode
// regression, writes the result files and appends the run to the history.
func runCommand(ctx context.Context, env Env, args []string) int {
	f, paths, code := parseRunFlags(env, args)
	if f == nil {
		return code
	}
	if f.toStdout() {
		f.stdout, env.Stdout = env.Stdout, env.Stderr
	}
	r, code := prepareRun(ctx, env, f, paths)
	if code != ExitOK {
		return code
	}
	env = scrubEnv(env, r.plans)
	doc, out := r.repetitions(ctx, env)
	if out.failed && !f.segment.Whole() {
		// A segment's assertions read its share of the load; the plan's
		// verdict is perfplan merge's.
		fmt.Fprintf(env.Stderr, "perfplan run: segment %s: assertions are evaluated on this segment's share of the load; perfplan merge gives the plan's verdict\n", f.segment)
		out.failed, out.segmentFailed = false, true
	}
	out.inconclusiveAs = f.inconclusive
	code = out.exitCode()
	if f.mode == modeRegression && !out.interrupted {
		code = r.regressionVerdict(env, doc, code)
	}
	if out.runs > 1 {
		// One overall verdict ends a run of several plans or
		// repetitions, so the last line never reads PASS when an
		// earlier plan failed.
		if err := report.WriteSummary(env.Stdout, doc, code, r.tableOpts); err != nil {
			fmt.Fprintf(env.Stderr, "perfplan: %v\n", err)
		}
	}
	return r.finish(ctx, env, doc, code, out)
}

// define adds the run flags to fs.
func (f *runFlags) define(fs *flag.FlagSet) {
	addVarFlags(fs, &f.vars)
	fs.Var(outFlag{&f.outs}, "out", "write results as FORMAT=PATH (repeatable); formats: "+formatList()+
		"; all=DIR writes "+allFormatList()+" into DIR; prometheus=URL pushes live metrics to a Prometheus remote-write endpoint")
	fs.StringVar(&f.mode, "mode", modeFull, modeHelp)
	fs.BoolVar(&f.quick, "quick", false, fmt.Sprintf("scale every scenario duration by %g for smoke runs", quickScale))
	float64Var(fs, &f.scale, "duration-scale", 1, floatRange{min: minDurationScale, max: maxDurationScale}, "multiply every scenario duration by `F`")
	intVar(fs, &f.count, "count", 1, intRange{min: 1, max: maxCount}, "run each plan `N` times, interleaved across plans; every repetition is kept in the results")
	fs.BoolVar(&f.noAbort, "no-abort", false, "do not stop scenarios early on abort_on_fail assertions (they are still checked at the end)")
	fs.StringVar(&f.baseline, "baseline", "", "run document `BASE.json` whose figures assertions read as baseline.* (median over its repetitions)")
	fs.StringVar(&f.saveBaseline, "save-baseline", "", "write this run's document to `PATH` for later use with --baseline")
	fs.StringVar(&f.history, "history", "", "history database each run is appended to: a SQLite file `PATH`, or a postgres:// URL (default $"+history.EnvVar+" or "+history.DefaultPath+")")
	fs.BoolVar(&f.noHistory, "no-history", false, "do not record this run in the history database")
	fs.BoolVar(&f.profile, "profile", false, "capture a CPU and an allocation profile of each scenario (kept in the run document; see perfplan report --profile)")
	fs.Var(percentFlag{&f.threshold}, "threshold", "--mode regression: fail on a significant regression of at least `P` (e.g. 5% or 0.05)")
	fs.Var(segmentFlag{&f.segment}, "segment", "run segment `I/N` of every scenario's load (0 <= I < N), as one of N processes whose runs perfplan merge joins;\nworkers, iterations and arrivals split so the N segments add up to the whole plan (see docs/scale-out.md)")
	fs.Var(startAtFlag{&f.startAt}, "start-at", "begin the load at `TIME` (RFC 3339, or a Unix time in seconds), after the targets are open,\nso that segments started at different moments load together; it must lie ahead, by at most "+shortDuration(maxStartAhead))
	fs.Func("inconclusive", "exit with `fail` (1) or `pass` (0) instead of 6 when the verdict is inconclusive (measured interference explains every failure)", func(s string) error {
		if s != "fail" && s != "pass" {
			return fmt.Errorf("want fail or pass, got %q", s)
		}
		f.inconclusive = s
		return nil
	})
	intVar(fs, &f.retryInconclusive, "retry-inconclusive", 0, intRange{min: 0, max: maxRetryInconclusive}, "run a plan whose verdict is inconclusive again, up to `N` times; the last run is kept")
	addQuietFlag(fs, &f.quiet, "no live progress")
	addNoColorFlag(fs, &f.noColor)
	durationVar(fs, &f.progressEvery, "progress-interval", 5*time.Second, durationRange{min: minProgressInterval, max: maxProgressInterval}, "how often (`D`) to print a progress line when stderr is not a terminal")
}

// parseRunFlags parses the run command line and checks the flags against
// each other and the result files for being writable. A nil runFlags means
// the command is done (help, or a usage error printed) with the code
// returned.
func parseRunFlags(env Env, args []string) (*runFlags, []string, int) {
	f := &runFlags{threshold: compare.DefaultOptions().Threshold}
	fs := newFlagSet("run", "run [flags] PLAN...", env.Stderr)
	f.define(fs)
	paths, code, done := parseCommand(fs, args)
	if done {
		return nil, nil, code
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if err := f.applyMode(set); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan run:", err)
		return nil, nil, ExitUsage
	}
	if set["threshold"] && f.mode != modeRegression {
		fmt.Fprintln(env.Stderr, "perfplan run: --threshold applies only to --mode regression")
		return nil, nil, ExitUsage
	}
	if !f.startAt.IsZero() {
		if err := checkStartAt(f.startAt, time.Now()); err != nil {
			fmt.Fprintln(env.Stderr, "perfplan run:", err)
			return nil, nil, ExitUsage
		}
	}
	if !f.segment.Whole() && f.mode == modeRegression {
		fmt.Fprintln(env.Stderr, "perfplan run: --mode regression compares whole runs: run the segments, perfplan merge them, then compare the merged run")
		return nil, nil, ExitUsage
	}
	if code := checkRunOutputs(env, f); code != ExitOK {
		return nil, nil, code
	}
	return f, paths, ExitOK
}

// preparedRun is a run ready to start: its flags, its plans and what they
// are compared with.
type preparedRun struct {
	flags *runFlags
	// scale is the duration scale: --duration-scale, times 0.1 with --quick.
	scale float64
	plans []*plan.Plan
	// baseline answers the assertions' baseline.* metrics; nil without one.
	baseline *report.Baseline
	// regression is the base of --mode regression.
	regression regressionBase
	tableOpts  report.TableOptions
	// live are the outputs that receive metrics while the run goes on
	// (--out prometheus=URL).
	live *liveOutputs
}

// regressionBase is what --mode regression compares a run with.
type regressionBase struct {
	// doc is the base; nil when there is nothing good to compare with.
	doc *report.Document
	// source names it: the --baseline file or "history PATH".
	source string
	// notes say which runs it holds, or why there are none.
	notes []string
}

// prepareRun reads the --baseline document, loads the plans and, in
// --mode regression, finds the base to compare with, before anything runs.
func prepareRun(ctx context.Context, env Env, f *runFlags, paths []string) (*preparedRun, int) {
	r := &preparedRun{flags: f, scale: f.scale}
	if f.quick {
		r.scale *= quickScale
	}
	var baseDoc *report.Document
	if f.baseline != "" {
		var err error
		if baseDoc, err = readDocument(f.baseline); err != nil {
			fmt.Fprintf(env.Stderr, "perfplan run: --baseline: %v\n", err)
			return nil, ExitUsage
		}
	}
	plans, code := loadPlans(ctx, env, paths, f.vars, f.noColor)
	if code != ExitOK {
		return nil, code
	}
	if err := checkScaledDurations(plans, r.scale); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan run:", err)
		return nil, ExitUsage
	}
	var err error
	if plans, err = segmentPlans(plans, f.segment); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan run:", err)
		return nil, ExitUsage
	}
	r.plans = plans
	baseSource := f.baseline
	if f.mode == modeRegression {
		if r.regression, code = findRegressionBase(ctx, env, f, baseDoc, plans); code != ExitOK {
			return nil, code
		}
		baseDoc, baseSource = r.regression.doc, r.regression.source
	}
	if baseDoc != nil {
		r.baseline = report.NewBaseline(baseDoc, baseSource)
	}
	r.tableOpts = report.TableOptions{Color: colorOn(env, f.noColor, env.StdoutTTY), Width: tableWidth(env)}
	if r.live, err = startLiveOutputs(env, f); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan run:", err)
		return nil, ExitUsage
	}
	return r, ExitOK
}

// findRegressionBase returns the base of --mode regression: the --baseline
// document, else each plan's last good run in the history (see latestRuns),
// read before this run is appended to it.
func findRegressionBase(ctx context.Context, env Env, f *runFlags, baseDoc *report.Document, plans []*plan.Plan) (regressionBase, int) {
	if baseDoc != nil {
		return regressionBase{doc: baseDoc, source: f.baseline, notes: []string{docLabel(baseDoc)}}, ExitOK
	}
	path := history.ResolvePath(f.history, env.getenv)
	doc, notes, err := latestRuns(ctx, path, plans)
	if err != nil {
		fmt.Fprintf(env.Stderr, "perfplan run: --mode regression: %v\n", err)
		if ctx.Err() != nil {
			return regressionBase{}, ExitInterrupted
		}
		return regressionBase{}, ExitUsage
	}
	if doc == nil {
		fmt.Fprintf(env.Stderr, "perfplan run: --mode regression: warning: no good earlier run of these plans in %s and no --baseline: this run is not compared (a run that passes becomes the base of the next)\n", path)
	}
	return regressionBase{doc: doc, source: "history " + history.Redact(path), notes: notes}, ExitOK
}

// runOutcome is what went wrong in a run's repetitions.
type runOutcome struct {
	interrupted  bool // a signal stopped the run
	targetFailed bool // a target failed to start
	failed       bool // an assertion failed, or a plan could not run
	inconclusive bool // an assertion was inconclusive
	// inconclusiveAs is --inconclusive: "", "fail" or "pass".
	inconclusiveAs string
	// runs counts the plans' runs.
	runs int
	// segmentFailed: an assertion failed on a segment's share of the load
	// (--segment); it does not fail the process, but the document says so.
	segmentFailed bool
}

// add records the outcome of one repetition of one plan.
func (o *runOutcome) add(p runOutcome) {
	o.interrupted = o.interrupted || p.interrupted
	o.targetFailed = o.targetFailed || p.targetFailed
	o.failed = o.failed || p.failed
	o.inconclusive = o.inconclusive || p.inconclusive
	o.runs += p.runs
}

// exitCode is the run's exit code before the regression check and the
// result files: an interruption first, then a target that failed to start,
// then a failed assertion.
func (o runOutcome) exitCode() int {
	switch {
	case o.interrupted:
		return ExitInterrupted
	case o.targetFailed:
		return ExitTarget
	case o.failed:
		return ExitFailed
	case o.inconclusive && o.inconclusiveAs == "fail":
		return ExitFailed
	case o.inconclusive && o.inconclusiveAs != "pass":
		return ExitInconclusive
	}
	return ExitOK
}

// verdict is the run's verdict over every plan.
func (o runOutcome) verdict() string {
	switch {
	case o.failed || o.targetFailed:
		return executor.VerdictFail
	case o.inconclusive:
		return executor.VerdictInconclusive
	}
	return executor.VerdictPass
}

// repetitions runs every plan --count times into one document. Repetitions
// are interleaved across plans (A1 B1 A2 B2 ...), so that drift in the
// machine's speed does not bias one plan. An interruption stops them.
func (r *preparedRun) repetitions(ctx context.Context, env Env) (*report.Document, runOutcome) {
	doc := report.NewDocument(Version(), r.scale, filepath.Dir(r.plans[0].File))
	doc.Start = time.Now()
	var out runOutcome
	for rep := 1; rep <= r.flags.count && !out.interrupted; rep++ {
		for _, p := range r.plans {
			if ctx.Err() != nil {
				out.interrupted = true
				break
			}
			po := r.runPlan(ctx, env, doc, p, rep)
			for try := 1; po.inconclusive && !po.failed && !po.interrupted && try <= r.flags.retryInconclusive && ctx.Err() == nil; try++ {
				fmt.Fprintf(env.Stderr, "perfplan: plan %s was inconclusive (measured interference explains its failures): retry %d of %d\n", p.Name, try, r.flags.retryInconclusive)
				doc.Plans = doc.Plans[:len(doc.Plans)-1]
				po = r.runPlan(ctx, env, doc, p, rep)
				doc.Plans[len(doc.Plans)-1].Retries = try
			}
			out.add(po)
			if out.interrupted {
				break
			}
		}
	}
	doc.End = time.Now()
	r.live.close(env.Stderr)
	return doc, out
}

// runPlan runs repetition rep of plan p, adds its results (or its failure)
// to doc and prints its tables.
func (r *preparedRun) runPlan(ctx context.Context, env Env, doc *report.Document, p *plan.Plan, rep int) runOutcome {
	f := r.flags
	if f.count > 1 && !f.quiet {
		fmt.Fprintf(env.Stderr, "plan %s: repetition %d/%d\n", p.Name, rep, f.count)
	}
	prog := newProgress(env, f.quiet, f.progressEvery)
	// --start-at is the common start of the first plan's load; the runs
	// after it follow on in each process.
	var startAt time.Time
	if rep == 1 && p == r.plans[0] {
		startAt = f.startAt
	}
	prof := startProfile(ctx, env, f.profile || p.Profile, p.Name)
	res, err := executor.Run(ctx, p, executor.Options{
		Abort:         env.Abort,
		DurationScale: r.scale, Observer: r.live.observer(p.Name, prog, env.Stderr), NoAbort: f.noAbort, Baseline: baselineFunc(r.baseline, p.Name),
		StartAt: startAt, Profiler: prof.profiler(),
	})
	prog.Close()
	profs := prof.stop(env)
	var out runOutcome
	if err != nil {
		var te *executor.TargetError
		out.targetFailed = errors.As(err, &te)
		out.failed = !out.targetFailed
		fmt.Fprintf(env.Stderr, "perfplan: plan %s (%s): %v\n", p.Name, p.File, err)
		doc.AddFailure(p.Name, p.File, p.Hash, err)
	} else {
		doc.AddResult(res)
		out.targetFailed = res.TargetFailed()
		v := res.Verdict()
		out.failed = v == executor.VerdictFail
		out.inconclusive = v == executor.VerdictInconclusive
	}
	out.runs = 1
	out.interrupted = res != nil && res.Interrupted
	pd := &doc.Plans[len(doc.Plans)-1]
	pd.Repetition = rep
	scrubPlanDoc(pd, p.Sensitive)
	report.EscapePlanNames(pd)
	profiling.Attach(pd, profs)
	if err := report.WriteRepetitionTables(env.Stdout, pd, rep, f.count, r.tableOpts); err != nil {
		fmt.Fprintf(env.Stderr, "perfplan: %v\n", err)
	}
	return out
}

// regressionVerdict compares doc with the regression base, prints the
// comparison and returns code updated by it: a significant regression
// beyond --threshold, or a comparison that could not be made, fails a run
// that passed.
func (r *preparedRun) regressionVerdict(env Env, doc *report.Document, code int) int {
	opts := compare.DefaultOptions()
	opts.Threshold = r.flags.threshold
	regressed, err := regressionCheck(env.Stdout, r.regression.doc, doc, opts, r.regression.source, r.regression.notes)
	if err != nil {
		fmt.Fprintf(env.Stderr, "perfplan run: --mode regression: %v\n", err)
	}
	if (err != nil || regressed) && (code == ExitOK || code == ExitInconclusive) {
		return ExitFailed
	}
	return code
}

// finish records the verdict in doc, writes the result files and appends
// the run to the history. It returns the exit code: code, or ExitOutput
// when a result file could not be written.
func (r *preparedRun) finish(ctx context.Context, env Env, doc *report.Document, code int, out runOutcome) int {
	doc.Interrupted = out.interrupted
	doc.Passed = code == ExitOK && !out.segmentFailed
	doc.Verdict = out.verdict()
	doc.ExitCode = code
	if !writeRunOutputs(env, doc, r.flags) {
		code = ExitOutput
	}
	appendStepSummary(env, doc)
	switch {
	case r.flags.noHistory:
	case !r.flags.segment.Whole():
		fmt.Fprintf(env.Stderr, "perfplan: segment %s is not recorded in the history; record the merged run (perfplan merge --history)\n", r.flags.segment)
	case out.interrupted:
		fmt.Fprintln(env.Stderr, "perfplan: the run was interrupted, so it is not recorded in the history")
	default:
		recordHistory(ctx, env.Abort, env.Stderr, history.ResolvePath(r.flags.history, env.getenv), doc)
	}
	return code
}

// colorOn reports whether output to a stream is coloured: not with
// --no-color, not with NO_COLOR set, and only on a terminal (tty).
func colorOn(env Env, noColor, tty bool) bool {
	return !noColor && env.getenv("NO_COLOR") == "" && tty
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
