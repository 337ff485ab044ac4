package report

// What the HTML views (package report/html) share with the text
// renderers here, so that a figure reads the same in the terminal, in
// Markdown and in the page.

// HTMLTile is a key figure of the HTML report: a label, a value, a note
// and a class ("", pass, fail or warn); html.Tile converts from it.
type HTMLTile struct {
	ID, Label, Value, Note string
	Class                  string
}

// Comparisons returns an assertion's comparisons and logic; ok is false
// when the document has none (an older one).
func Comparisons(a AssertionDoc) ([]ComparisonDoc, LogicDoc, bool) { return a.comparisons() }

// StatGrid is a scenario's target statistics laid out as the tables lay
// them out: a grid of the statistics that come in families (Rows of
// prefixes, then TotalRow; Columns of names), and the Rest, sorted.
type StatGrid struct {
	Rows, Columns []string
	Cells         map[string]map[string]float64
	Rest          []string
}

// GroupStats lays out target statistics as the tables do.
func GroupStats(stats map[string]float64) StatGrid {
	g := groupStats(stats)
	return StatGrid{Rows: g.rows, Columns: g.columns, Cells: g.cells, Rest: g.rest}
}
