package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/perfplan/perfplan/compare"
	"github.com/perfplan/perfplan/compare/paired"
	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/report/html"
)

// abFlags are perfplan ab's flags.
type abFlags struct {
	both, a, b []dsl.VarArg
	aBin, bBin string
	alternate  bool
	slices     int
	scale      float64
	outs       []output
	keep       string
	quiet      bool
	noColor    bool
	startLead  time.Duration
	opts       compare.Options
}

// abFormats are the formats of ab --out.
var abFormats = []string{"json", "markdown", "html"}

// abStopWait is how long an interrupted side may take to stop before it is
// killed.
const abStopWait = time.Minute

// abCommand is `perfplan ab PLAN...`: it runs the plans as A and B side by
// side, each side by its own perfplan process (its own binary with
// --a-bin/--b-bin), both at the same time (duet, the default) or in
// alternating slices (--alternate), and compares B with A pair by pair. It
// exits 1 on a significant regression of at least --threshold, as compare
// does.
func abCommand(ctx context.Context, env Env, args []string) int {
	f := &abFlags{opts: compare.DefaultOptions()}
	fs := newFlagSet("ab", "ab [flags] PLAN...", env.Stderr)
	fs.Var(varFlag{varFlags{&f.both}}, "var", "set a plan variable on both sides: NAME=VALUE (repeatable)")
	fs.Var(varFileFlag{varFlags{&f.both}}, "var-file", "read plan variables for both sides from an HCL file (repeatable)")
	fs.Var(varFlag{varFlags{&f.a}}, "a-var", "set a plan variable on side A: NAME=VALUE (repeatable; wins over --var)")
	fs.Var(varFileFlag{varFlags{&f.a}}, "a-var-file", "read plan variables for side A from an HCL file (repeatable)")
	fs.Var(varFlag{varFlags{&f.b}}, "b-var", "set a plan variable on side B: NAME=VALUE (repeatable; wins over --var)")
	fs.Var(varFileFlag{varFlags{&f.b}}, "b-var-file", "read plan variables for side B from an HCL file (repeatable)")
	fs.StringVar(&f.aBin, "a-bin", "", "perfplan binary `PATH` that runs side A (default: this one), e.g. a build with your own targets from main")
	fs.StringVar(&f.bBin, "b-bin", "", "perfplan binary `PATH` that runs side B (default: this one), e.g. the pull request's build")
	fs.BoolVar(&f.alternate, "alternate", false, "run A and B in alternating slices (A B B A A B ...) instead of at the same time")
	intVar(fs, &f.slices, "slices", 10, intRange{min: 5, max: maxCount}, "--alternate: slices per side, each running the plan scaled by 1/`N`")
	float64Var(fs, &f.scale, "duration-scale", 1, floatRange{min: minDurationScale, max: maxDurationScale}, "multiply every scenario duration by `F`")
	fs.Var(percentFlag{&f.opts.Threshold}, "threshold", "fail on a significant regression at least this large (e.g. 5%)")
	probability := floatRange{min: 0, max: 1, minOpen: true, maxOpen: true}
	float64Var(fs, &f.opts.Alpha, "alpha", f.opts.Alpha, probability, "significance level of the paired test")
	float64Var(fs, &f.opts.Confidence, "confidence", f.opts.Confidence, probability, "level of the confidence intervals")
	fs.Var(percentFlag{&f.opts.Cutoffs.Critical}, "critical", "regression size rated Critical")
	fs.Var(percentFlag{&f.opts.Cutoffs.High}, "high", "regression size rated High")
	fs.Var(percentFlag{&f.opts.Cutoffs.Medium}, "medium", "regression size rated Medium (smaller significant ones are Low)")
	fs.Var(abOutFlag{&f.outs}, "out", "write the comparison as FORMAT=PATH (repeatable); formats: "+strings.Join(abFormats, ", "))
	durationVar(fs, &f.startLead, "start-lead", 3*time.Second, durationRange{min: 100 * time.Millisecond, max: time.Hour},
		"duet: start both sides' load this long (`D`) after launching them, time to load the plans and open the targets")
	fs.StringVar(&f.keep, "keep", "", "keep the run documents of both sides in directory `DIR` (a.json and b.json)")
	addQuietFlag(fs, &f.quiet, "no lines about the runs on stderr")
	addNoColorFlag(fs, &f.noColor)
	paths, code, done := parseCommand(fs, args)
	if done {
		return code
	}
	if err := checkCutoffs(f.opts.Cutoffs.Medium, f.opts.Cutoffs.High, f.opts.Cutoffs.Critical); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan ab:", err)
		return ExitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["slices"] && !f.alternate {
		fmt.Fprintln(env.Stderr, "perfplan ab: --slices applies only to --alternate")
		return ExitUsage
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "perfplan ab: no plan files given")
		fs.Usage()
		return ExitUsage
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan ab: find this binary:", err)
		return ExitUsage
	}
	for _, p := range []*string{&f.aBin, &f.bBin} {
		if *p == "" {
			*p = self
		} else if _, err := os.Stat(*p); err != nil {
			fmt.Fprintln(env.Stderr, "perfplan ab:", err)
			return ExitUsage
		}
	}
	dir, err := os.MkdirTemp("", "perfplan-ab")
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan ab:", err)
		return ExitUsage
	}
	defer os.RemoveAll(dir)
	sides := []*abSide{
		{name: "A", bin: f.aBin, vars: append(append([]dsl.VarArg(nil), f.both...), f.a...)},
		{name: "B", bin: f.bBin, vars: append(append([]dsl.VarArg(nil), f.both...), f.b...)},
	}
	if code := f.runSides(ctx, env, dir, paths, sides); code != ExitOK {
		return code
	}
	return f.finish(env, sides)
}

