// Command run measures the performance figures that perfplan's
// documentation states, side by side in one run, and prints them as one
// Markdown table (docs/performance.md quotes it):
//
//   - the runner's hot path against a bare loop that times each call and
//     records it into HdrHistogram (package executor's benchmarks), on one
//     core and on every core, and the resource sampler's cost;
//   - the open model's pacing: the runner's CPU at 1,000/s on noop against
//     a time.Sleep-to-deadline loop, its cores and schedule lag at
//     100,000/s, and whether any wait spun (package executor's
//     BenchmarkPace);
//   - the cache target against raw otter v2 on Zipf keys: reads, 75 %
//     reads, sets (package targets/cache's benchmarks);
//   - each rate-limiter algorithm against golang.org/x/time/rate (package
//     targets/limiter's benchmarks);
//   - the peak RSS of the real perfplan binary running 1,000 and 10,000
//     constant-vus workers on a sleep target of 100ms, from the child's
//     rusage, and its throughput against workers ÷ service time;
//   - loading and validating 100 generated plans;
//   - bench/truth -quick and bench/http, as children, when their tools
//     exist; their tables follow the main one.
//
// Benchmarks run as children (go test -c binaries, -test.count 1), in
// interleaved repetitions: each repetition runs every benchmark of a
// comparison once, in alternating order, so that a slow spell of a shared
// machine hits both sides of a ratio alike. A ratio is computed within each
// repetition; the table shows the median ratio and the range (min–max) over
// the repetitions. Nothing here decides pass or fail from a timing except
// the goal column, which only reports.
//
// Usage, from the repository's root:
//
//	go run ./bench/run                   # about 9 minutes on a 2-core VM
//	go run ./bench/run -quick            # a smoke run of every section, about 3 minutes
//	go run ./bench/run -only cache,rss   # some sections
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	quick bool
	reps  int
	only  map[string]bool
	keep  bool
}

// row is one line of the result table.
type row struct {
	section, measure, value, spread, goal string
	// ok is "ok", "MISS" or "" (no goal).
	ok string
}

// block is a child harness's own output, kept whole: text is Markdown.
type block struct {
	title, command, text string
}

// runner holds one run's state.
type runner struct {
	ctx    context.Context
	opts   options
	dir    string            // temporary directory: binaries, plans, results
	bins   map[string]string // built binaries by name
	rows   []row
	blocks []block
	notes  []string
}

// section is one part of the measurement.
type section struct {
	name, doc string
	run       func(*runner) error
	// needs are the binaries the section runs (see runner.build).
	needs []string
}

// sections returns the sections, in the order they run.
func sections() []section {
	return []section{
		{"hotpath", "runner hot path against a bare timed loop; sampler cost", (*runner).hotPath, []string{"executor.test"}},
		{"pacing", "open-model pacing: runner CPU at 1,000/s and 100,000/s against a time.Sleep loop, lag, spinning", (*runner).pace, []string{"executor.test"}},
		{"cache", "cache target against raw otter", (*runner).cache, []string{"cache.test"}},
		{"limiter", "limiter algorithms against x/time/rate", (*runner).limiter, []string{"limiter.test"}},
		{"rss", "peak RSS of 1,000 and 10,000 workers", (*runner).rss, []string{"perfplan"}},
		{"plans", "loading 100 plans", (*runner).plans, []string{"perfplan"}},
		{"truth", "bench/truth -quick", (*runner).truth, []string{"truth"}},
		{"http", "bench/http", (*runner).http, []string{"perfplan", "httpbench"}},
	}
}

func main() {
	var o options
	var only string
	flag.BoolVar(&o.quick, "quick", false, "fewer repetitions and shorter runs: a smoke test of every section, not a measurement")
	flag.IntVar(&o.reps, "reps", 0, "repetitions of each comparison (default 7, 2 with -quick)")
	flag.StringVar(&only, "only", "", "comma-separated sections to run: "+sectionNames())
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (binaries, plans, results)")
	flag.Parse()
	if err := o.finish(only); err != nil {
		fatal(err)
	}
	if _, err := os.Stat("go.mod"); err != nil {
		fatal(fmt.Errorf("run from the repository's root (go run ./bench/run): %w", err))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, o, os.Stdout)
	if err != nil {
		fatal(err)
	}
	os.Exit(code)
}

// finish sets the defaults that depend on other flags and parses -only.
func (o *options) finish(only string) error {
	if o.reps <= 0 {
		o.reps = 7
		if o.quick {
			o.reps = 2
		}
	}
	if only == "" {
		return nil
	}
	o.only = map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		if !slices.ContainsFunc(sections(), func(x section) bool { return x.name == s }) {
			return fmt.Errorf("unknown section %q (sections: %s)", s, sectionNames())
		}
		o.only[s] = true
	}
	return nil
}

