package compare

import (
	"bufio"
	"fmt"
	"io"

	"github.com/perfplan/perfplan/report"
)

// mdCell makes s safe in a GitHub-flavoured Markdown table cell: report's
// escaper, so that a run's tables and a comparison's escape alike.
var mdCell = report.MarkdownEscape

// severityIcon marks a row's verdict in Markdown.
func severityIcon(row Row) string {
	switch {
	case row.Regression && (row.Severity == Critical || row.Severity == High):
		return "🔴 "
	case row.Regression:
		return "🟠 "
	case row.Improvement:
		return "🟢 "
	}
	return ""
}

// WriteMarkdown writes the comparison as GitHub-flavoured Markdown, fit to
// post on a pull request (perfplan compare --format markdown): the verdict,
// a table per plan with each significant change marked by its severity,
// the regressions with their advice, and the notes.
func (r *Result) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	text, class := r.VerdictText()
	icon := "✅"
	if class == "fail" {
		icon = "❌"
	} else if class == "neutral" {
		icon = "⚪"
	}
	regs := r.Regressions()
	fmt.Fprintf(bw, "## perfplan comparison: %s %s\n\n", icon, text)
	switch {
	case len(r.Rows) == 0:
		fmt.Fprintln(bw, "Nothing to compare: no plan and scenario with samples on both sides.")
	case r.Failed():
		fmt.Fprintf(bw, "%s, %d at or beyond the %g%% threshold.\n", plural(len(regs), "significant regression", "significant regressions"), countFailing(regs), 100*r.Options.Threshold)
	case len(regs) > 0:
		fmt.Fprintf(bw, "%s, all below the %g%% threshold.\n", plural(len(regs), "significant regression", "significant regressions"), 100*r.Options.Threshold)
	default:
		fmt.Fprintln(bw, "No significant regression.")
	}
	fmt.Fprintf(bw, "\n`~` marks a change that is not significant (alpha %g); severity: Medium ≥ %g%%, High ≥ %g%%, Critical ≥ %g%%.\n",
		r.Options.Alpha, 100*r.Options.Cutoffs.Medium, 100*r.Options.Cutoffs.High, 100*r.Options.Cutoffs.Critical)
	plan := ""
	for i, row := range r.Rows {
		if i == 0 || row.Plan != plan {
			plan = row.Plan
			fmt.Fprintf(bw, "\n### %s\n\n", mdCell(Heading(row, r.Options)))
			fmt.Fprintln(bw, "| scenario | op | metric | base | new | delta | p (n) | verdict |")
			fmt.Fprintln(bw, "|:--|:--|:--|--:|--:|--:|--:|:--|")
		}
		verdict := severityIcon(row) + row.Verdict()
		if row.Failing {
			verdict += " (fails)"
		}
		fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", mdCell(row.Scenario), mdCell(row.Op), mdCell(row.Metric.Name),
			mdCell(ValueString(row.Metric, row.Base)), mdCell(ValueString(row.Metric, row.New)), mdCell(row.DeltaString()), mdCell(row.PString()), mdCell(verdict))
	}
	if len(regs) > 0 {
		fmt.Fprintln(bw, "\n**Regressions**")
		fmt.Fprintln(bw)
		for _, row := range regs {
			mark := ""
			if row.Failing {
				mark = " (at or beyond the threshold)"
			}
			fmt.Fprintf(bw, "- %s**%s** %s/%s %s %s: %s%s\n", severityIcon(row), row.Severity, mdCell(row.Plan), mdCell(row.Scenario), mdCell(row.Op), mdCell(row.Metric.Name), mdCell(row.DeltaString()), mark)
			if row.Advice != "" {
				fmt.Fprintf(bw, "  advice: %s\n", mdCell(row.Advice))
			}
		}
	}
	r.writeProfilesMarkdown(bw)
	var notes []string
	notes = append(notes, r.Missing...)
	seen := map[string]bool{}
	for _, row := range r.Rows {
		for _, w := range row.Warnings {
			if !seen[w] {
				seen[w] = true
				notes = append(notes, w)
			}
		}
	}
	notes = append(notes, DeclinedNotes(r.Rows)...)
	if len(notes) > 0 {
		fmt.Fprintln(bw, "\n<details><summary>Notes</summary>")
		fmt.Fprintln(bw)
		for _, n := range notes {
			fmt.Fprintf(bw, "- %s\n", mdCell(n))
		}
		fmt.Fprintln(bw, "\n</details>")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write markdown comparison: %w", err)
	}
	return nil
}
