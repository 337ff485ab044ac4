// Package report renders run results: the terminal tables and the versioned
// JSON run document.
package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/perfplan/perfplan/plan"
)

// TableOptions tune the terminal tables.
type TableOptions struct {
	// Color enables ANSI colour for verdicts.
	Color bool
	// Width bounds every line of the tables and notes, in columns: the
	// terminal's width, or COLUMNS, or DefaultWidth without a terminal.
	// 0 means DefaultWidth.
	Width int
}

// DefaultWidth is the width of the tables without a terminal.
const DefaultWidth = 120

// minWidth is the narrowest width the tables are laid out for.
const minWidth = 40

// width returns the width the tables are laid out for.
func (o TableOptions) width() int {
	switch {
	case o.Width <= 0:
		return DefaultWidth
	case o.Width < minWidth:
		return minWidth
	}
	return o.Width
}

// Table is a terminal table that fits a width: Render wraps the text of the
// wrappable columns (the left-aligned ones) at
// spaces, narrowing the widest first, and when the table still does not fit
// splits its columns into groups, each printed as a table of its own that
// repeats the key columns (the first keys).
type Table struct {
	w      io.Writer
	header []string
	align  []tw.Align
	rows   [][]string
	width  int
	keys   int
	wrap   []bool
}

// minWrapWidth is the narrowest a wrapped column is made.
const minWrapWidth = 12

// NewTable returns a table of these columns that Render fits to width (0:
// unbounded); align gives each column's alignment, and the left-aligned
// columns wrap.
func NewTable(w io.Writer, header []string, align []tw.Align, width int) *Table {
	wrap := make([]bool, len(header))
	for i := range header {
		wrap[i] = i < len(align) && align[i] == tw.AlignLeft
	}
	return &Table{w: w, header: header, align: align, width: width, keys: 1, wrap: wrap}
}

// Keys sets how many leading columns identify a row: a table split into
// groups of columns repeats them in each. It returns t.
func (t *Table) Keys(n int) *Table {
	t.keys = min(max(n, 1), len(t.header))
	return t
}

func newTable(w io.Writer, header []string, align []tw.Align, width int) *Table {
	return NewTable(w, header, align, width)
}

// Append adds a row.
func (t *Table) Append(row []string) error {
	if len(row) != len(t.header) {
		return fmt.Errorf("row of %d cells in a table of %d columns", len(row), len(t.header))
	}
	t.rows = append(t.rows, row)
	return nil
}

// cellWidth is the display width of a cell's widest line.
func cellWidth(s string) int {
	w := 0
	for _, line := range strings.Split(s, "\n") {
		w = max(w, twwidth.Width(line))
	}
	return w
}

// tableWidth is the width of a table of columns of these widths: a border
// and a space either side of each.
func tableWidth(widths []int) int {
	total := 1
	for _, w := range widths {
		total += w + 3
	}
	return total
}

// Render prints the table, fitted to its width.
func (t *Table) Render() error {
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = cellWidth(h)
		for _, r := range t.rows {
			widths[i] = max(widths[i], cellWidth(r[i]))
		}
	}
	if t.width > 0 && tableWidth(widths) > t.width {
		t.fit(widths)
	}
	for _, cols := range t.groups(widths) {
		if err := t.render(cols); err != nil {
			return err
		}
	}
	return nil
}

// fit narrows the wrappable columns so that the table fits its width, by
// lowering one cap on their widths (the widest narrow first), and wraps
// their cells. It first keeps every word whole (a column is no narrower than
// its longest word); when that is not enough it cuts words down to
// minWrapWidth. widths, the columns' natural widths, become the widths of
// the wrapped columns.
func (t *Table) fit(widths []int) {
	natural := slices.Clone(widths)
	floors := make([]int, len(widths))
	capped := func(c int) []int {
		out := slices.Clone(natural)
		for i := range out {
			if t.wrap[i] {
				out[i] = min(natural[i], max(c, floors[i]))
			}
		}
		return out
	}
	var target []int
	for _, wholeWords := range []bool{true, false} {
		for i := range floors {
			floors[i] = max(cellWidth(t.header[i]), minWrapWidth)
			if wholeWords {
				for _, r := range t.rows {
					floors[i] = max(floors[i], longestWord(r[i]))
				}
			}
		}
		c := slices.Max(natural)
		for c > 0 && tableWidth(capped(c)) > t.width {
			c--
		}
		target = capped(c)
		if tableWidth(target) <= t.width {
			break
		}
	}
	for i := range widths {
		if !t.wrap[i] || target[i] >= natural[i] {
			continue
		}
		widths[i] = cellWidth(t.header[i])
		for _, r := range t.rows {
			r[i] = wrapText(r[i], target[i])
			widths[i] = max(widths[i], cellWidth(r[i]))
		}
	}
}

// longestWord is the display width of the widest word of s, or of the
// widest piece of a hyphenated word (see wrapLine).
func longestWord(s string) int {
	w := 0
	for _, word := range strings.Fields(s) {
		for _, piece := range hyphenPieces(word) {
			w = max(w, twwidth.Width(piece))
		}
	}
	return w
}

