// Package report renders run results: the terminal tables and the versioned
// JSON run document.
package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/perfplan/perfplan/plan"
)

// TableOptions tune the terminal tables.
type TableOptions struct {
	// Color enables ANSI colour for verdicts.
	Color bool
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
	if _, metric, ok := plan.SplitScenarioRef(name); ok {
		name = metric
	}
	if strings.HasPrefix(name, plan.DuetPrefix) && !strings.HasSuffix(name, ".pairs") {
		return fmt.Sprintf("%+.1f%%", 100*v)
	}
	switch {
	case strings.Contains(name, "latency.") || strings.Contains(name, "service_time.") || strings.Contains(name, "schedule_lag.") || name == "elapsed" ||
		name == "recovery_time" || strings.HasPrefix(name, "gc.pause_"):
		return Duration(time.Duration(v * float64(time.Millisecond)))
	case strings.HasSuffix(name, "throughput"):
		return Rate(v)
	}
	return Number(v)
}

// Color is an ANSI colour of a verdict.
type Color string

// The verdict colours: a failure, a pass, a warning.
const (
	Red    Color = "31"
	Green  Color = "32"
	Yellow Color = "33"
)

// Paint returns s in colour c when on (for a terminal), else s as it is.
func Paint(on bool, s string, c Color) string {
	if !on {
		return s
	}
	return "\x1b[" + string(c) + "m" + s + "\x1b[0m"
}
