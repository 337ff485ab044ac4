package report

import (
	"embed"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
)

// The HTML report is one self-contained file: the styles, the chart library and the script that draws the charts are
// embedded in the binary and inlined into every page, with the chart data
// as JSON, so that CI can archive the file and anyone can open it offline.
//
// The charts are drawn by uPlot (html/uPlot.iife.min.js, MIT licence,
// html/uPlot.LICENSE), a canvas chart library of 51 KB minified (22 KB
// gzipped) with log scales, bands, a live legend and zoom. Everything else,
// tables and figures included, is rendered here, with the same formatting
// as the terminal tables.
//
//go:embed html/report.css html/report.js html/uPlot.iife.min.js html/uPlot.min.css html/uPlot.LICENSE
var htmlAssets embed.FS

// HTMLPage is one page of the HTML report: the run view (WriteHTML), the
// comparison view (package compare) and the history view (perfplan
// history --format html) are all built as an HTMLPage and written by
// WriteHTMLPage.
type HTMLPage struct {
	Title string
	// Kind names the view ("run", "compare", "history"): the body's
	// data-kind.
	Kind string
	// Version is perfplan's version, for the footer.
	Version string
	// Lines are shown under the title.
	Lines []string
	// Verdict is the badge beside the title (id "verdict").
	Verdict  HTMLBadge
	Sections []HTMLSection
}

// HTMLSection is a section of a page: a plan, a scenario, a metric.
// Sections nest (Level 1 and 2); each level-1 section and its subsections
// are listed in the page's navigation.
type HTMLSection struct {
	ID, Title, Subtitle string
	Level               int
	Badges              []HTMLBadge
	Tiles               []HTMLTile
	Notes               []HTMLNote
	Tables              []HTMLTable
	Charts              []HTMLChart
	Sections            []HTMLSection
}

// HTMLBadge is a coloured label. Class is one of pass, fail, warn,
// interrupted, critical, high, medium, low, improvement and neutral.
type HTMLBadge struct {
	ID, Text, Class string
}

// HTMLTile is a key figure: a label, a value and a note.
type HTMLTile struct {
	ID, Label, Value, Note string
	// Class is "", pass, fail or warn.
	Class string
}

// HTMLNote is a line of a section's notes; Class is "", warn or fail.
type HTMLNote struct {
	Text, Class string
}

// HTMLTable is a table of pre-formatted cells.
type HTMLTable struct {
	ID, Caption string
	Header      []HTMLHead
	Rows        []HTMLRow
}

// HTMLHead is a column heading; Num right-aligns it.
type HTMLHead struct {
	Text string
	Num  bool
}

// HTMLRow is a table row; Class is "", sub (a row under the one before),
// pass, fail, regression or improvement.
type HTMLRow struct {
	Class string
	Cells []HTMLCell
}

// HTMLCell is a table cell. Class is "", num (a right-aligned figure),
// verdict, cond or pre (keeps line breaks). Title is its tooltip; Span,
// when above 1, the columns it spans.
type HTMLCell struct {
	ID, Text, Class, Title string
	Span                   int
}

// HTMLChart is a chart: x values shared by every series, each series' y
// values (NaN for a gap), markers and bands. The page draws it with uPlot
// in a div with the chart's ID.
type HTMLChart struct {
	ID    string `json:"-"`
	Title string `json:"title"`
	// Note is shown beside the title.
	Note    string       `json:"-"`
	X       HTMLAxis     `json:"x"`
	Y       HTMLAxis     `json:"y"`
	Y2      *HTMLAxis    `json:"y2,omitempty"`
	Xs      HTMLValues   `json:"xs"`
	Series  []HTMLSeries `json:"series"`
	Markers []HTMLMarker `json:"markers,omitempty"`
	// Bands fill between two series, by index: {upper, lower}.
	Bands  [][2]int `json:"bands,omitempty"`
	Height int      `json:"height,omitempty"`
}

// HTMLAxis describes an axis. Unit selects the tick format: "ns"
// (durations), "/s" (rates), "B" (bytes), "B/min", "%" (a percentage),
// "ratio" (a fraction shown as a percentage), "p" (1/(1−p) shown as the
// percentile p), "s" and "min" (time offsets), "run" (run numbers), "date"
// (Unix seconds) or "" (plain numbers). Log selects a log scale; Zero
// keeps 0 in a linear range.
type HTMLAxis struct {
	Label string `json:"label,omitempty"`
	Unit  string `json:"unit,omitempty"`
	Log   bool   `json:"log,omitempty"`
	Zero  bool   `json:"zero,omitempty"`
}

// HTMLSeries is one series of a chart. Axis 2 puts it on the chart's Y2.
// Points draws points without a line, Line a line without points (by
// default sparse series show their points); Span draws lines across gaps;
// Dash dashes the line.
type HTMLSeries struct {
	Label  string     `json:"label"`
	Color  string     `json:"color,omitempty"`
	Axis   int        `json:"axis,omitempty"`
	Dash   bool       `json:"dash,omitempty"`
	Points bool       `json:"points,omitempty"`
	Line   bool       `json:"line,omitempty"`
	Span   bool       `json:"span,omitempty"`
	Width  float64    `json:"width,omitempty"`
	Fill   string     `json:"fill,omitempty"`
	Data   HTMLValues `json:"data"`
}

