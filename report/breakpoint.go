package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/perfplan/perfplan/executor"
)

// UnitRate formats a rate per unit: per second as Rate does, otherwise
// "12.5/100ms", "3.00k/min".
func UnitRate(r float64, unit time.Duration) string {
	switch {
	case unit <= 0 || unit == time.Second:
		return Rate(r)
	case unit == time.Minute:
		return strings.TrimSuffix(Rate(r), "/s") + "/min"
	}
	return strings.TrimSuffix(Rate(r), "/s") + "/" + Duration(unit)
}

// BreakpointSummary is the row of the breakpoint summary table: breaking
// point, peak rate, why the search stopped, recovery time and stability.
func BreakpointSummary(b *executor.BreakpointResult) []string {
	bp := UnitRate(b.BreakingPoint, b.TimeUnit)
	switch {
	case b.Reason == executor.ReasonMaxRate:
		bp = "≥ " + bp + " (max_rate held)"
	case b.Broke && b.BreakingPoint == 0:
		bp = "< start_rate"
	}
	stop := b.Reason
	switch b.Reason {
	case executor.ReasonCondition:
		stop = "stop_when held"
	case executor.ReasonDropped:
		stop = "iterations dropped (all max_vus busy)"
	case executor.ReasonStalled:
		stop = "no operation completed"
	case executor.ReasonMaxRate:
		stop = "reached max_rate"
	case executor.ReasonStopped:
		stop = "run stopped early"
	}
	if b.Broke {
		stop += " at " + Duration(b.BrokeAt)
	}
	rec := "-"
	switch {
	case !b.Broke:
	case b.Recovered:
		rec = Duration(b.RecoveryTime) + " at " + UnitRate(b.RecoveryRate, b.TimeUnit)
		if b.RecoveryTime == 0 {
			rec = "< 1 interval at " + UnitRate(b.RecoveryRate, b.TimeUnit)
		}
	case b.Incomplete:
		rec = "run stopped"
	default:
		rec = "NOT RECOVERED at " + UnitRate(b.RecoveryRate, b.TimeUnit)
	}
	stab := "-"
	if b.Intervals > 0 {
		stab = fmt.Sprintf("%s (%d of %d intervals failed)", Percent(b.Stability), b.Failed, b.Intervals)
	}
	return []string{bp, UnitRate(b.PeakRate, b.TimeUnit), stop, rec, stab}
}

// BreakpointStepRow is one row of the steps table, without the scenario.
func BreakpointStepRow(b *executor.BreakpointResult, st executor.BreakpointStep) []string {
	verdict := "ok"
	switch {
	case st.Intervals == 0:
		verdict = "-"
	case st.Failed > 0:
		verdict = fmt.Sprintf("%d of %d failed", st.Failed, st.Intervals)
	}
	return []string{
		st.Phase,
		UnitRate(st.Rate, b.TimeUnit),
		Duration(st.Start) + "–" + Duration(st.End),
		fmt.Sprintf("%d", st.Ops),
		Rate(st.Throughput),
		Percent(rate(st.Errors, st.Ops)),
		Duration(st.P99),
		fmt.Sprintf("%d", st.Dropped),
		verdict,
	}
}

func rate(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// writeBreakpointTables prints, for the plan's breakpoint scenarios, a
// summary table (breaking point, recovery time, stability) and a table of
// the search step by step.
func writeBreakpointTables(w io.Writer, p *PlanDoc, width int) error {
	var scs []*ScenarioDoc
	for i := range p.Scenarios {
		if p.Scenarios[i].Breakpoint != nil {
			scs = append(scs, &p.Scenarios[i])
		}
	}
	if len(scs) == 0 {
		return nil
	}
	left, right := tw.AlignLeft, tw.AlignRight
	t := newTable(w, []string{"scenario", "breaking point", "peak rate", "search stopped", "recovery time", "stability"},
		[]tw.Align{left, right, right, left, left, left}, width)
	for _, s := range scs {
		if err := t.Append(append([]string{s.Name}, BreakpointSummary(s.Breakpoint)...)); err != nil {
			return fmt.Errorf("table row: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	for _, s := range scs {
		writeNote(w, fmt.Sprintf("%s: stop_when %s", s.Name, s.Breakpoint.StopWhen), width)
		for _, e := range s.Breakpoint.EvalErrors {
			writeNote(w, fmt.Sprintf("%s: WARNING stop_when could not be evaluated: %s", s.Name, e), width)
		}
	}
	t = newTable(w, []string{"scenario", "phase", "rate", "time", "ops", "throughput", "errors", "p99", "dropped", "intervals"},
		[]tw.Align{left, left, right, left, right, right, right, right, right, left}, width)
	for _, s := range scs {
		name := s.Name
		for _, st := range s.Breakpoint.Steps {
			if err := t.Append(append([]string{name}, BreakpointStepRow(s.Breakpoint, st)...)); err != nil {
				return fmt.Errorf("table row: %w", err)
			}
			name = ""
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

// writeMarkdownBreakpoint prints a scenario's breakpoint summary and steps.
func writeMarkdownBreakpoint(w io.Writer, b *executor.BreakpointResult) {
	sum := BreakpointSummary(b)
	fmt.Fprintf(w, "Breakpoint search, stop when `%s`:\n\n", mdCode(b.StopWhen))
	fmt.Fprintln(w, "| breaking point | peak rate | search stopped | recovery time | stability |")
	fmt.Fprintln(w, "|---:|---:|:--|:--|:--|")
	fmt.Fprintf(w, "| %s |\n\n", mdCells(sum))
	fmt.Fprintln(w, "| phase | rate | time | ops | throughput | errors | p99 | dropped | intervals |")
	fmt.Fprintln(w, "|:--|--:|:--|--:|--:|--:|--:|--:|:--|")
	for _, st := range b.Steps {
		fmt.Fprintf(w, "| %s |\n", mdCells(BreakpointStepRow(b, st)))
	}
	fmt.Fprintln(w)
}

// mdCells escapes each cell and joins them as a markdown table row's inside.
func mdCells(cells []string) string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = mdEscape(c)
	}
	return strings.Join(out, " | ")
}
