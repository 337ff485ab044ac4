package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/merge"
	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/targets"
)

// expandDocs turns a directory among args into its *.json files, sorted,
// so that a merge step (a container without a shell) can name the shared
// results directory.
func expandDocs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			out = append(out, a)
			continue
		}
		m, _ := filepath.Glob(filepath.Join(a, "*.json"))
		if len(m) == 0 {
			return nil, fmt.Errorf("%s: no *.json run documents in directory", a)
		}
		sort.Strings(m)
		out = append(out, m...)
	}
	return out, nil
}

// mergeCommand is `perfplan merge [flags] RUN.json...`: it joins the run
// documents of the segments of a plan (perfplan run --segment I/N) into one
// run document, evaluates the assertions on the merged figures, prints the
// tables and exits with the merged verdict, as perfplan run would have for
// the whole load.
func mergeCommand(ctx context.Context, env Env, args []string) int {
	var f runFlags
	var allowPartial bool
	fs := newFlagSet("merge", "merge [flags] RUN.json|DIR...", env.Stderr)
	fs.Var(outFlag{&f.outs}, "out", "write the merged run as FORMAT=PATH (repeatable); formats: "+formatList())
	fs.BoolVar(&allowPartial, "allow-partial", false, "merge although segments are missing, and mark the result partial (not recorded in the history)")
	fs.StringVar(&f.baseline, "baseline", "", "run document `BASE.json` whose figures the re-evaluated assertions read as baseline.*")
	fs.StringVar(&f.history, "history", "", "history database `PATH` or postgres:// URL the merged run is appended to (default $"+history.EnvVar+" or "+history.DefaultPath+")")
	fs.BoolVar(&f.noHistory, "no-history", false, "do not record the merged run in the history database")
	fs.BoolVar(&f.noColor, "no-color", false, "no colour (also off without a terminal or with NO_COLOR set)")
	paths, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "perfplan merge: want the run documents of the segments (perfplan run --segment I/N --out json=PATH)")
		fs.Usage()
		return ExitUsage
	}
	if paths, err = expandDocs(paths); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan merge:", err)
		return ExitUsage
	}
	if code := checkOutputs(env, "merge", &f); code != ExitOK {
		return code
	}
	if f.toStdout() {
		f.stdout, env.Stdout = env.Stdout, env.Stderr
	}
	docs, baseline, err := readMergeInputs(paths, f.baseline)
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan merge:", err)
		return ExitUsage
	}
	opts := merge.Options{AllowPartial: allowPartial, Sources: paths, Baseline: baseline, Version: Version(), Conditions: dsl.Conditions{}}
	if env.Registry != nil {
		opts.Kind = func(name string) (*targets.Kind, bool) { return env.Registry.Lookup(name) }
	}
	doc, err := merge.Documents(docs, opts)
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan", err)
		return ExitUsage
	}
	printMergedSegments(env.Stdout, doc)
	color := !f.noColor && env.getenv("NO_COLOR") == "" && env.StdoutTTY
	if err := report.WriteDocumentTables(env.Stdout, doc, report.TableOptions{Color: color, Width: tableWidth(env)}); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan merge:", err)
	}

	code := mergedExitCode(doc)
	doc.Passed = code == ExitOK
	doc.ExitCode = code
	verdict := "PASS"
	if code != ExitOK {
		verdict = "FAIL"
	}
	fmt.Fprintf(env.Stdout, "\nmerged verdict: %s (exit %d)\n", verdict, code)
	if !writeRunOutputs(env, doc, &f) {
		code = ExitOutput
	}
	if !f.noHistory {
		recordHistory(ctx, env.Abort, env.Stderr, history.ResolvePath(f.history, env.getenv), doc)
	}
	return code
}

// readMergeInputs reads the run documents at paths and, when baselinePath
// is set, the baseline document.
func readMergeInputs(paths []string, baselinePath string) ([]*report.Document, *report.Baseline, error) {
	var baseline *report.Baseline
	if baselinePath != "" {
		bd, err := readDocument(baselinePath)
		if err != nil {
			return nil, nil, fmt.Errorf("--baseline: %w", err)
		}
		baseline = report.NewBaseline(bd, baselinePath)
	}
	docs := make([]*report.Document, len(paths))
	for i, p := range paths {
		var err error
		if docs[i], err = readDocument(p); err != nil {
			return nil, nil, err
		}
	}
	return docs, baseline, nil
}

// printMergedSegments prints which segments each plan of doc merged.
func printMergedSegments(w io.Writer, doc *report.Document) {
	for _, p := range doc.Plans {
		m := p.Merged
		var segs []string
		for _, i := range m.Segments {
			segs = append(segs, fmt.Sprintf("%d/%d", i, m.Count))
		}
		line := fmt.Sprintf("merged plan %s: segments %s", p.Name, strings.Join(segs, ", "))
		if m.Partial {
			line += fmt.Sprintf(" (PARTIAL: %d of %d segments)", len(m.Segments), m.Count)
		}
		fmt.Fprintln(w, line)
	}
}

// mergedExitCode is the exit code of a merged run: interrupted, a target
// that failed, failed assertions, or ExitOK.
func mergedExitCode(doc *report.Document) int {
	targetFailed := false
	for _, p := range doc.Plans {
		if p.Error != "" {
			targetFailed = true
		}
		for _, s := range p.Scenarios {
			targetFailed = targetFailed || s.TargetFailure != ""
		}
	}
	switch {
	case doc.Interrupted:
		return ExitInterrupted
	case targetFailed:
		return ExitTarget
	case !doc.Passed:
		return ExitFailed
	}
	return ExitOK
}