// groups splits the columns into groups that fit the width, each led by
// the key columns; one group when the table fits.
func (t *Table) groups(widths []int) [][]int {
	all := make([]int, len(widths))
	for i := range all {
		all[i] = i
	}
	if t.width <= 0 || tableWidth(widths) <= t.width || len(widths) <= t.keys+1 {
		return [][]int{all}
	}
	keyW := tableWidth(widths[:t.keys])
	var out [][]int
	cur, curW := append([]int(nil), all[:t.keys]...), keyW
	for i := t.keys; i < len(widths); i++ {
		if curW+widths[i]+3 > t.width && len(cur) > t.keys {
			out = append(out, cur)
			cur, curW = append([]int(nil), all[:t.keys]...), keyW
		}
		cur = append(cur, i)
		curW += widths[i] + 3
	}
	return append(out, cur)
}

// render prints the columns cols of the table.
func (t *Table) render(cols []int) error {
	pick := func(ss []string) []string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = ss[c]
		}
		return out
	}
	align := make([]tw.Align, len(cols))
	for i, c := range cols {
		if c < len(t.align) {
			align[i] = t.align[c]
		}
	}
	tt := tablewriter.NewTable(t.w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	tt.Header(toAny(pick(t.header))...)
	for _, r := range t.rows {
		if err := tt.Append(pick(r)); err != nil {
			return fmt.Errorf("table row: %w", err)
		}
	}
	if err := tt.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

// wrapText wraps each line of s at spaces to at most width columns; a word
// longer than width is cut.
func wrapText(s string, width int) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		out = append(out, wrapLine(line, width)...)
	}
	return strings.Join(out, "\n")
}

// wrapLine wraps one line to at most width columns, at spaces and after
// the hyphens inside words ("write-" "throughput"); a piece still longer
// than width is cut.
func wrapLine(line string, width int) []string {
	if twwidth.Width(line) <= width {
		return []string{line}
	}
	var out []string
	cur := ""
	for _, word := range strings.Fields(line) {
		for k, piece := range hyphenPieces(word) {
			for twwidth.Width(piece) > width {
				if cur != "" {
					out = append(out, cur)
					cur = ""
				}
				head, tail := cutWidth(piece, width)
				out = append(out, head)
				piece = tail
			}
			sep := " "
			if k > 0 {
				sep = "" // the rest of a hyphenated word
			}
			switch {
			case cur == "":
				cur = piece
			case twwidth.Width(cur)+len(sep)+twwidth.Width(piece) <= width:
				cur += sep + piece
			default:
				out = append(out, cur)
				cur = piece
			}
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// hyphenPieces splits a word after each hyphen that has a letter or digit
// on both sides: "read-throughput" is "read-" and "throughput".
func hyphenPieces(word string) []string {
	var out []string
	start := 0
	for i := 1; i < len(word)-1; i++ {
		if word[i] == '-' && isAlnum(word[i-1]) && isAlnum(word[i+1]) {
			out = append(out, word[start:i+1])
			start = i + 1
		}
	}
	return append(out, word[start:])
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// cutWidth splits s after at most width columns (at least one rune).
func cutWidth(s string, width int) (head, tail string) {
	w := 0
	for i, r := range s {
		rw := twwidth.Width(string(r))
		if w+rw > width && i > 0 {
			return s[:i], s[i:]
		}
		w += rw
	}
	return s, ""
}

// writeNote prints a note line of the tables, indented by two spaces and
// wrapped to width with continuation lines indented by four.
func writeNote(w io.Writer, note string, width int) {
	writeWrapped(w, note, width, "  ", "    ")
}

// WriteWrapped prints text wrapped at spaces to width columns: its first
// line after the indent first, the others after rest.
func WriteWrapped(w io.Writer, text string, width int, first, rest string) {
	writeWrapped(w, text, width, first, rest)
}

func writeWrapped(w io.Writer, text string, width int, first, rest string) {
	lines := wrapLine(text, width-len(first))
	if len(lines) > 1 && len(rest) > len(first) {
		lines = append(lines[:1], wrapLine(strings.Join(lines[1:], " "), width-len(rest))...)
	}
	for i, l := range lines {
		indent := first
		if i > 0 {
			indent = rest
		}
		fmt.Fprintln(w, indent+l)
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
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

// isFamilyMetric reports whether name reads a field of a latency family
// (plan.LatencyFamilies), of the scenario, an operation, a stage or the
// baseline.
func isFamilyMetric(name string) bool {
	_, _, _, ok := plan.SplitFamily(name)
	return ok
}

// isDurationResource reports whether name is a process resource figure
// that is a duration (plan.ProcessResources).
func isDurationResource(name string) bool {
	d, ok := plan.LookupResource(name)
	return ok && d.Unit == plan.UnitDuration
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
	case isFamilyMetric(name) || name == "elapsed" ||
		name == "recovery_time" || isDurationResource(name):
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
