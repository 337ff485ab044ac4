// Package cli is perfplan's command-line interface. cmd/perfplan calls Main
// with the built-in target registry; a team that registers its own targets
// builds its own binary around the same Main with its own registry, and
// DefaultEnv wires it as cmd/perfplan is wired (signals, terminal
// detection); examples/custom-target is such a binary:
//
//	reg := builtin.Registry()
//	reg.MustRegister(mytarget.Kind())
//	ctx, env, stop := cli.DefaultEnv(context.Background(), os.Args[1:], reg)
//	code := cli.Main(ctx, env)
//	stop()
//	os.Exit(code)
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/targets"
)

// Exit codes, as documented in the README and in `perfplan --help`.
const (
	ExitOK          = 0 // every assertion held
	ExitFailed      = 1 // an assertion failed (or fmt -check found unformatted files)
	ExitUsage       = 2 // usage error or invalid plan (diagnostics printed)
	ExitInterrupted = 3 // interrupted by a signal; results so far are written
	ExitTarget      = 4 // a target failed to start
	// ExitOutput means a result file (--out, --save-baseline) could not be
	// written when the run ended; the tables on stdout still give the
	// verdict. It takes precedence over 1, 3 and 4, which promise written
	// results.
	ExitOutput = 5
	// ExitInconclusive means an assertion failed only on figures that
	// measured interference explains (a busy neighbour, a CPU quota, a
	// pause of the process), or read a duet figure that got no verdict,
	// and none failed otherwise; see
	// docs/metrics.md. Any real failure wins (1).
	ExitInconclusive = 6
)

// Env is everything Main needs from the process.
type Env struct {
	Args     []string
	Registry *targets.Registry
	Stdout   io.Writer
	Stderr   io.Writer
	// Environ is the process environment (os.Environ()), read for
	// PERFPLAN_VAR_* variables, NO_COLOR and CI.
	Environ []string
	// StderrTTY reports whether stderr is a terminal (live progress bars).
	StderrTTY bool
	// StdoutTTY reports whether stdout is a terminal (colour).
	StdoutTTY bool
	// StdoutWidth is the width of the terminal on stdout, in columns; 0
	// without one. The tables fit COLUMNS when it is set, else this width,
	// else report.DefaultWidth (see tableWidth).
	StdoutWidth int
	// Abort is closed on a second interrupt: a run then cuts the operations
	// in flight at once instead of waiting for them (up to graceful_stop).
	// Main's ctx is cancelled by the first interrupt. A nil Abort never
	// fires.
	Abort <-chan struct{}
}

func (e Env) getenv(name string) string {
	for _, kv := range e.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

const usage = `perfplan: declarative performance test plans

Usage:
  perfplan run [flags] PLAN...       run plans, check assertions, print results
  perfplan validate [flags] PLAN...  load and check plans without running them
  perfplan fmt [--check] [--diff] PATH...  rewrite plan files in canonical format (--diff: show, do not write)
  perfplan report [--format F] RUN.json  render a saved run (table, markdown, csv, junit, json, html)
  perfplan compare BASE.json NEW.json    compare two runs with statistics, like benchstat
                                         (--format table, markdown or html)
  perfplan ab [flags] PLAN...         run plans as A and B side by side (--b-var, --b-bin, ...)
                                     and compare B with A pair by pair, like compare
  perfplan merge [flags] RUN.json...     join the runs of segments (run --segment I/N) into one
                                         run, re-evaluate its assertions and exit with its verdict
  perfplan history [PLAN] [--metric M]   show stored runs, trends and change points
                                         (--format table or html)
  perfplan init KIND [FILE]          write a commented starter plan for a target kind
  perfplan targets                   list the registered target kinds
  perfplan version                   print the version

Run 'perfplan COMMAND -h' for a command's flags. Every command accepts
--no-color (colour is also off without a terminal and with NO_COLOR set);
run (no live progress) and validate (diagnostics only) accept --quiet.

Exit codes:
  0  every assertion held
  1  an assertion failed, compare or ab found a regression, or fmt -check found
     a file that needs formatting
  2  usage error or invalid plan (diagnostics printed)
  3  interrupted by a signal (results so far are still written)
  4  a target failed to start
  5  a result file (--out, --save-baseline) could not be written at the end
     of the run; the tables still give the verdict (takes precedence over
     1, 3 and 4)
  6  inconclusive: an assertion failed only on figures that measured
     interference explains (another process's CPU, a CPU quota, steal, a
     pause of perfplan's process) or read a duet figure that got no
     verdict, and no assertion failed otherwise; perfplan run
     --inconclusive fail|pass maps it to 1 or 0
`

// Main runs the perfplan command line and returns the process exit code.
func Main(ctx context.Context, env Env) int {
	if env.Stdout == nil {
		env.Stdout = os.Stdout
	}
	if env.Stderr == nil {
		env.Stderr = os.Stderr
	}
	if len(env.Args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ExitUsage
	}
	cmd, args := env.Args[0], env.Args[1:]
	switch cmd {
	case "run":
		return runCommand(ctx, env, args)
	case "validate":
		return validateCommand(ctx, env, args)
	case "fmt":
		return fmtCommand(env, args)
	case "report":
		return reportCommand(env, args)
	case "compare":
		return compareCommand(env, args)
	case "ab":
		return abCommand(ctx, env, args)
	case "merge":
		return mergeCommand(ctx, env, args)
	case "history":
		return historyCommand(env, args)
	case "targets":
		return targetsCommand(env, args)
	case "init":
		return initCommand(env, args)
	case "version", "-version", "--version":
		fmt.Fprintln(env.Stdout, "perfplan", Version())
		return ExitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "perfplan: unknown command %q\n\n%s", cmd, usage)
	return ExitUsage
}

// Version returns the module version and VCS revision the binary was built
// from, as recorded by the Go toolchain.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " " + rev + dirty
	}
	return v + " " + bi.GoVersion
}