// run measures the selected sections and prints the table to w. It
// returns the exit code: 3 when interrupted.
func run(ctx context.Context, o options, w io.Writer) (int, error) {
	dir, err := os.MkdirTemp("", "perfplan-bench-run")
	if err != nil {
		return 1, err
	}
	if o.keep {
		fmt.Fprintf(os.Stderr, "keeping %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	r := &runner{ctx: ctx, opts: o, dir: dir, bins: map[string]string{}}
	start := time.Now()
	mode := ""
	if o.quick {
		mode = " -quick (a smoke run, not a measurement)"
	}
	fmt.Fprintf(w, "perfplan bench/run%s, %s\n\nmachine: %s\n\n", mode, start.UTC().Format("2006-01-02 15:04 MST"), machine())

	if err := r.build(); err != nil {
		return 1, fmt.Errorf("build: %w", err)
	}
	for _, s := range sections() {
		if !r.selected(s.name) || ctx.Err() != nil {
			continue
		}
		t0 := time.Now()
		fmt.Fprintf(os.Stderr, "== %s (%s)\n", s.name, s.doc)
		if err := s.run(r); err != nil {
			if ctx.Err() != nil {
				break
			}
			return 1, fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Fprintf(os.Stderr, "   %s done in %s\n", s.name, time.Since(t0).Round(time.Second))
	}
	r.print(w, time.Since(start))
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "interrupted: the table is incomplete")
		return 3, nil
	}
	return 0, nil
}

// selected reports whether section name runs.
func (r *runner) selected(name string) bool { return r.opts.only == nil || r.opts.only[name] }

func sectionNames() string {
	var n []string
	for _, s := range sections() {
		n = append(n, s.name)
	}
	return strings.Join(n, ", ")
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "bench/run: %v\n", err)
	os.Exit(1)
}

// machine describes the machine: cores, CPU model, kernel and Go.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := runtime.GOOS
	var u syscall.Utsname
	if err := syscall.Uname(&u); err == nil {
		kernel += " " + utsString(u.Release[:])
	}
	return fmt.Sprintf("%d cores (GOMAXPROCS %d), %s, %s, %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), model, kernel, runtime.Version())
}

// utsString converts a NUL-terminated utsname field.
func utsString[T int8 | uint8](f []T) string {
	var b strings.Builder
	for _, c := range f {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	return b.String()
}

// build compiles the test binaries and commands the selected sections need.
func (r *runner) build() error {
	sources := map[string][]string{
		"executor.test": {"test", "-c", "./executor"},
		"cache.test":    {"test", "-c", "./targets/cache"},
		"limiter.test":  {"test", "-c", "./targets/limiter"},
		"perfplan":      {"build", "./cmd/perfplan"},
		"truth":         {"build", "./bench/truth"},
		"httpbench":     {"build", "./bench/http"},
	}
	for _, s := range sections() {
		if !r.selected(s.name) {
			continue
		}
		for _, name := range s.needs {
			if _, done := r.bins[name]; done {
				continue
			}
			if name == "httpbench" && !fileExists(filepath.Join("bench", "http", "main.go")) {
				continue // the http section says why it skips
			}
			out := filepath.Join(r.dir, name)
			args := sources[name]
			args = append([]string{args[0], "-o", out}, args[1:]...)
			fmt.Fprintf(os.Stderr, "== go %s\n", strings.Join(args, " "))
			cmd := exec.CommandContext(r.ctx, "go", args...)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
			}
			r.bins[name] = out
		}
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// add appends a row; ok is nil for a row without a goal.
func (r *runner) add(section, measure, value, spread, goal string, ok *bool) {
	rw := row{section: section, measure: measure, value: value, spread: spread, goal: goal}
	if ok != nil {
		rw.ok = goalMark(*ok)
	}
	r.rows = append(r.rows, rw)
}

// goalMark is a row's ok column for a goal that held or not.
func goalMark(held bool) string {
	if held {
		return "ok"
	}
	return "MISS"
}

func ptr(b bool) *bool { return &b }

// print writes the table, the children's tables and the notes, in
// Markdown.
func (r *runner) print(w io.Writer, took time.Duration) {
	fmt.Fprintf(w, "%d repetitions of each comparison; ratios are medians over the repetitions, with their range (min–max).\n\n", r.opts.reps)
	fmt.Fprintln(w, "| section | measure | median | range | goal | |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	last := ""
	for _, rw := range r.rows {
		sec := rw.section
		if sec == last {
			sec = ""
		}
		last = rw.section
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", md(sec), md(rw.measure), md(rw.value), md(rw.spread), md(rw.goal), rw.ok)
	}
	for _, b := range r.blocks {
		fmt.Fprintf(w, "\n### %s\n\n`%s`\n\n%s\n", b.title, b.command, strings.TrimRight(b.text, "\n"))
	}
	for _, n := range r.notes {
		fmt.Fprintf(w, "\nNote: %s.\n", n)
	}
	fmt.Fprintf(w, "\nbench/run took %s.\n", took.Round(time.Second))
}

// md escapes a table cell for Markdown.
func md(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// child runs a command and returns its standard output; its standard
// error goes to ours (progress).
func (r *runner) child(name string, args ...string) (string, error) {
	cmd := exec.CommandContext(r.ctx, name, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && out.Len() > 0 {
			return out.String(), fmt.Errorf("%s %s: %w", filepath.Base(name), strings.Join(args, " "), err)
		}
		return "", fmt.Errorf("%s %s: %w", filepath.Base(name), strings.Join(args, " "), err)
	}
	return out.String(), nil
}
