package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
)

// WriteMarkdown renders the run document as GitHub-flavoured Markdown fit to
// post as a pull-request comment: per plan, a verdict line with the grade,
// a table per scenario (a row for all operations and one per operation) and
// the assertions with ✅/❌ and their observed values.
func WriteMarkdown(w io.Writer, d *Document) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "## perfplan results\n\n")
	var env []string
	if d.Environment.GitCommit != "" {
		env = append(env, "commit `"+mdCode(ShortCommit(d.Environment.GitCommit))+"`")
	}
	if d.Environment.GoVersion != "" {
		env = append(env, mdEscape(d.Environment.GoVersion))
	}
	if d.Environment.OS != "" {
		env = append(env, mdEscape(d.Environment.OS+"/"+d.Environment.Arch))
	}
	if d.Environment.CPU != "" {
		env = append(env, fmt.Sprintf("%s × %d", mdEscape(d.Environment.CPU), d.Environment.Cores))
	}
	if !d.Start.IsZero() {
		env = append(env, d.Start.UTC().Format(time.RFC3339))
	}
	if len(env) > 0 {
		fmt.Fprintf(bw, "%s\n\n", strings.Join(env, " · "))
	}
	if InterruptedBetweenPlans(d) {
		fmt.Fprintf(bw, "> ⚠️ **Interrupted:** %s.\n\n", InterruptedBetweenPlansNote)
	}
	rep, of := d.Repetitions()
	for i := range d.Plans {
		writePlanMarkdown(bw, &d.Plans[i], rep[i], of[i])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	return nil
}

// ShortCommit shortens a git commit hash for display.
func ShortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// CommitCell is a commit as a table cell: ShortCommit, or "-" when there
// is none.
func CommitCell(c string) string {
	if c == "" {
		return "-"
	}
	return ShortCommit(c)
}

func writePlanMarkdown(w io.Writer, p *PlanDoc, rep, of int) {
	total, failed, inconclusive := AssertionCounts(p)
	score, word := Grade(*p)
	icon, verdict := "✅", fmt.Sprintf("passed, %d assertions held", total)
	switch {
	case p.Error != "":
		icon, verdict = "❌", "could not run"
	case p.Interrupted:
		icon, verdict = "⚠️", fmt.Sprintf("interrupted, %d of %d assertions failed on partial results", failed+inconclusive, total)
	case failed > 0 || p.Outcome() == executor.VerdictFail:
		icon, verdict = "❌", fmt.Sprintf("failed, %d of %d assertions failed", failed, total)
	case inconclusive > 0:
		icon, verdict = "❔", fmt.Sprintf("inconclusive, %d of %d assertions %s", inconclusive, total, InconclusiveWhy(p))
	}
	repetition := ""
	if of > 1 {
		repetition = fmt.Sprintf(" (repetition %d/%d)", rep, of)
	}
	fmt.Fprintf(w, "### %s plan `%s`%s: %s · grade **%s (%s)**\n\n", icon, mdCode(p.Name), repetition, verdict, Number(score), word)
	if p.File != "" {
		fmt.Fprintf(w, "File `%s`.\n\n", mdCode(p.File))
	}
	if p.Error != "" {
		fmt.Fprintf(w, "> **Error:** %s\n\n", mdEscape(p.Error))
		return
	}
	for _, s := range p.Scenarios {
		writeScenarioMarkdown(w, s)
	}
	if total == 0 {
		fmt.Fprintf(w, "No assertions.\n\n")
		return
	}
	fmt.Fprintln(w, "| | scenario | condition | observed | score | message |")
	fmt.Fprintln(w, "|:--|:--|:--|:--|--:|:--|")
	for _, s := range AssertionGroups(p) {
		for _, a := range s.Assertions {
			mark := map[string]string{executor.VerdictPass: "✅", executor.VerdictFail: "❌", executor.VerdictInconclusive: "❔"}[a.Outcome()]
			var obs []string
			for _, r := range ObservedRefs(a) {
				obs = append(obs, r+"="+FormatMetric(r, a.Observed[r]))
			}
			for _, n := range a.Notes {
				tag, _, _ := strings.Cut(n, ":")
				obs = append(obs, "("+tag+")")
			}
			fmt.Fprintf(w, "| %s | %s | `%s` | %s | %s | %s |\n", mark, mdEscape(s.Name), mdCode(a.Condition),
				mdEscape(strings.Join(obs, ", ")), Number(float64(int(AssertionScore(a)+0.5))), mdEscape(AssertionMessage(a)))
		}
	}
	fmt.Fprintln(w)
}

