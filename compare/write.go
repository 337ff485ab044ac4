package compare

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
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
// from the median, as benchstat does ("∞" with too few samples).
func ciString(s Summary) string {
	if math.IsInf(s.Lo, 0) || math.IsInf(s.Hi, 0) || math.IsNaN(s.Lo) || math.IsNaN(s.Hi) {
		return "± ∞"
	}
	if s.Center == 0 {
		if s.Lo == 0 && s.Hi == 0 {
			return "± 0%"
		}
		return "± ?"
	}
	v := math.Max(s.Hi/s.Center-1, 1-s.Lo/s.Center)
	return fmt.Sprintf("± %.0f%%", 100*v)
}

// DeltaString renders a row's change: "~" when not significant, otherwise
// the delta with its interval.
func (r Row) DeltaString() string {
	if !r.Significant {
		return "~"
	}
	if math.IsInf(r.Delta, 0) {
		return "+∞"
	}
	s := fmt.Sprintf("%+.2f%%", 100*r.Delta)
	if !math.IsNaN(r.DeltaLo) && !math.IsInf(r.DeltaLo, 0) {
		s += fmt.Sprintf(" [%+.1f%%, %+.1f%%]", 100*r.DeltaLo, 100*r.DeltaHi)
	}
	return s
}

// Verdict is "Critical", "High", "Medium", "Low", "improvement" or "".
func (r Row) Verdict() string {
	switch {
	case r.Regression:
		return r.Severity.String()
	case r.Improvement:
		return "improvement"
	}
	return ""
}

// Write prints the comparison as a benchstat-like table per plan, the
// advice for each regression, and a verdict line.
func (r *Result) Write(w io.Writer) error {
	header := []any{"scenario", "op", "metric", "base", "new", "delta", "p (n)", "verdict"}
	align := []tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft}
	var plan string
	var t *tablewriter.Table
	flush := func() error {
		if t == nil {
			return nil
		}
		if err := t.Render(); err != nil {
			return fmt.Errorf("render table: %w", err)
		}
		t = nil
		return nil
	}
	for i, row := range r.Rows {
		if t == nil || row.Plan != plan {
			if err := flush(); err != nil {
				return err
			}
			plan = row.Plan
			fmt.Fprintf(w, "\nplan %s (samples: %s; alpha %g, %g%% intervals)\n", plan, row.Source, r.Options.Alpha, 100*r.Options.Confidence)
			t = tablewriter.NewTable(w,
				tablewriter.WithHeaderAutoFormat(tw.Off),
				tablewriter.WithRowAutoWrap(tw.WrapNone),
				tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
				tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: align}),
			)
			t.Header(header...)
		}
		scen, op := row.Scenario, row.Op
		if i > 0 && r.Rows[i-1].Plan == row.Plan && r.Rows[i-1].Scenario == row.Scenario {
			scen = ""
			if r.Rows[i-1].Op == row.Op {
				op = ""
			}
		}
		n := fmt.Sprintf("n=%d", row.Base.N)
		if row.Base.N != row.New.N {
			n = fmt.Sprintf("n=%d+%d", row.Base.N, row.New.N)
		}
		cells := []string{scen, op, row.Metric.Name,
			fmtValue(row.Metric, row.Base.Center) + " " + ciString(row.Base),
			fmtValue(row.Metric, row.New.Center) + " " + ciString(row.New),
			row.DeltaString(),
			fmt.Sprintf("p=%.3f %s", row.P, n),
			row.Verdict()}
		if err := t.Append(cells); err != nil {
			return fmt.Errorf("table row: %w", err)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	regs := r.Regressions()
	if len(regs) > 0 {
		fmt.Fprintln(w, "\nRegressions:")
		for _, row := range regs {
			mark := ""
			if row.Failing {
				mark = " [fails: ≥ threshold]"
			}
			fmt.Fprintf(w, "  %s %s/%s %s %s: %s%s\n", row.Severity, row.Plan, row.Scenario, row.Op, row.Metric.Name, row.DeltaString(), mark)
			if row.Advice != "" {
				fmt.Fprintf(w, "    advice: %s\n", row.Advice)
			}
		}
	}
	var warnings []string
	seen := map[string]bool{}
	for _, row := range r.Rows {
		for _, w := range row.Warnings {
			if !seen[w] {
				seen[w] = true
				warnings = append(warnings, w)
			}
		}
	}
	for _, m := range r.Missing {
		fmt.Fprintf(w, "note: %s\n", m)
	}
	for _, msg := range warnings {
		fmt.Fprintf(w, "note: %s\n", msg)
	}
	switch {
	case len(r.Rows) == 0:
		fmt.Fprintln(w, "\nnothing to compare: no plan and scenario with samples on both sides")
	case r.Failed():
		fmt.Fprintf(w, "\nREGRESSION: %d significant regressions, %d at or beyond the %s threshold\n", len(regs), countFailing(regs), strings.TrimSuffix(fmt.Sprintf("%g%%", 100*r.Options.Threshold), ""))
	case len(regs) > 0:
		fmt.Fprintf(w, "\nOK: %d significant regressions, all below the %g%% threshold\n", len(regs), 100*r.Options.Threshold)
	default:
		fmt.Fprintln(w, "\nOK: no significant regression")
	}
	return nil
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