// abOutFlag is ab --out FORMAT=PATH.
type abOutFlag struct{ outs *[]output }

func (f abOutFlag) String() string { return "" }
func (f abOutFlag) Set(s string) error {
	format, path, ok := strings.Cut(s, "=")
	if !ok || path == "" {
		return fmt.Errorf("want FORMAT=PATH, got %q", s)
	}
	if !slices.Contains(abFormats, format) {
		return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(abFormats, ", "))
	}
	*f.outs = append(*f.outs, output{format, path})
	return nil
}

// abSide is one side of perfplan ab: its binary, its variables and the
// run document its runs made (one plan entry per run, or per slice).
type abSide struct {
	name string
	bin  string
	vars []dsl.VarArg
	doc  *report.Document
	// failed is set when a run's own assertions failed; the comparison
	// does not depend on them.
	failed bool
}

// runArgs is the perfplan run command line of one run of side s.
func (s *abSide) runArgs(out string, scale float64, startAt time.Time, paths []string) []string {
	args := []string{"run", "--quiet", "--no-color", "--no-history", "--no-abort",
		"--duration-scale", fmt.Sprint(scale), "--out", "json=" + out}
	if !startAt.IsZero() {
		args = append(args, "--start-at", startAt.UTC().Format(time.RFC3339Nano))
	}
	for _, v := range s.vars {
		if v.File != "" {
			args = append(args, "--var-file", v.File)
		} else {
			args = append(args, "--var", v.Name+"="+v.Value)
		}
	}
	return append(append(args, "--"), paths...)
}

// runSides runs both sides, at the same time or in alternating slices,
// and reads their documents.
func (f *abFlags) runSides(ctx context.Context, env Env, dir string, paths []string, sides []*abSide) int {
	if !f.alternate {
		start := time.Now().Add(f.startLead)
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, s := range sides {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = f.runOne(ctx, env, s, filepath.Join(dir, s.name+".json"), f.scale, start, paths)
			}()
		}
		wg.Wait()
		for _, c := range codes {
			if c != ExitOK {
				return c
			}
		}
		return ExitOK
	}
	// ABBA order: A B, B A, A B, ... so that a drift over time weighs on
	// both sides alike.
	for i := 0; i < f.slices; i++ {
		order := []*abSide{sides[0], sides[1]}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, s := range order {
			out := filepath.Join(dir, fmt.Sprintf("%s-%d.json", s.name, i))
			if c := f.runOne(ctx, env, s, out, f.scale/float64(f.slices), time.Time{}, paths); c != ExitOK {
				return c
			}
		}
	}
	return ExitOK
}