func writeMarkdownOpRow(w io.Writer, name string, o OpDoc, l LatencyDoc, cols []plan.FamilyDesc) {
	cells := append(opDocRow("", name, o, l)[1:], FamilyCells(o, cols)...)
	cells[0] = mdEscape(cells[0])
	fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
}

// MarkdownEscape makes s safe inside a Markdown table cell. It is
// perfplan's one Markdown escaper: compare's tables use it too.
func MarkdownEscape(s string) string { return mdEscape(s) }

// mdEscape makes s safe inside a Markdown table cell.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", "\\|", "\n", " ", "\r", "", "<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "`", "\\`")
	return r.Replace(s)
}

// mdCode makes s safe inside a code span in a table cell.
func mdCode(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "\r", "", "`", "'").Replace(s)
}

// writeScenarioMarkdown renders one scenario: its heading, a row for all
// operations and one per operation, its notes and its target statistics.
func writeScenarioMarkdown(w io.Writer, s ScenarioDoc) {
	fmt.Fprintf(w, "#### Scenario `%s` (%s, %s, up to %d workers)\n\n", mdCode(s.Name), mdEscape(s.Executor), Duration(time.Duration(s.ElapsedNS)), s.VUsMax)
	cols := FamilyColumns(s)
	header, rule := "| op | ops | throughput | error rate | p50 | p95 | p99 | p99.9 | max |", "|:---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for _, f := range cols {
		header, rule = header+" "+mdEscape(f.Column)+" |", rule+"---:|"
	}
	fmt.Fprintln(w, header)
	fmt.Fprintln(w, rule)
	writeMarkdownOpRow(w, "(all)", s.Total, s.Total.Latency, cols)
	if c := s.Total.Corrected; c != nil {
		writeMarkdownOpRow(w, "(all) CO-corrected", s.Total, *c, cols)
	}
	if len(s.Ops) > 1 {
		for _, op := range s.Ops {
			writeMarkdownOpRow(w, op.Name, op, op.Latency, cols)
		}
	}
	fmt.Fprintln(w)
	writeMarkdownStages(w, s.Stages)
	var notes []string
	if s.Dropped > 0 && s.Breakpoint != nil {
		notes = append(notes, fmt.Sprintf("%d iterations dropped once the load passed what max\\_vus workers could start (a stop signal of the search)", s.Dropped))
	}
	for _, n := range trustNotes(s, "") {
		notes = append(notes, "⚠️ "+mdEscape(strings.TrimPrefix(n, s.Name+": ")))
	}
	if s.Aborted {
		notes = append(notes, "⚠️ aborted early: "+mdEscape(s.AbortReason))
	}
	if s.Interrupted {
		notes = append(notes, "⚠️ interrupted by signal")
	}
	if s.Resources != nil {
		for _, n := range resourceNotes(s) {
			n = strings.TrimPrefix(n, s.Name+": ")
			if s.Resources.Soak.Leak && strings.HasPrefix(n, "soak ") {
				n = "⚠️ " + n
			}
			notes = append(notes, mdEscape(n))
		}
	}
	if s.Breakpoint != nil {
		writeMarkdownBreakpoint(w, s.Breakpoint)
	}
	// Target statistics: a grid of the families, if any, after the
	// notes and the others under it; else the others as a last note.
	stats := groupStats(s.TargetStats)
	statNote := markdownStatNote(stats, s.TargetStats)
	if len(stats.rows) == 0 && statNote != "" {
		notes, statNote = append(notes, statNote), ""
	}
	for _, n := range notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
	}
	writeMarkdownStatGrid(w, stats)
	if statNote != "" {
		fmt.Fprintf(w, "%s\n\n", statNote)
	}
}

// writeMarkdownStages writes a ramping scenario's figures per stage, as
// the terminal's stage table does.
func writeMarkdownStages(w io.Writer, stages []StageDoc) {
	if len(stages) == 0 {
		return
	}
	h := StageHeader()
	fmt.Fprintf(w, "Stages:\n\n| %s |\n|:---|%s\n", strings.Join(h, " | "), strings.Repeat("---:|", len(h)-1))
	for _, st := range stages {
		row := StageRow(st)
		for i := range row {
			row[i] = mdEscape(row[i])
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
	fmt.Fprintln(w)
}
