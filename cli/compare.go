package cli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/perfplan/perfplan/compare"
	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/report/html"
)

// percentFlag is a relative figure written "5%" or "0.05".
type percentFlag struct{ v *float64 }

func (f percentFlag) String() string {
	if f.v == nil {
		return ""
	}
	return strconv.FormatFloat(*f.v*100, 'g', -1, 64) + "%"
}

func (f percentFlag) Set(s string) error {
	v, err := parsePercent(s)
	if err != nil {
		return err
	}
	*f.v = v
	return nil
}

// parsePercent reads "5%" as 0.05 and a bare number as a fraction. It
// accepts finite values from 0 to maxPercent (10000 %).
func parsePercent(s string) (float64, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("want a percentage such as 5%% or a fraction such as 0.05")
	}
	if pct {
		v /= 100
	}
	if err != nil || math.IsNaN(v) || v < 0 || v > maxPercent {
		return 0, fmt.Errorf("out of range; want a percentage from 0%% to %g%% (or a fraction from 0 to %g)", 100.0*maxPercent, float64(maxPercent))
	}
	return v, nil
}

// compareCommand is `perfplan compare BASE.json NEW.json`: a benchstat-like
// comparison that exits 1 on a significant regression at or beyond the
// threshold.
func compareCommand(env Env, args []string) int {
	fs := newFlagSet("compare", "compare [flags] BASE.json NEW.json", env.Stderr)
	opts := compare.DefaultOptions()
	probability := floatRange{min: 0, max: 1, minOpen: true, maxOpen: true}
	float64Var(fs, &opts.Alpha, "alpha", opts.Alpha, probability, "significance level of the tests (U test over --count runs, Welch t test on batch means of one run's per-second series)")
	fs.Var(percentFlag{&opts.Threshold}, "threshold", "fail on a significant regression at least this large (e.g. 5%)")
	float64Var(fs, &opts.Confidence, "confidence", opts.Confidence, probability, "level of the confidence intervals")
	fs.Var(percentFlag{&opts.Cutoffs.Critical}, "critical", "regression size rated Critical")
	fs.Var(percentFlag{&opts.Cutoffs.High}, "high", "regression size rated High")
	fs.Var(percentFlag{&opts.Cutoffs.Medium}, "medium", "regression size rated Medium (smaller significant ones are Low)")
	format := fs.String("format", "table", "output format: "+strings.Join(compareFormats, ", "))
	var noColor bool
	addNoColorFlag(fs, &noColor)
	pos, code, done := parseCommand(fs, args)
	if done {
		return code
	}
	if err := checkCutoffs(opts.Cutoffs.Medium, opts.Cutoffs.High, opts.Cutoffs.Critical); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan compare:", err)
		return ExitUsage
	}
	if !slices.Contains(compareFormats, *format) {
		fmt.Fprintf(env.Stderr, "perfplan compare: unknown format %q (want %s)\n", *format, strings.Join(compareFormats, ", "))
		return ExitUsage
	}
	if len(pos) != 2 {
		fmt.Fprintln(env.Stderr, "perfplan compare: want two run documents: BASE.json NEW.json")
		fs.Usage()
		return ExitUsage
	}
	base, err := readDocument(pos[0])
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan compare:", err)
		return ExitUsage
	}
	next, err := readDocument(pos[1])
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan compare:", err)
		return ExitUsage
	}
	res, err := compare.Compare(base, next, opts)
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan", err)
		return ExitUsage
	}
	style := compare.Style{Color: colorOn(env, noColor, env.StdoutTTY), Width: tableWidth(env)}
	if err := writeComparison(env.Stdout, res, *format, style, base, next); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan compare:", err)
		return ExitFailed
	}
	if res.Failed() {
		return ExitFailed
	}
	if res.Inconclusive() {
		return ExitInconclusive
	}
	return ExitOK
}

// compareFormats are perfplan compare's --format values.
var compareFormats = []string{"table", "markdown", "html", "json"}

// writeComparison renders res in format: the benchstat-like table (in
// style), Markdown for a pull request, or the HTML compare view.
func writeComparison(w io.Writer, res *compare.Result, format string, style compare.Style, base, next *report.Document) error {
	switch format {
	case "markdown":
		return res.WriteMarkdown(w)
	case "html":
		return html.WriteCompare(w, res, base, next)
	case "json":
		return res.WriteJSON(w)
	}
	return res.WriteStyled(w, style)
}
