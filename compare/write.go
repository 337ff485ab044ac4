package compare

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/perfplan/perfplan/report"
)

// fmtValue renders a value of metric m in its unit.
func fmtValue(m Metric, v float64) string {
	switch m.Unit {
	case "ns":
		return report.Duration(time.Duration(v))
	case "/s":
		return report.Rate(v)
	case "ratio":
		return report.Percent(v)
	}
	return report.Number(v)
}

// ciString renders a summary's interval as ± the larger relative distance
// from the centre, as benchstat does. An interval below the level asked
// for (too few runs) is marked with its level, "± 12% @94%"; with no
// interval it returns "".
func ciString(s Summary) string {
	if s.Confidence == 0 || math.IsInf(s.Lo, 0) || math.IsInf(s.Hi, 0) || math.IsNaN(s.Lo) || math.IsNaN(s.Hi) {
		return ""
	}
	var out string
	switch {
	case s.Center == 0 && s.Lo == 0 && s.Hi == 0:
		out = "± 0%"
	case s.Center == 0:
		out = "± ?"
	default:
		v := math.Max(s.Hi/s.Center-1, 1-s.Lo/s.Center)
		out = fmt.Sprintf("± %.0f%%", 100*v)
	}
	if s.Reduced {
		out += fmt.Sprintf(" @%.0f%%", 100*s.Confidence)
	}
	return out
}

// ValueString renders a summary's centre with its interval.
func ValueString(m Metric, s Summary) string {
	v := fmtValue(m, s.Center)
	if ci := ciString(s); ci != "" {
		v += " " + ci
	}
	return v
}

// DeltaString renders a row's change: "~" when not significant, "?" (with
// the point estimate) when there is no verdict, otherwise the delta with its
// interval.
func (r Row) DeltaString() string {
	if r.Declined {
		if math.IsInf(r.Delta, 0) || math.IsNaN(r.Delta) {
			return "?"
		}
		return fmt.Sprintf("? (%+.1f%%)", 100*r.Delta)
	}
	if !r.Significant {
		return "~"
	}
	if math.IsInf(r.Delta, 1) {
		return "up from 0"
	}
	s := fmt.Sprintf("%+.2f%%", 100*r.Delta)
	if !math.IsNaN(r.DeltaLo) && !math.IsInf(r.DeltaLo, 0) && !math.IsNaN(r.DeltaHi) && !math.IsInf(r.DeltaHi, 0) {
		s += fmt.Sprintf(" [%+.1f%%, %+.1f%%]", 100*r.DeltaLo, 100*r.DeltaHi)
	}
	return s
}

// PString renders the p-value and the number of samples per side.
func (r Row) PString() string {
	n := "n=" + pair(r.Base.N, r.New.N)
	if r.Declined || math.IsNaN(r.P) {
		return "p=? " + n
	}
	return fmt.Sprintf("p=%.3f %s", r.P, n)
}

// Verdict is "Critical", "High", "Medium", "Low", "improvement", "no
// verdict" or "".
func (r Row) Verdict() string {
	switch {
	case r.Declined:
		return "no verdict"
	case r.Regression:
		return r.Severity.String()
	case r.Improvement:
		return "improvement"
	}
	return ""
}

// Heading describes a plan's samples and statistics.
func Heading(row Row, opts Options) string {
	switch row.Source {
	case SourcePairedIntervals:
		return fmt.Sprintf("plan %s (A and B at the same time; pairs: the i-th interval of each side; change: geometric mean of B/A with its %g%% interval, paired t on batch means of log ratios, alpha %g)", row.Plan, 100*opts.Confidence, opts.Alpha)
	case SourcePairedSlices:
		return fmt.Sprintf("plan %s (A and B in alternating slices; pairs: slice i of A and of B; change: geometric mean of B/A with its %g%% interval, paired t on batch means of log ratios, alpha %g)", row.Plan, 100*opts.Confidence, opts.Alpha)
	case "repetitions":
		return fmt.Sprintf("plan %s (samples: repetitions, one per run; median ± %g%% interval; U test, alpha %g)", row.Plan, 100*opts.Confidence, opts.Alpha)
	default:
		return fmt.Sprintf("plan %s (samples: intervals of one run per side; mean ± %g%% interval from batch means; Welch t test on batch means, alpha %g)", row.Plan, 100*opts.Confidence, opts.Alpha)
	}
}

