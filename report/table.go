// Package report renders run results: the terminal tables and the versioned
// JSON run document.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/perfplan/perfplan/executor"
)

// TableOptions tune the terminal tables.
type TableOptions struct {
	// Color enables ANSI colour for verdicts.
	Color bool
}

// WriteTables prints a plan's result: a row per scenario and per operation,
// then the assertions with their observed values, then the verdict line.
func WriteTables(w io.Writer, r *executor.Result, opts TableOptions) error {
	name := r.Plan.Name
	fmt.Fprintf(w, "\nplan %s (%s)", name, r.Plan.File)
	if r.Interrupted {
		fmt.Fprint(w, "  [INTERRUPTED: partial results]")
	}
	fmt.Fprintln(w)
	if err := writeScenarioTable(w, r); err != nil {
		return err
	}
	for _, note := range scenarioNotes(r) {
		fmt.Fprintln(w, "  "+note)
	}
	if err := writeTargetStats(w, r); err != nil {
		return err
	}
	if err := writeAssertionTable(w, r, opts); err != nil {
		return err
	}
	fmt.Fprintln(w, verdictLine(r, opts))
	return nil
}

func newTable(w io.Writer, header []string, align []tw.Align) *tablewriter.Table {
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	t.Header(toAny(header)...)
	return t
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func writeScenarioTable(w io.Writer, r *executor.Result) error {
	header := []string{"scenario", "op", "ops", "throughput", "errors", "p50", "p95", "p99", "p99.9", "max"}
	align := []tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight}
	t := newTable(w, header, align)
	for _, s := range r.Scenarios {
		if err := t.Append(opRow(s.Name, "(all)", s.Total)); err != nil {
			return fmt.Errorf("table row: %w", err)
		}
		if len(s.Ops) > 1 {
			for _, op := range s.Ops {
				if err := t.Append(opRow("", op.Name, op)); err != nil {
					return fmt.Errorf("table row: %w", err)
				}
			}
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

func opRow(scenario, op string, s executor.OpStats) []string {
	return []string{
		scenario, op,
		fmt.Sprintf("%d", s.Ops),
		Rate(s.Throughput),
		Percent(s.ErrorRate()),
		Duration(s.Latency.P50),
		Duration(s.Latency.P95),
		Duration(s.Latency.P99),
		Duration(s.Latency.P999),
		Duration(s.Latency.Max),
	}
}

func scenarioNotes(r *executor.Result) []string {
	var notes []string
	for _, s := range r.Scenarios {
		open := s.Executor == "constant-arrival-rate" || s.Executor == "ramping-arrival-rate"
		line := fmt.Sprintf("%s: %s, %s, up to %d workers", s.Name, s.Executor, Duration(s.Elapsed), s.VUsMax)
		if open {
			line += fmt.Sprintf("; latency from intended start, service time p99 %s", Duration(s.Total.ServiceTime.P99))
		}
		notes = append(notes, line)
		if s.Dropped > 0 {
			notes = append(notes, fmt.Sprintf("%s: WARNING %d iterations dropped: the runner could not start them in time (all max_vus busy); raise max_vus or lower the rate", s.Name, s.Dropped))
		}
		if s.Cut > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d iterations cut at graceful_stop", s.Name, s.Cut))
		}
		if s.Aborted {
			notes = append(notes, fmt.Sprintf("%s: ABORTED early: %s", s.Name, s.AbortReason))
		}
		if s.Interrupted {
			notes = append(notes, fmt.Sprintf("%s: interrupted by signal", s.Name))
		}
	}
	return notes
}

func writeTargetStats(w io.Writer, r *executor.Result) error {
	any := false
	for _, s := range r.Scenarios {
		if len(s.TargetStats) > 0 {
			any = true
		}
	}
	if !any {
		return nil
	}
	t := newTable(w, []string{"scenario", "target statistics"}, []tw.Align{tw.AlignLeft, tw.AlignLeft})
	for _, s := range r.Scenarios {
		if len(s.TargetStats) == 0 {
			continue
		}
		keys := make([]string, 0, len(s.TargetStats))
		for k := range s.TargetStats {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+"="+Number(s.TargetStats[k]))
		}
		if err := t.Append([]string{s.Name, wrapJoin(parts, 90)}); err != nil {
			return fmt.Errorf("table row: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

// wrapJoin joins parts with spaces, breaking lines before width.
func wrapJoin(parts []string, width int) string {
	var b strings.Builder
	line := 0
	for i, p := range parts {
		if i > 0 {
			if line+1+len(p) > width {
				b.WriteByte('\n')
				line = 0
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(p)
		line += len(p)
	}
	return b.String()
}

func writeAssertionTable(w io.Writer, r *executor.Result, opts TableOptions) error {
	n := 0
	for _, s := range r.Scenarios {
		n += len(s.Assertions)
	}
	if n == 0 {
		fmt.Fprintln(w, "  no assertions")
		return nil
	}
	t := newTable(w, []string{"result", "scenario", "condition", "observed", "message"},
		[]tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft})
	for _, s := range r.Scenarios {
		for _, a := range s.Assertions {
			verdict := paint(opts.Color, "PASS", green)
			if !a.Passed {
				verdict = paint(opts.Color, "FAIL", red)
			}
			if a.Aborted {
				verdict += " (aborted run)"
			}
			msg := ""
			if !a.Passed {
				msg = a.Assertion.ErrorMessage
				if a.Err != "" {
					msg = strings.TrimSpace(msg + " " + a.Err)
				}
			}
			if err := t.Append([]string{verdict, s.Name, a.Assertion.Expr, FormatObserved(a.Observed, a.Assertion.Condition.Refs()), msg}); err != nil {
				return fmt.Errorf("table row: %w", err)
			}
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

// FormatObserved renders the observed metric values in refs order, each in
// its natural unit.
func FormatObserved(obs map[string]float64, refs []string) string {
	var parts []string
	for _, name := range refs {
		v, ok := obs[name]
		if !ok {
			parts = append(parts, name+"=n/a")
			continue
		}
		parts = append(parts, name+"="+FormatMetric(name, v))
	}
	return strings.Join(parts, "\n")
}

// FormatMetric renders a metric value in its unit: latencies (milliseconds in
// expressions) as durations, throughput as a rate, the rest as numbers.
func FormatMetric(name string, v float64) string {
	switch {
	case strings.Contains(name, "latency.") || strings.HasPrefix(name, "service_time.") || name == "elapsed":
		return Duration(time.Duration(v * float64(time.Millisecond)))
	case strings.HasSuffix(name, "throughput"):
		return Rate(v)
	}
	return Number(v)
}

func verdictLine(r *executor.Result, opts TableOptions) string {
	total, failed := 0, 0
	for _, s := range r.Scenarios {
		for _, a := range s.Assertions {
			total++
			if !a.Passed {
				failed++
			}
		}
	}
	switch {
	case r.Interrupted:
		return paint(opts.Color, fmt.Sprintf("INTERRUPTED: %d of %d assertions failed on partial results", failed, total), yellow)
	case failed > 0:
		return paint(opts.Color, fmt.Sprintf("FAIL: %d of %d assertions failed", failed, total), red)
	}
	return paint(opts.Color, fmt.Sprintf("PASS: %d assertions held", total), green)
}

const (
	red    = "31"
	green  = "32"
	yellow = "33"
)

func paint(on bool, s, code string) string {
	if !on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