// runOne runs side s once and adds its plans to the side's document, each
// as the next repetition.
func (f *abFlags) runOne(ctx context.Context, env Env, s *abSide, out string, scale float64, startAt time.Time, paths []string) int {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, s.bin, s.runArgs(out, scale, startAt, paths)...)
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	cmd.Env = env.Environ
	// Interrupted, the side stops its load gracefully, as run does on a
	// signal, and is killed only if it has not ended a while later.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = abStopWait
	err := cmd.Run()
	code := ExitOK
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		fmt.Fprintf(env.Stderr, "perfplan ab: side %s: %v\n", s.name, err)
		return ExitUsage
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(env.Stderr, "perfplan ab: interrupted during side %s\n", s.name)
		return ExitInterrupted
	case code == ExitFailed:
		s.failed = true
	case code != ExitOK:
		fmt.Fprintf(env.Stderr, "perfplan ab: side %s (%s) exited %d:\n%s", s.name, s.bin, code, stderr.String())
		return code
	}
	d, err := report.ReadDocumentFile(out)
	if err != nil {
		fmt.Fprintf(env.Stderr, "perfplan ab: side %s: %v\n", s.name, err)
		return ExitTarget
	}
	if s.doc == nil {
		s.doc = d
		for i := range s.doc.Plans {
			s.doc.Plans[i].Repetition = 1
		}
		return ExitOK
	}
	for _, p := range d.Plans {
		p.Repetition = repetitions(s.doc, p.Name) + 1
		s.doc.Plans = append(s.doc.Plans, p)
	}
	return ExitOK
}

// repetitions counts the plan entries of doc named name.
func repetitions(doc *report.Document, name string) int {
	n := 0
	for _, p := range doc.Plans {
		if p.Name == name {
			n++
		}
	}
	return n
}

// finish compares the sides, prints the table, writes --out and --keep and
// returns the exit code.
func (f *abFlags) finish(env Env, sides []*abSide) int {
	a, b := sides[0], sides[1]
	for _, s := range sides {
		for _, p := range s.doc.Plans {
			if p.Error != "" {
				fmt.Fprintf(env.Stderr, "perfplan ab: side %s: plan %s: %s\n", s.name, p.Name, p.Error)
				return ExitTarget
			}
		}
	}
	if !f.alternate {
		for _, s := range sides {
			for _, p := range s.doc.Plans {
				for _, e := range p.Errors {
					if strings.Contains(e, "after the common start time") {
						fmt.Fprintf(env.Stderr, "perfplan ab: side %s: %s; the sides' intervals may not line up (raise --start-lead)\n", s.name, e)
					}
				}
			}
		}
	}
	res, err := compare.ComparePaired(a.doc, b.doc, f.opts)
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan ab:", err)
		return ExitUsage
	}
	if !f.quiet {
		mode := "duet: A and B at the same time"
		if f.alternate {
			mode = fmt.Sprintf("alternating slices: %d per side, A B B A ...", f.slices)
		}
		fmt.Fprintf(env.Stderr, "perfplan ab: %s; A = %s, B = %s\n", mode, describeSide(a), describeSide(b))
		for _, s := range sides {
			if s.failed {
				fmt.Fprintf(env.Stderr, "perfplan ab: side %s: the plan's own assertions failed; the comparison does not use them\n", s.name)
			}
		}
	}
	style := compare.Style{Color: colorOn(env, f.noColor, env.StdoutTTY), Width: tableWidth(env)}
	if err := res.WriteStyled(env.Stdout, style); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan ab:", err)
		return ExitOutput
	}
	code := ExitOK
	if res.Failed() {
		code = ExitFailed
	}
	for _, o := range f.outs {
		if err := f.writeOut(o, res, a, b); err != nil {
			fmt.Fprintf(env.Stderr, "perfplan ab: write %s: %v\n", o.path, err)
			code = ExitOutput
		}
	}
	if f.keep != "" {
		for _, s := range sides {
			if err := writeDocFile(filepath.Join(f.keep, strings.ToLower(s.name)+".json"), s.doc); err != nil {
				fmt.Fprintln(env.Stderr, "perfplan ab:", err)
				code = ExitOutput
			}
		}
	}
	return code
}

