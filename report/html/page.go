// Package html is the home of perfplan's HTML report: the page model
// (Page, Section, Table, Chart, ...), the writer that turns a Page into one
// self-contained file, the three views that fill a Page (the run view,
// RunPage; the comparison view, ComparePage; the history view,
// HistoryPage), the charts, drawn in Go as inline SVG with
// github.com/go-analyze/charts' chartdraw package, and the style sheet.
//
// Every figure, the charts' ticks and tooltips included, is printed with
// report's units (report/units.go), as the terminal tables print it.
//
// The page carries no script: it reads the same where scripts are blocked
// (CI artifact viewers with a strict Content-Security-Policy), and the
// charts' tooltips are SVG <title> elements.
package html

import (
	"embed"
	"fmt"
	"html"
	"io"
	"strings"
)

//go:embed report.css
var assets embed.FS

// Format prints a value v of a unit for a chart's ticks and tooltips (see
// Axis.Unit).
type Format func(unit string, v float64) string

// Page is one page of the HTML report: the run, comparison and history
// views are each built as a Page and written by WritePage.
type Page struct {
	Title string
	// Kind names the view ("run", "compare", "history"): the body's
	// data-kind.
	Kind string
	// Version is perfplan's version, for the footer.
	Version string
	// Lines are shown under the title.
	Lines []string
	// Verdict is the badge beside the title (id "verdict").
	Verdict  Badge
	Sections []Section
}

// Section is a section of a page: a plan, a scenario, a metric.
// Sections nest (Level 1 and 2); each level-1 section and its subsections
// are listed in the page's navigation.
type Section struct {
	ID, Title, Subtitle string
	Level               int
	Badges              []Badge
	Tiles               []Tile
	Notes               []Note
	Tables              []Table
	Charts              []Chart
	Flames              []Flame
	Sections            []Section
}

// Badge is a coloured label. Class is one of pass, fail, warn,
// interrupted, critical, high, medium, low, improvement and neutral.
type Badge struct {
	ID, Text, Class string
}

// Tile is a key figure: a label, a value and a note.
type Tile struct {
	ID, Label, Value, Note string
	// Class is "", pass, fail or warn.
	Class string
}

// Note is a line of a section's notes; Class is "", warn or fail.
type Note struct {
	Text, Class string
}

// Table is a table of pre-formatted cells.
type Table struct {
	ID, Caption string
	Header      []Head
	Rows        []Row
}

// Head is a column heading; Num right-aligns it.
type Head struct {
	Text string
	Num  bool
}

// Row is a table row; Class is "", sub (a row under the one before),
// pass, fail, regression or improvement.
type Row struct {
	Class string
	Cells []Cell
}

// Cell is a table cell. Class is "", num (a right-aligned figure),
// verdict, cond or pre (keeps line breaks). Title is its tooltip; Span,
// when above 1, the columns it spans.
type Cell struct {
	ID, Text, Class, Title string
	Span                   int
}

// Chart is a chart: x values shared by every series, each series' y
// values (NaN for a gap), markers and bands. The page draws it as inline
// SVG in a div with the chart's ID (chart.go).
type Chart struct {
	ID    string
	Title string
	// Note is shown beside the title.
	Note    string
	X       Axis
	Y       Axis
	Y2      *Axis
	Xs      Values
	Series  []Series
	Markers []Marker
	// Bands fill between two series, by index: {upper, lower}.
	Bands  [][2]int
	Height int
}

// Axis describes an axis. Unit selects the tick format: "ns"
// (durations), "/s" (rates), "B" (bytes), "B/min", "%" (a percentage),
// "ratio" (a fraction shown as a percentage), "p" (1/(1−p) shown as the
// percentile p), "s" and "min" (time offsets), "run" (run numbers), "date"
// (Unix seconds) or "" (plain numbers). Log selects a log scale; Zero
// keeps 0 in a linear range.
type Axis struct {
	Label string
	Unit  string
	Log   bool
	Zero  bool
}

// Series is one series of a chart. Axis 2 puts it on the chart's Y2.
// Points draws points without a line, Line a line without points (by
// default sparse series show their points); Span draws lines across gaps;
// Dash dashes the line.
type Series struct {
	Label  string
	Color  string
	Axis   int
	Dash   bool
	Points bool
	Line   bool
	Span   bool
	Width  float64
	Data   Values
}

// Marker marks a chart: a vertical line at X, or with Y set, a circle
// at (X, Y).
type Marker struct {
	X     float64
	Y     *float64
	Label string
	Color string
}

// Values are chart values; NaN and infinities are gaps.
type Values []float64

// asset returns an embedded file.
func asset(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic("report/html: missing embedded asset " + name)
	}
	return string(b)
}

