package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/olekukonko/tablewriter/tw"
)

// statTable is a scenario's target statistics laid out for reading: a grid
// of the statistics that come in families (one row per prefix, one column
// per name), and the rest.
//
// A statistic named PREFIX_NAME is a cell of row PREFIX and column NAME
// when at least two rows share the column and the row has at least two
// such columns: the cache's l1_hits, l2_hits, l1_misses, ... make rows l1,
// l2 and l3 with columns hits, misses, hit_ratio, entries, evictions and
// promotions, while load_errors and redis_errors (one column each) do not
// make rows. A statistic named just NAME, for a column of the grid, is the
// cell of a last row, "total". The statistics of no cell are the rest.
type statTable struct {
	rows    []string                      // row labels: prefixes in order, then "total" if any
	columns []string                      // column names
	cells   map[string]map[string]float64 // row → column → value
	rest    []string                      // names of the other statistics, sorted
}

// TotalRow labels the row of the unprefixed statistics.
const TotalRow = "total"

// groupStats lays out stats as a statTable.
func groupStats(stats map[string]float64) statTable {
	byPrefix := map[string][]string{} // prefix → names
	for key := range stats {
		if p, n, ok := strings.Cut(key, "_"); ok && p != "" && n != "" {
			byPrefix[p] = append(byPrefix[p], n)
		}
	}
	rows, columns := families(byPrefix)
	t := statTable{cells: map[string]map[string]float64{}}
	used := map[string]bool{}
	for p := range rows {
		t.rows = append(t.rows, p)
		t.cells[p] = map[string]float64{}
		for _, n := range byPrefix[p] {
			if columns[n] {
				t.cells[p][n] = stats[p+"_"+n]
				used[p+"_"+n] = true
			}
		}
	}
	sort.Strings(t.rows)
	for n := range columns {
		t.columns = append(t.columns, n)
		if v, ok := stats[n]; ok {
			if t.cells[TotalRow] == nil {
				t.cells[TotalRow] = map[string]float64{}
			}
			t.cells[TotalRow][n] = v
			used[n] = true
		}
	}
	if t.cells[TotalRow] != nil {
		t.rows = append(t.rows, TotalRow)
	}
	sortStatColumns(t.columns)
	for _, k := range sortedKeys(stats) {
		if !used[k] {
			t.rest = append(t.rest, k)
		}
	}
	return t
}

// families picks the grid's rows and columns from the names under each
// prefix: it drops the columns shared by fewer than two rows, then the
// rows with fewer than two columns, until nothing changes. No rows means
// no grid.
func families(byPrefix map[string][]string) (rows, columns map[string]bool) {
	rows = map[string]bool{}
	for p := range byPrefix {
		rows[p] = true
	}
	for changed := true; changed; {
		changed = false
		count := map[string]int{}
		for p := range rows {
			for _, n := range byPrefix[p] {
				count[n]++
			}
		}
		columns = map[string]bool{}
		for n, c := range count {
			if c >= 2 {
				columns[n] = true
			}
		}
		for p := range rows {
			if countIn(byPrefix[p], columns) < 2 {
				delete(rows, p)
				changed = true
			}
		}
	}
	if len(rows) == 0 {
		columns = nil
	}
	return rows, columns
}

// countIn counts the names in set.
func countIn(names []string, set map[string]bool) int {
	n := 0
	for _, x := range names {
		if set[x] {
			n++
		}
	}
	return n
}

// sortStatColumns orders the grid's columns as they read best: hits, then
// misses, then the ratios, then the others, each group by name.
func sortStatColumns(cols []string) {
	rank := func(c string) int {
		switch {
		case c == "hits":
			return 0
		case c == "misses":
			return 1
		case strings.HasSuffix(c, "ratio"):
			return 2
		}
		return 3
	}
	slices.SortFunc(cols, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
}

// cell renders a cell of the grid, or "-" for a statistic the row lacks.
func (t statTable) cell(row, col string) string {
	v, ok := t.cells[row][col]
	if !ok {
		return "-"
	}
	return statValue(col, v)
}

// restPairs renders the other statistics as NAME=VALUE, those that are 0
// folded into one "(N others 0)" at the end: a counter of a feature the
// target does not use (a Redis breaker without Redis) or of something that
// did not happen reads 0, and a row of them says nothing. The run document
// keeps every one, and an assertion's observed values show those it reads.
func (t statTable) restPairs(stats map[string]float64) []string {
	var parts []string
	zero := 0
	for _, k := range t.rest {
		if stats[k] == 0 {
			zero++
			continue
		}
		parts = append(parts, k+"="+statValue(k, stats[k]))
	}
	switch {
	case zero == 1 && len(parts) == 0:
		parts = append(parts, t.rest[0]+"=0")
	case zero > 0 && len(parts) == 0:
		parts = append(parts, fmt.Sprintf("all %d are 0", zero))
	case zero == 1:
		parts = append(parts, "(1 other 0)")
	case zero > 1:
		parts = append(parts, fmt.Sprintf("(%d others 0)", zero))
	}
	return parts
}

// zeroRows returns the grid rows (not total) whose every cell is 0 in each
// of tables, which share their columns: a tier the target does not have
// (l2 and l3 of a single-tier cache), or one that saw nothing.
func zeroRows(tables []statTable) []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range tables {
		for _, row := range st.rows {
			if row == TotalRow || seen[row] {
				continue
			}
			seen[row] = true
			zero := true
			for _, t := range tables {
				for _, v := range t.cells[row] {
					zero = zero && v == 0
				}
			}
			if zero {
				out = append(out, row)
			}
		}
	}
	sort.Strings(out)
	return out
}

