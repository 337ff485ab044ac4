package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/perfplan/perfplan/compare"
	"github.com/perfplan/perfplan/report"
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

// parsePercent reads "5%" as 0.05 and a bare number as a fraction.
func parsePercent(s string) (float64, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("want a percentage such as 5%% or a fraction such as 0.05, got %q", s)
	}
	if pct {
		v /= 100
	}
	if v < 0 {
		return 0, fmt.Errorf("negative percentage %q", s)
	}
	return v, nil
}

// compareCommand is `perfplan compare BASE.json NEW.json`: a benchstat-like
// comparison that exits 1 on a significant regression at or beyond the
// threshold.
func compareCommand(env Env, args []string) int {
	fs := newFlagSet("compare", "compare [flags] BASE.json NEW.json", env.Stderr)
	opts := compare.DefaultOptions()
	fs.Float64Var(&opts.Alpha, "alpha", opts.Alpha, "significance level of the tests (U test over --count runs, Welch t test on batch means of one run's per-second series)")
	fs.Var(percentFlag{&opts.Threshold}, "threshold", "fail on a significant regression at least this large (e.g. 5%)")
	fs.Float64Var(&opts.Confidence, "confidence", opts.Confidence, "level of the confidence intervals")
	fs.Var(percentFlag{&opts.Cutoffs.Critical}, "critical", "regression size rated Critical")
	fs.Var(percentFlag{&opts.Cutoffs.High}, "high", "regression size rated High")
	fs.Var(percentFlag{&opts.Cutoffs.Medium}, "medium", "regression size rated Medium (smaller significant ones are Low)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 2 {
		fmt.Fprintln(env.Stderr, "perfplan compare: want two run documents: BASE.json NEW.json")
		fs.Usage()
		return ExitUsage
	}
	base, err := report.ReadDocumentFile(pos[0])
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan compare:", err)
		return ExitUsage
	}
	next, err := report.ReadDocumentFile(pos[1])
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan compare:", err)
		return ExitUsage
	}
	res, err := compare.Compare(base, next, opts)
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan", err)
		return ExitUsage
	}
	if err := res.Write(env.Stdout); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan compare:", err)
		return ExitFailed
	}
	if res.Failed() {
		return ExitFailed
	}
	return ExitOK
}