// WritePage writes p as one self-contained HTML file: the styles are
// inline, the charts are inline SVG, and nothing is loaded from the
// network.
func WritePage(w io.Writer, p *Page) error {
	seen := map[string]bool{}
	charts := 0
	var check func(ss []Section) error
	check = func(ss []Section) error {
		for i := range ss {
			for _, c := range ss[i].Charts {
				if seen[c.ID] || c.ID == "" {
					return fmt.Errorf("html report: chart id %q is empty or used twice", c.ID)
				}
				seen[c.ID] = true
				charts++
			}
			if err := check(ss[i].Sections); err != nil {
				return err
			}
		}
		return nil
	}
	if err := check(p.Sections); err != nil {
		return err
	}
	format := Format(chartValue)
	// The page is written by hand rather than with html/template: a
	// template's reflective method calls keep every exported method of
	// every type in the binary, about 10 MB of perfplan's.
	var b strings.Builder
	e := html.EscapeString
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"perfplan\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>%s</style>\n</head>\n", e(p.Title), asset("report.css"))
	fmt.Fprintf(&b, "<body data-kind=\"%s\" data-charts=\"%d\">\n<header>\n<h1>%s", e(p.Kind), charts, e(p.Title))
	if p.Verdict.Text != "" {
		fmt.Fprintf(&b, " <span class=\"badge %s\" id=\"verdict\">%s</span>", e(p.Verdict.Class), e(p.Verdict.Text))
	}
	b.WriteString("</h1>\n")
	for _, l := range p.Lines {
		fmt.Fprintf(&b, "<p class=\"meta\">%s</p>\n", e(l))
	}
	b.WriteString("</header>\n")
	if len(p.Sections) > 0 {
		b.WriteString("<nav>")
		for _, s := range p.Sections {
			fmt.Fprintf(&b, "<a href=\"#%s\">%s</a>", e(s.ID), e(s.Title))
			for _, sub := range s.Sections {
				fmt.Fprintf(&b, "<a href=\"#%s\">%s</a>", e(sub.ID), e(sub.Title))
			}
		}
		b.WriteString("</nav>\n")
	}
	b.WriteString("<main>\n")
	for i := range p.Sections {
		if err := writeSection(&b, &p.Sections[i], format); err != nil {
			return err
		}
	}
	if len(p.Sections) == 0 {
		b.WriteString("<p>Nothing to show.</p>\n")
	}
	b.WriteString("</main>\n<footer>Written by perfplan")
	if p.Version != "" {
		b.WriteString(" " + e(p.Version))
	}
	b.WriteString(". One self-contained file without scripts: data, styles and charts are inline, nothing is loaded from the network. Point at a chart for its values.</footer>\n</body>\n</html>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// writeSection writes a section and its subsections.
func writeSection(b *strings.Builder, s *Section, format Format) error {
	e := html.EscapeString
	attr := func(name, v string) string {
		if v == "" {
			return ""
		}
		return " " + name + "=\"" + e(v) + "\""
	}
	fmt.Fprintf(b, "<section id=\"%s\" class=\"level%d\">\n", e(s.ID), s.Level)
	h := "h2"
	if s.Level != 1 {
		h = "h3"
	}
	fmt.Fprintf(b, "<%s>%s", h, e(s.Title))
	if s.Subtitle != "" {
		fmt.Fprintf(b, "<span class=\"sub\">%s</span>", e(s.Subtitle))
	}
	for _, bd := range s.Badges {
		fmt.Fprintf(b, " <span class=\"badge %s\"%s>%s</span>", e(bd.Class), attr("id", bd.ID), e(bd.Text))
	}
	fmt.Fprintf(b, "</%s>\n", h)
	if len(s.Tiles) > 0 {
		b.WriteString("<div class=\"tiles\">")
		for _, t := range s.Tiles {
			fmt.Fprintf(b, "<div class=\"tile %s\"><div class=\"tile-label\">%s</div><div class=\"tile-value\"%s>%s</div>", e(t.Class), e(t.Label), attr("id", t.ID), e(t.Value))
			if t.Note != "" {
				fmt.Fprintf(b, "<div class=\"tile-note\">%s</div>", e(t.Note))
			}
			b.WriteString("</div>")
		}
		b.WriteString("</div>\n")
	}
	if len(s.Notes) > 0 {
		b.WriteString("<ul class=\"notes\">")
		for _, n := range s.Notes {
			fmt.Fprintf(b, "<li class=\"%s\">%s</li>", e(n.Class), e(n.Text))
		}
		b.WriteString("</ul>\n")
	}
	for _, t := range s.Tables {
		fmt.Fprintf(b, "<div class=\"table-wrap\"><table%s>", attr("id", t.ID))
		if t.Caption != "" {
			fmt.Fprintf(b, "<caption>%s</caption>", e(t.Caption))
		}
		b.WriteString("\n<thead><tr>")
		for _, h := range t.Header {
			if h.Num {
				fmt.Fprintf(b, "<th class=\"num\">%s</th>", e(h.Text))
			} else {
				fmt.Fprintf(b, "<th>%s</th>", e(h.Text))
			}
		}
		b.WriteString("</tr></thead>\n<tbody>")
		for _, r := range t.Rows {
			fmt.Fprintf(b, "<tr%s>", attr("class", r.Class))
			for _, c := range r.Cells {
				span := ""
				if c.Span > 1 {
					span = fmt.Sprintf(" colspan=\"%d\"", c.Span)
				}
				fmt.Fprintf(b, "<td%s%s%s%s>%s</td>", attr("id", c.ID), attr("class", c.Class), attr("title", c.Title), span, e(c.Text))
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</tbody></table></div>\n")
	}
	if len(s.Charts) > 0 {
		b.WriteString("<div class=\"charts\">")
		for i := range s.Charts {
			if err := writeChart(b, &s.Charts[i], format); err != nil {
				return err
			}
		}
		b.WriteString("</div>\n")
	}
	if len(s.Flames) > 0 {
		b.WriteString("<div class=\"flames\">")
		for i := range s.Flames {
			writeFlame(b, &s.Flames[i])
		}
		b.WriteString("</div>\n")
	}
	for i := range s.Sections {
		if err := writeSection(b, &s.Sections[i], format); err != nil {
			return err
		}
	}
	b.WriteString("</section>\n")
	return nil
}
