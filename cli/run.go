package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/report"
)

// quickScale is the duration scale of --quick.
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

type runFlags struct {
	vars          []dsl.VarArg
	outs          []output
	quick         bool
	scale         float64
	quiet         bool
	noColor       bool
	progressEvery time.Duration
}

func runCommand(ctx context.Context, env Env, args []string) int {
	var f runFlags
	fs := newFlagSet("run", "run [flags] PLAN...", env.Stderr)
	addVarFlags(fs, &f.vars)
	fs.Var(outFlag{&f.outs}, "out", "write results as FORMAT=PATH (repeatable); formats: "+strings.Join(report.FormatNames(), ", "))
	fs.BoolVar(&f.quick, "quick", false, fmt.Sprintf("scale every scenario duration by %g for smoke runs", quickScale))
	fs.Float64Var(&f.scale, "duration-scale", 1, "multiply every scenario duration by `F`")
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
	if f.scale <= 0 {
		fmt.Fprintln(env.Stderr, "perfplan run: --duration-scale must be positive")
		return ExitUsage
	}
	scale := f.scale
	if f.quick {
		scale *= quickScale
	}
	plans, code := loadPlans(env, paths, f.vars, f.noColor)
	if code != ExitOK {
		return code
	}

	color := !f.noColor && env.getenv("NO_COLOR") == "" && env.StdoutTTY
	doc := report.NewDocument(Version(), scale, filepath.Dir(plans[0].File))
	doc.Start = time.Now()
	var interrupted, targetFailed, failed bool
	for _, p := range plans {
		if ctx.Err() != nil {
			interrupted = true
			break
		}
		prog := newProgress(env, f.quiet, f.progressEvery)
		res, err := executor.Run(ctx, p, executor.Options{DurationScale: scale, Observer: prog})
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
			_ = report.WritePlanTables(env.Stdout, &doc.Plans[len(doc.Plans)-1], report.TableOptions{Color: color})
			continue
		}
		doc.AddResult(res)
		if err := report.WritePlanTables(env.Stdout, &doc.Plans[len(doc.Plans)-1], report.TableOptions{Color: color}); err != nil {
			fmt.Fprintf(env.Stderr, "perfplan: %v\n", err)
		}
		if res.Interrupted {
			interrupted = true
			break
		}
		if !res.Passed() {
			failed = true
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
	return code
}

// loadPlans loads every plan file, prints all diagnostics, and checks that
// each --var names a variable that some plan declares.
func loadPlans(env Env, args []string, vars []dsl.VarArg, noColor bool) ([]*plan.Plan, int) {
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
		p, d := loader.Load(path)
		diags = append(diags, d...)
		if p != nil && !d.HasErrors() {
			plans = append(plans, p)
		}
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

func validateCommand(env Env, args []string) int {
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
	plans, code := loadPlans(env, paths, vars, *noColor)
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