// Style tunes how WriteStyled prints a comparison.
type Style struct {
	// Color paints the verdict line: REGRESSION red, NO VERDICT yellow, OK
	// green (ANSI colour, for a terminal).
	Color bool
	// Width bounds the tables' lines (0: report.DefaultWidth).
	Width int
}

// Write prints the comparison as a benchstat-like table per plan, the
// advice for each regression, the notes and a verdict line, without colour.
func (r *Result) Write(w io.Writer) error {
	return r.WriteStyled(w, Style{})
}

// WriteStyled is Write in style s.
func (r *Result) WriteStyled(w io.Writer, s Style) error {
	for start := 0; start < len(r.Rows); {
		end := start + 1
		for end < len(r.Rows) && r.Rows[end].Plan == r.Rows[start].Plan {
			end++
		}
		if err := r.writePlanTable(w, r.Rows[start:end], s.width()); err != nil {
			return err
		}
		start = end
	}
	writeRegressions(w, r.Regressions(), s.width())
	r.writeProfiles(w)
	for _, msg := range r.notes() {
		report.WriteWrapped(w, "note: "+msg, s.width(), "", "  ")
	}
	verdict, color := r.verdict()
	fmt.Fprintln(w, "\n"+report.Paint(s.Color, verdict, color))
	return nil
}

// width is the width the tables fit.
func (s Style) width() int {
	if s.Width <= 0 {
		return report.DefaultWidth
	}
	return s.Width
}

