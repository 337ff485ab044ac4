package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/perfplan/perfplan/dsl"
)

// TestTablesFitWidth renders every fixture document's tables at widths
// from 40 to 200 columns: no line may be wider than the width.
func TestTablesFitWidth(t *testing.T) {
	t.Parallel()
	for _, f := range fixtures {
		for _, width := range []int{40, 60, 80, 100, 120, 160, 200} {
			var b bytes.Buffer
			if err := WriteDocumentTables(&b, f.doc(), TableOptions{Width: width}); err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(b.String(), "\n") {
				if w := twwidth.Width(line); w > width {
					t.Errorf("%s at width %d: line %d is %d columns wide:\n%s", f.name, width, i+1, w, line)
				}
			}
		}
	}
}

// TestTablesGoldenNarrow pins the layout at 80 columns: conditions and
// observations wrap inside their cells, hyphenated names break after the
// hyphen, long notes wrap with an indent.
func TestTablesGoldenNarrow(t *testing.T) {
	t.Parallel()
	for _, width := range []int{80, 60} {
		var b bytes.Buffer
		d := fixtureDocument()
		d.Recompile(dsl.Conditions{}) // as the CLI reads it: the fixture's assertions are older ones
		if err := WriteDocumentTables(&b, d, TableOptions{Width: width}); err != nil {
			t.Fatal(err)
		}
		golden(t, fmt.Sprintf("golden-%d.txt", width), b.Bytes())
	}
}

// TestTableSplitsWideGroups checks that a table whose fixed columns cannot
// fit is split into groups of columns, each repeating the key column.
func TestTableSplitsWideGroups(t *testing.T) {
	t.Parallel()
	header := []string{"scenario"}
	align := []tw.Align{tw.AlignLeft}
	row := []string{"steady"}
	for i := range 12 {
		header = append(header, fmt.Sprintf("column_%02d", i))
		align = append(align, tw.AlignRight)
		row = append(row, "123456")
	}
	var b bytes.Buffer
	tb := newTable(&b, header, align, 60)
	if err := tb.Append(row); err != nil {
		t.Fatal(err)
	}
	if err := tb.Render(); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "scenario"); n < 3 {
		t.Errorf("want the 13 columns split into at least 3 tables each led by scenario, got %d:\n%s", n, out)
	}
	for i := range 12 {
		if !strings.Contains(out, fmt.Sprintf("column_%02d", i)) {
			t.Errorf("column_%02d is missing:\n%s", i, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if twwidth.Width(line) > 60 {
			t.Errorf("line wider than 60: %q", line)
		}
	}
}

func TestWrapLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		width int
		want  []string
	}{
		{"short", 10, []string{"short"}},
		{"a b c d e", 3, []string{"a b", "c d", "e"}},
		{"read-throughput", 12, []string{"read-", "throughput"}},
		{"latency (runner saturated)", 15, []string{"latency (runner", "saturated)"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"-flag x--y", 5, []string{"-flag", "x--y"}},
	} {
		if got := wrapLine(tc.in, tc.width); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrapLine(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}