// targetsCommand is `perfplan targets`: the registered target kinds with
// their operations and statistics.
func targetsCommand(env Env, args []string) int {
	fs := newFlagSet("targets", "targets", env.Stderr)
	var noColor bool // the list has no colour; accepted as every command accepts it
	addNoColorFlag(fs, &noColor)
	pos, code, done := parseCommand(fs, args)
	if done {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintln(env.Stderr, "perfplan targets: takes no arguments")
		return ExitUsage
	}
	for _, name := range env.Registry.Names() {
		k, _ := env.Registry.Lookup(name)
		var ops []string
		for _, op := range k.Ops {
			ops = append(ops, op.Name)
		}
		opsLine := strings.Join(ops, ", ")
		if k.OpSchema != nil {
			var attrs []string
			for _, a := range k.OpSchema.Attrs {
				attrs = append(attrs, a.Name)
			}
			opsLine = "any name, each op block configured by weight, " + strings.Join(attrs, ", ")
		}
		width := tableWidth(env)
		fmt.Fprintf(env.Stdout, "%-10s %s\n", k.Name, k.Doc)
		report.WriteWrapped(env.Stdout, "ops: "+opsLine, width, "           ", "                ")
		var stats, sparse []string
		for _, st := range k.Stats {
			if k.IsSparse(st) {
				sparse = append(sparse, st)
			} else {
				stats = append(stats, st)
			}
		}
		if len(stats) > 0 {
			report.WriteWrapped(env.Stdout, "stats: "+strings.Join(compactNames(stats), ", "), width, "           ", "                ")
		}
		if len(sparse) > 0 {
			report.WriteWrapped(env.Stdout, "listed once counted (else 0): "+strings.Join(compactNames(sparse), ", "), width, "           ", "                ")
		}
	}
	return ExitOK
}

// tableWidth is the width the tables are laid out for: COLUMNS when it is a
// positive number, else the terminal's width, else report.DefaultWidth.
func tableWidth(env Env) int {
	if n, err := strconv.Atoi(strings.TrimSpace(env.getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if env.StdoutWidth > 0 {
		return env.StdoutWidth
	}
	return report.DefaultWidth
}

// numbered splits a statistic's name around its first run of digits:
// "status_200" is "status_", "200", "".
var numbered = regexp.MustCompile(`^(\D*?)(\d+)(.*)$`)

// compactNames writes statistic names as target.NAME, a family that differs
// only in a number as one entry: "target.l{1,2,3}_hits", and a long one
// (the http kind's status codes) as "target.status_NNN (63 codes, 100–511)".
func compactNames(names []string) []string {
	type family struct {
		prefix, suffix string
		nums           []string
	}
	var order []*family
	byKey := map[string]*family{}
	var out []string
	slot := map[*family]int{}
	for _, n := range names {
		m := numbered.FindStringSubmatch(n)
		if m == nil {
			out = append(out, "target."+n)
			continue
		}
		key := m[1] + "\x00" + m[3]
		f := byKey[key]
		if f == nil {
			f = &family{prefix: m[1], suffix: m[3]}
			byKey[key] = f
			order = append(order, f)
			slot[f] = len(out)
			out = append(out, "")
		}
		f.nums = append(f.nums, m[2])
	}
	for _, f := range order {
		switch {
		case len(f.nums) == 1:
			out[slot[f]] = "target." + f.prefix + f.nums[0] + f.suffix
		case len(f.nums) <= 6:
			out[slot[f]] = "target." + f.prefix + "{" + strings.Join(f.nums, ",") + "}" + f.suffix
		default:
			out[slot[f]] = fmt.Sprintf("target.%s%s%s (%d of them, %s–%s)", f.prefix, strings.Repeat("N", len(f.nums[0])), f.suffix, len(f.nums), f.nums[0], f.nums[len(f.nums)-1])
		}
	}
	return out
}
