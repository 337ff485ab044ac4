package report

import (
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/perfplan/perfplan/report/html"
)

// The HTML report's page model, writer and charts live in package
// report/html; these names keep the views that build pages here, in
// compare and in cli reading as they did.
type (
	// HTMLPage is a page of the HTML report (html.Page).
	HTMLPage = html.Page
	// HTMLSection is a section of a page (html.Section).
	HTMLSection = html.Section
	// HTMLBadge is a coloured label (html.Badge).
	HTMLBadge = html.Badge
	// HTMLTile is a key figure (html.Tile).
	HTMLTile = html.Tile
	// HTMLNote is a line of a section's notes (html.Note).
	HTMLNote = html.Note
	// HTMLTable is a table of pre-formatted cells (html.Table).
	HTMLTable = html.Table
	// HTMLHead is a column heading (html.Head).
	HTMLHead = html.Head
	// HTMLRow is a table row (html.Row).
	HTMLRow = html.Row
	// HTMLCell is a table cell (html.Cell).
	HTMLCell = html.Cell
	// HTMLChart is a chart (html.Chart).
	HTMLChart = html.Chart
	// HTMLAxis describes a chart's axis (html.Axis).
	HTMLAxis = html.Axis
	// HTMLSeries is a chart's series (html.Series).
	HTMLSeries = html.Series
	// HTMLMarker marks a chart (html.Marker).
	HTMLMarker = html.Marker
	// HTMLValues are chart values, NaN for a gap (html.Values).
	HTMLValues = html.Values
)

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

// WriteHTMLPage writes p as one self-contained HTML file, its charts'
// ticks and tooltips printed by ChartValue, as the tables print figures.
func WriteHTMLPage(w io.Writer, p *HTMLPage) error {
	if p.Format == nil {
		p.Format = ChartValue
	}
	return html.WritePage(w, p)
}

// ChartValue prints a chart's value v of a unit (html.Axis.Unit) with
// the formats of the tables: "ns" a duration, "/s" a rate, "B", "B/s" and
// "B/min" bytes, "%" a percentage, "ratio" a fraction as a percentage, "p"
// the percentile p of 1/(1−p), "s" seconds as a duration, "min" minutes,
// "run" a run number, "date" Unix seconds as a UTC time; any other unit a
// plain number.
func ChartValue(unit string, v float64) string {
	switch unit {
	case "ns":
		return Duration(time.Duration(math.Round(v)))
	case "s":
		return Duration(time.Duration(math.Round(v * 1e9)))
	case "/s":
		return Rate(v)
	case "B":
		return Bytes(int64(math.Round(v)))
	case "B/s", "B/min":
		return Bytes(int64(math.Round(v))) + strings.TrimPrefix(unit, "B")
	case "%":
		return Percent(v / 100)
	case "ratio":
		return Percent(v)
	case "p":
		return percentileLabel(v)
	case "min":
		return Number(math.Round(v*100)/100) + "min"
	case "run":
		return "#" + Number(v)
	case "date":
		return time.Unix(int64(v), 0).UTC().Format("2006-01-02 15:04")
	}
	return Number(v)
}

// percentileLabel labels the percentile spectrum's x, 1/(1−p): 10 is 90%,
// 1000 is 99.9%.
func percentileLabel(x float64) string {
	p := 100 * (1 - 1/x)
	if p <= 0 {
		return "0%"
	}
	digits := max(0, int(math.Ceil(-math.Log10(100-p)-1e-6)))
	s := strconv.FormatFloat(p, 'f', min(digits, 6), 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + "%"
}