// HTMLMarker marks a chart: a vertical line at X, or with Y set, a circle
// at (X, Y).
type HTMLMarker struct {
	X     float64  `json:"x"`
	Y     *float64 `json:"y,omitempty"`
	Label string   `json:"label,omitempty"`
	Color string   `json:"color,omitempty"`
}

// HTMLValues are chart values, written compactly with seven significant
// digits; NaN and infinities are written as null (a gap).
type HTMLValues []float64

// MarshalJSON implements json.Marshaler.
func (v HTMLValues) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+8*len(v))
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, x, 'g', 7, 64)
	}
	return append(b, ']'), nil
}

// Chart colours, as the page's palette orders them.
const (
	colorBlue   = "#1f77b4"
	colorRed    = "#d62728"
	colorGreen  = "#2ca02c"
	colorOrange = "#ff7f0e"
	colorPurple = "#9467bd"
	colorBrown  = "#8c564b"
	colorGrey   = "#7f7f7f"
)

// htmlAsset returns an embedded file.
func htmlAsset(name string) string {
	b, err := htmlAssets.ReadFile("html/" + name)
	if err != nil {
		panic("report: missing embedded asset " + name)
	}
	return string(b)
}

// WriteHTMLPage writes p as one self-contained HTML file.
func WriteHTMLPage(w io.Writer, p *HTMLPage) error {
	charts := map[string]*HTMLChart{}
	var collect func(ss []HTMLSection) error
	collect = func(ss []HTMLSection) error {
		for i := range ss {
			for j := range ss[i].Charts {
				c := &ss[i].Charts[j]
				if _, dup := charts[c.ID]; dup || c.ID == "" {
					return fmt.Errorf("html report: chart id %q is empty or used twice", c.ID)
				}
				charts[c.ID] = c
			}
			if err := collect(ss[i].Sections); err != nil {
				return err
			}
		}
		return nil
	}
	if err := collect(p.Sections); err != nil {
		return err
	}
	data, err := json.Marshal(charts)
	if err != nil {
		return fmt.Errorf("html report: encode charts: %w", err)
	}
	// The page is written by hand rather than with html/template: a
	// template's reflective method calls keep every exported method of
	// every type in the binary, about 10 MB of perfplan's.
	var b strings.Builder
	e := html.EscapeString
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"perfplan\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>%s</style>\n<style>%s</style>\n</head>\n", e(p.Title), htmlAsset("uPlot.min.css"), htmlAsset("report.css"))
	fmt.Fprintf(&b, "<body data-kind=\"%s\" data-js-errors=\"0\">\n<header>\n<h1>%s", e(p.Kind), e(p.Title))
	if p.Verdict.Text != "" {
		fmt.Fprintf(&b, " <span class=\"badge %s\" id=\"verdict\">%s</span>", e(p.Verdict.Class), e(p.Verdict.Text))
	}
	b.WriteString("</h1>\n")
	for _, l := range p.Lines {
		fmt.Fprintf(&b, "<p class=\"meta\">%s</p>\n", e(l))
	}
	b.WriteString("</header>\n<pre id=\"js-errors\" hidden></pre>\n")
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
		writeHTMLSection(&b, &p.Sections[i])
	}
	if len(p.Sections) == 0 {
		b.WriteString("<p>Nothing to show.</p>\n")
	}
	b.WriteString("</main>\n<footer>Written by perfplan")
	if p.Version != "" {
		b.WriteString(" " + e(p.Version))
	}
	b.WriteString(". One self-contained file: data, styles and scripts are inline, nothing is loaded from the network. Charts drawn by uPlot (MIT licence, © Leon Sorokin).</footer>\n")
	// json.Marshal escapes <, > and &, so the data cannot end the script
	// element; the embedded scripts contain no "</script" (html_test.go).
	fmt.Fprintf(&b, "<script type=\"application/json\" id=\"perfplan-charts\">%s</script>\n", data)
	// Every page carries uPlot, so it carries uPlot's licence with it.
	fmt.Fprintf(&b, "<script>/*! uPlot, embedded in perfplan's report under its licence:\n%s*/\n%s</script>\n<script>%s</script>\n</body>\n</html>\n",
		htmlAsset("uPlot.LICENSE"), htmlAsset("uPlot.iife.min.js"), htmlAsset("report.js"))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// writeHTMLSection writes a section and its subsections.
func writeHTMLSection(b *strings.Builder, s *HTMLSection) {
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
		for _, c := range s.Charts {
			fmt.Fprintf(b, "<figure class=\"chart-box\"><figcaption>%s", e(c.Title))
			if c.Note != "" {
				fmt.Fprintf(b, "<span class=\"chart-note\">%s</span>", e(c.Note))
			}
			fmt.Fprintf(b, "</figcaption><div class=\"chart\" id=\"%s\" data-chart=\"%s\"></div></figure>\n", e(c.ID), e(c.ID))
		}
		b.WriteString("</div>\n")
	}
	for i := range s.Sections {
		writeHTMLSection(b, &s.Sections[i])
	}
	b.WriteString("</section>\n")
}