// statValue renders a target statistic: a size (a name ending in _bytes)
// in IEC units, anything else as a number, as assertions read it.
func statValue(name string, v float64) string {
	if strings.HasSuffix(name, "_bytes") && v == math.Trunc(v) && math.Abs(v) < math.MaxInt64 {
		return Bytes(int64(v))
	}
	return Number(v)
}

// writeDocTargetStats prints a plan's target statistics: for scenarios
// whose statistics come in families (see statTable), a grid per run of
// scenarios with the same columns; then a table of every scenario's other
// statistics as NAME=VALUE.
func writeDocTargetStats(w io.Writer, p *PlanDoc, width int) error {
	tables := make([]statTable, len(p.Scenarios))
	hasRest := false
	for i, s := range p.Scenarios {
		tables[i] = groupStats(s.TargetStats)
		hasRest = hasRest || len(tables[i].rest) > 0
	}
	for i := 0; i < len(p.Scenarios); {
		if len(tables[i].rows) == 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(p.Scenarios) && slices.Equal(tables[j].columns, tables[i].columns) {
			j++
		}
		if err := writeStatGrid(w, p.Scenarios[i:j], tables[i:j], width); err != nil {
			return err
		}
		i = j
	}
	if !hasRest {
		return nil
	}
	t := newTable(w, []string{"scenario", "target statistics"}, []tw.Align{tw.AlignLeft, tw.AlignLeft}, width)
	for i, s := range p.Scenarios {
		if len(tables[i].rest) == 0 {
			continue
		}
		if err := t.Append([]string{s.Name, strings.Join(tables[i].restPairs(s.TargetStats), " ")}); err != nil {
			return fmt.Errorf("table row: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

// writeStatGrid prints the grids of scenarios that share their columns, as
// one table: a row per scenario and prefix.
func writeStatGrid(w io.Writer, scenarios []ScenarioDoc, tables []statTable, width int) error {
	cols := tables[0].columns
	header := append([]string{"scenario", "target"}, cols...)
	align := []tw.Align{tw.AlignLeft, tw.AlignLeft}
	for range cols {
		align = append(align, tw.AlignRight)
	}
	t := newTable(w, header, align, width)
	t.Keys(2)
	folded := zeroRows(tables)
	for i, st := range tables {
		first := true
		for _, row := range st.rows {
			if slices.Contains(folded, row) {
				continue
			}
			name := ""
			if first {
				name, first = scenarios[i].Name, false
			}
			cells := []string{name, row}
			for _, c := range cols {
				cells = append(cells, st.cell(row, c))
			}
			if err := t.Append(cells); err != nil {
				return fmt.Errorf("table row: %w", err)
			}
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	if len(folded) > 0 {
		writeNote(w, fmt.Sprintf("%s: every statistic 0 in every scenario above (left out)", strings.Join(folded, ", ")), width)
	}
	return nil
}

// writeMarkdownStatGrid renders the grid of st, if it has one, as a
// Markdown table.
func writeMarkdownStatGrid(w io.Writer, st statTable) {
	if len(st.rows) == 0 {
		return
	}
	header := []string{"target"}
	for _, c := range st.columns {
		header = append(header, mdEscape(c))
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
	fmt.Fprintf(w, "|:---|%s\n", strings.Repeat("---:|", len(st.columns)))
	folded := zeroRows([]statTable{st})
	for _, row := range st.rows {
		if slices.Contains(folded, row) {
			continue
		}
		cells := []string{mdEscape(row)}
		for _, c := range st.columns {
			cells = append(cells, st.cell(row, c))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
	if len(folded) > 0 {
		fmt.Fprintf(w, "Every statistic of %s is 0 (left out of the table).\n\n", mdEscape(strings.Join(folded, ", ")))
	}
}

// markdownStatNote is the note that lists the statistics of st outside its
// grid, or "" when there are none.
func markdownStatNote(st statTable, stats map[string]float64) string {
	if len(st.rest) == 0 {
		return ""
	}
	label := "Target statistics: "
	if len(st.rows) > 0 {
		label = "Other target statistics: "
	}
	return label + mdEscape(strings.Join(st.restPairs(stats), ", "))
}