// describeSide says what runs a side: its binary when it is not this one,
// and its variables.
func describeSide(s *abSide) string {
	var parts []string
	if self, _ := os.Executable(); s.bin != self {
		parts = append(parts, s.bin)
	}
	for _, v := range s.vars {
		if v.File != "" {
			parts = append(parts, "var-file "+v.File)
		} else {
			parts = append(parts, v.Name+"="+v.Value)
		}
	}
	if len(parts) == 0 {
		return "(as written)"
	}
	return strings.Join(parts, " ")
}

func writeDocFile(path string, d *report.Document) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// writeOut writes the comparison in one --out format.
func (f *abFlags) writeOut(o output, res *compare.Result, a, b *abSide) error {
	var buf bytes.Buffer
	switch o.format {
	case "markdown":
		if err := res.WriteMarkdown(&buf); err != nil {
			return err
		}
	case "html":
		if err := html.WriteCompare(&buf, res, a.doc, b.doc); err != nil {
			return err
		}
	default:
		if err := json.NewEncoder(&buf).Encode(f.abJSON(res, a, b)); err != nil {
			return err
		}
	}
	return os.WriteFile(o.path, buf.Bytes(), 0o644)
}

// abDoc is the JSON document of perfplan ab --out json.
type abDoc struct {
	Mode   string   `json:"mode"`
	Slices int      `json:"slices,omitempty"`
	Method string   `json:"method"`
	A      abSideJS `json:"a"`
	B      abSideJS `json:"b"`
	// Failed is the verdict: a significant regression of at least
	// Threshold.
	Failed     bool     `json:"failed"`
	Threshold  float64  `json:"threshold"`
	Alpha      float64  `json:"alpha"`
	Confidence float64  `json:"confidence"`
	Rows       []abRow  `json:"rows"`
	Missing    []string `json:"missing,omitempty"`
}

type abSideJS struct {
	Bin  string   `json:"bin"`
	Vars []string `json:"vars,omitempty"`
	// AssertionsFailed is set when the plan's own assertions failed on
	// this side.
	AssertionsFailed bool `json:"assertions_failed,omitempty"`
}

// abRow is one compared figure; Change, Low and High are fractions of A
// (0.05 is B 5 % higher), absent when there is no verdict.
type abRow struct {
	Plan        string   `json:"plan"`
	Scenario    string   `json:"scenario"`
	Metric      string   `json:"metric"`
	Unit        string   `json:"unit"`
	A           float64  `json:"a"`
	B           float64  `json:"b"`
	Pairs       int      `json:"pairs"`
	Change      *float64 `json:"change,omitempty"`
	Low         *float64 `json:"low,omitempty"`
	High        *float64 `json:"high,omitempty"`
	P           *float64 `json:"p,omitempty"`
	Significant bool     `json:"significant"`
	Verdict     string   `json:"verdict,omitempty"`
	Failing     bool     `json:"failing,omitempty"`
	Method      string   `json:"method"`
	Advice      string   `json:"advice,omitempty"`
}

func (f *abFlags) abJSON(res *compare.Result, a, b *abSide) abDoc {
	d := abDoc{Mode: "duet", Method: paired.Method, Failed: res.Failed(), Threshold: f.opts.Threshold,
		Alpha: f.opts.Alpha, Confidence: f.opts.Confidence, Rows: []abRow{}, Missing: res.Missing}
	if f.alternate {
		d.Mode, d.Slices = "alternate", f.slices
	}
	side := func(s *abSide) abSideJS {
		js := abSideJS{Bin: s.bin, AssertionsFailed: s.failed}
		for _, v := range s.vars {
			if v.File != "" {
				js.Vars = append(js.Vars, "@"+v.File)
			} else {
				js.Vars = append(js.Vars, v.Name+"="+v.Value)
			}
		}
		return js
	}
	d.A, d.B = side(a), side(b)
	fin := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	for _, r := range res.Rows {
		row := abRow{Plan: r.Plan, Scenario: r.Scenario, Metric: r.Metric.Name, Unit: r.Metric.Unit,
			A: r.Base.Center, B: r.New.Center, Pairs: r.Method.BaseN, P: fin(r.P), Significant: r.Significant,
			Verdict: r.Verdict(), Failing: r.Failing, Method: r.Method.String(), Advice: r.Advice}
		if !r.Declined {
			row.Change, row.Low, row.High = fin(r.Delta), fin(r.DeltaLo), fin(r.DeltaHi)
		}
		d.Rows = append(d.Rows, row)
	}
	return d
}
