package report

import "github.com/perfplan/perfplan/executor"

// What the HTML views (package report/html) share with the text
// renderers here, so that a figure reads the same in the terminal, in
// Markdown and in the page.

// HTMLTile is a key figure of the HTML report: a label, a value, a note
// and a class ("", pass, fail or warn); html.Tile converts from it.
type HTMLTile struct {
	ID, Label, Value, Note string
	Class                  string
}

// IOTile is the run view's I/O tile of a scenario with id.
func IOTile(id string, io *executor.IO) HTMLTile { return ioTile(id, io) }

// ShortCommit shortens a git commit hash for display.
func ShortCommit(c string) string { return shortCommit(c) }

// InterruptedBetweenPlans reports whether a signal stopped the run between
// plans or repetitions; InterruptedBetweenPlansNote says what that means.
func InterruptedBetweenPlans(d *Document) bool { return interruptedBetweenPlans(d) }

// InterruptedBetweenPlansNote explains an interruption between plans.
const InterruptedBetweenPlansNote = interruptedBetweenPlansNote

// RepetitionLabel names repetition rep of of a plan.
func RepetitionLabel(name string, rep, of int) string { return repetitionLabel(name, rep, of) }

// AssertionCounts counts a plan's assertions, those that failed, and
// those that were inconclusive.
func AssertionCounts(p *PlanDoc) (total, failed, inconclusive int) { return assertionCounts(p) }

// AssertionGroups are a plan's scenarios with their assertions, and the
// plan's own assertions as a last scenario "(plan)".
func AssertionGroups(p *PlanDoc) []ScenarioDoc { return assertionGroups(p) }

// ObservedText is what an assertion observed, as the tables print it.
func ObservedText(a AssertionDoc) string { return observedText(a) }

// AssertionMessage is an assertion's message, as the tables print it.
func AssertionMessage(a AssertionDoc) string { return assertionMessage(a) }

// Comparisons returns an assertion's comparisons and logic; ok is false
// when the document has none (an older one).
func Comparisons(a AssertionDoc) ([]ComparisonDoc, LogicDoc, bool) { return a.comparisons() }

// ScenarioNotes are the notes the tables print under a plan's scenarios.
func ScenarioNotes(p *PlanDoc) []string { return scenarioDocNotes(p) }

// BreakpointSummary is the breakpoint search's summary row.
func BreakpointSummary(b *executor.BreakpointResult) []string { return breakpointSummary(b) }

// BreakpointStepRow is a breakpoint step's row.
func BreakpointStepRow(b *executor.BreakpointResult, st executor.BreakpointStep) []string {
	return breakpointStepRow(b, st)
}

// IsOpenModel reports whether an executor schedules arrivals (an open
// model), so that its latency counts from the intended start.
func IsOpenModel(executor string) bool { return isOpenModel(executor) }

// ShowSoak reports whether the soak analysis of a scenario is shown.
func ShowSoak(s ScenarioDoc) bool { return showSoak(s) }

// StatGrid is a scenario's target statistics laid out as the tables lay
// them out: a grid of the statistics that come in families (Rows of
// prefixes, then TotalRow; Columns of names), and the Rest, sorted.
type StatGrid struct {
	Rows, Columns []string
	Cells         map[string]map[string]float64
	Rest          []string
}

// TotalRow labels the grid's row of the unprefixed statistics.
const TotalRow = totalRow

// GroupStats lays out target statistics as the tables do.
func GroupStats(stats map[string]float64) StatGrid {
	g := groupStats(stats)
	return StatGrid{Rows: g.rows, Columns: g.columns, Cells: g.cells, Rest: g.rest}
}