// writePlanTable prints the heading and the table of one plan's rows.
func (r *Result) writePlanTable(w io.Writer, rows []Row, width int) error {
	fmt.Fprintln(w)
	report.WriteWrapped(w, Heading(rows[0], r.Options), width, "", "  ")
	align := []tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft, tw.AlignLeft}
	t := report.NewTable(w, []string{"scenario", "op", "metric", "base", "new", "delta", "p (n)", "verdict", "method"}, align, width).Keys(3)
	for i, row := range rows {
		scen, op := row.Scenario, row.Op
		if i > 0 && rows[i-1].Scenario == row.Scenario {
			scen = ""
			if rows[i-1].Op == row.Op {
				op = ""
			}
		}
		cells := []string{scen, op, row.Metric.Name,
			ValueString(row.Metric, row.Base),
			ValueString(row.Metric, row.New),
			row.DeltaString(),
			row.PString(),
			row.Verdict(),
			row.Method.String()}
		if err := t.Append(cells); err != nil {
			return fmt.Errorf("table row: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

// writeRegressions lists the significant regressions with their advice.
func writeRegressions(w io.Writer, regs []Row, width int) {
	if len(regs) == 0 {
		return
	}
	fmt.Fprintln(w, "\nRegressions:")
	for _, row := range regs {
		mark := ""
		switch {
		case row.Failing:
			mark = " [fails: ≥ threshold]"
		case row.Inconclusive != "":
			mark = " [inconclusive: " + row.Inconclusive + "]"
		}
		report.WriteWrapped(w, fmt.Sprintf("%s %s/%s %s %s: %s%s", row.Severity, row.Plan, row.Scenario, row.Op, row.Metric.Name, row.DeltaString(), mark), width, "  ", "    ")
		if row.Advice != "" {
			report.WriteWrapped(w, "advice: "+row.Advice, width, "    ", "      ")
		}
	}
}

// notes are the lines printed under the tables: what is missing on one
// side, the rows' warnings (each once) and why rows have no verdict.
func (r *Result) notes() []string {
	notes := append([]string(nil), r.Missing...)
	seen := map[string]bool{}
	for _, row := range r.Rows {
		for _, msg := range row.Warnings {
			if !seen[msg] {
				seen[msg] = true
				notes = append(notes, msg)
			}
		}
	}
	return append(notes, DeclinedNotes(r.Rows)...)
}

// verdict is the comparison's last line: REGRESSION, NO VERDICT or OK, with
// the counts behind it, and its colour.
func (r *Result) verdict() (string, report.Color) {
	regs := r.Regressions()
	declined := len(r.Declined())
	var undecided string
	if declined > 0 {
		undecided = fmt.Sprintf(" (no verdict on %d of %d rows)", declined, len(r.Rows))
	}
	switch {
	case len(r.Rows) == 0:
		return "nothing to compare: no plan and scenario with samples on both sides", report.Yellow
	case r.Failed():
		return fmt.Sprintf("REGRESSION: %d significant regressions, %d at or beyond the %g%% threshold%s", len(regs), countFailing(regs), 100*r.Options.Threshold, undecided), report.Red
	case r.Inconclusive():
		return fmt.Sprintf("INCONCLUSIVE: %d significant regressions; those at or beyond the %g%% threshold are explained by measured interference%s", len(regs), 100*r.Options.Threshold, undecided), report.Yellow
	case declined == len(r.Rows):
		return "NO VERDICT: the series are too short or too autocorrelated to test; rerun both sides with --count 6 or more", report.Yellow
	case len(regs) > 0:
		return fmt.Sprintf("OK: %d significant regressions, all below the %g%% threshold%s", len(regs), 100*r.Options.Threshold, undecided), report.Green
	}
	return "OK: no significant regression" + undecided, report.Green
}

// DeclinedNotes explains, per plan and scenario, the rows without a
// verdict and what to do about them.
func DeclinedNotes(rows []Row) []string {
	type key struct{ plan, scenario string }
	var order []key
	metrics := map[key][]string{}
	first := map[key]Row{}
	var wholeRun []string
	for _, row := range rows {
		if !row.Declined {
			continue
		}
		if row.Method.Name == MethodWholeRun {
			if k := row.Plan + "/" + row.Scenario; !slices.Contains(wholeRun, k) {
				wholeRun = append(wholeRun, k)
			}
			continue
		}
		k := key{row.Plan, row.Scenario}
		if _, ok := metrics[k]; !ok {
			order = append(order, k)
			first[k] = row
		}
		name := row.Metric.Name
		if row.Op != "(all)" {
			name = row.Op + " " + name
		}
		if !slices.Contains(metrics[k], name) {
			metrics[k] = append(metrics[k], name)
		}
	}
	var out []string
	for _, k := range order {
		m := first[k].Method
		if src := first[k].Source; src == SourcePairedIntervals || src == SourcePairedSlices {
			out = append(out, fmt.Sprintf("%s/%s: no verdict on %s: %s; run longer (duet) or with more --slices (--alternate)",
				k.plan, k.scenario, strings.Join(metrics[k], ", "), m.Reason))
			continue
		}
		out = append(out, fmt.Sprintf("%s/%s: no verdict on %s: with one run per side the test uses batch means of the per-second series, and %s intervals per side are too few, or too autocorrelated, for %d uncorrelated batches (see the method column); rerun both sides with --count 6 or more for a U test over runs, or run longer",
			k.plan, k.scenario, strings.Join(metrics[k], ", "), pair(m.BaseN, m.NewN), minBatches))
	}
	for _, k := range wholeRun {
		out = append(out, fmt.Sprintf("%s: the operations' rows show whole-run figures without a verdict (the per-second series is the scenario's, not each operation's); rerun both sides with --count 6 or more to test each operation", k))
	}
	return out
}

func countFailing(rows []Row) int {
	n := 0
	for _, r := range rows {
		if r.Failing {
			n++
		}
	}
	return n
}
