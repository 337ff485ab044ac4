package html

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	"github.com/go-analyze/charts/chartdraw"
	"github.com/go-analyze/charts/chartdraw/drawing"
)

// The charts are drawn in Go by chartdraw (github.com/go-analyze/charts,
// the maintained successor of go-chart) into SVG that the page inlines.
// chartdraw lays out the plot, draws the frame, grid, axes and series; this
// file chooses the scales and ticks (labels printed by Page.Format, as the
// tables print them), splits series at gaps, and adds what chartdraw has no
// series for: bands between two series, markers, and a tooltip per x value
// (an SVG <title>) that reads out every series there.

// Chart geometry, in SVG user units (the SVG scales to its box's width).
const (
	chartWidth  = 600
	chartHeight = 240
	fontSize    = 11
)

// Colours of the chart's frame, grid and text.
var (
	colorText  = drawing.ColorFromHex("4a5263")
	colorGrid  = drawing.ColorFromHex("e7e9ee")
	colorMinor = drawing.ColorFromHex("f3f4f6")
	colorFrame = drawing.ColorFromHex("c9ced8")
)

// chartStats are what the page says about a chart on its element, for
// tests and readers of the DOM: the finite values plotted and the largest
// value of the first series.
type chartStats struct {
	points int
	ymax   float64
	hasMax bool
}

// writeChart writes a chart: its caption, the SVG, and the legend.
func writeChart(b *strings.Builder, c *Chart, format Format) error {
	svg, st, err := renderChart(c, format)
	if err != nil {
		return fmt.Errorf("html report: chart %s: %w", c.ID, err)
	}
	e := html.EscapeString
	fmt.Fprintf(b, "<figure class=\"chart-box\"><figcaption>%s", e(c.Title))
	if c.Note != "" {
		fmt.Fprintf(b, "<span class=\"chart-note\">%s</span>", e(c.Note))
	}
	fmt.Fprintf(b, "</figcaption><div class=\"chart\" id=\"%s\" data-chart=\"%s\" data-points=\"%d\" data-series=\"%d\"", e(c.ID), e(c.ID), st.points, len(c.Series))
	if st.hasMax {
		fmt.Fprintf(b, " data-ymax=\"%s\"", strconv.FormatFloat(st.ymax, 'g', -1, 64))
	}
	b.WriteString(">")
	b.WriteString(svg)
	b.WriteString("</div>")
	writeLegend(b, c)
	b.WriteString("</figure>\n")
	return nil
}

// writeLegend writes a swatch and a label per series; series drawn alike
// under one label (a band's two edges) share an entry.
func writeLegend(b *strings.Builder, c *Chart) {
	b.WriteString("<div class=\"pc-legend\">")
	seen := map[string]bool{}
	for i, s := range c.Series {
		key := fmt.Sprint(s.Label, s.Color, s.Dash, s.Points)
		if seen[key] {
			continue
		}
		seen[key] = true
		color := html.EscapeString(seriesColor(s, i))
		stroke := "solid"
		if s.Dash {
			stroke = "dashed"
		}
		style := fmt.Sprintf("border-top:%dpx %s %s", max(2, int(math.Round(seriesWidth(s)))), stroke, color)
		if s.Points {
			style = "background:" + color + ";border-radius:50%;width:8px;height:8px"
		}
		fmt.Fprintf(b, "<span class=\"pc-item\"><i class=\"pc-swatch\" style=\"%s\"></i>%s</span>", style, html.EscapeString(s.Label))
	}
	b.WriteString("</div>")
}

// palette colours series that name none.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22"}

func seriesColor(s Series, i int) string {
	if s.Color != "" {
		return s.Color
	}
	return palette[i%len(palette)]
}

func seriesWidth(s Series) float64 {
	if s.Width > 0 {
		return s.Width
	}
	return 1.5
}

// layout is a chart's scales and ticks.
type layout struct {
	x, y, y2       *scale
	xt, yt, y2t    []tick
	xMinor, yMinor []float64
	plotW, plotH   float64
	hasY2          bool
}

// newLayout chooses the scales and their ticks. The plot's size is
// estimated from the chart's (chartdraw fixes it from the tick labels).
func newLayout(c *Chart, format Format) *layout {
	l := &layout{plotW: chartWidth - 120, plotH: chartHeight - 50, hasY2: c.Y2 != nil}
	if !l.hasY2 {
		l.plotW += 50
	}
	var ys, y2s []float64
	for _, s := range c.Series {
		if s.Axis == 2 && c.Y2 != nil {
			y2s = append(y2s, s.Data...)
		} else {
			ys = append(ys, s.Data...)
		}
	}
	lo, hi := axisRange(c.X, c.Xs, true)
	l.x = &scale{min: lo, max: hi, log: c.X.Log}
	lo, hi = axisRange(c.Y, ys, false)
	l.y = &scale{min: lo, max: hi, log: c.Y.Log}
	l.xt, l.xMinor = axisTicks(c.X, l.x, l.plotW, false, format)
	l.yt, l.yMinor = axisTicks(c.Y, l.y, l.plotH, true, format)
	if l.hasY2 {
		lo, hi = axisRange(*c.Y2, y2s, false)
		l.y2 = &scale{min: lo, max: hi, log: c.Y2.Log}
		l.y2t, _ = axisTicks(*c.Y2, l.y2, l.plotH, true, format)
	} else {
		l.y2 = &scale{min: 0, max: 1}
	}
	return l
}

func chartTicks(ts []tick) []chartdraw.Tick {
	out := make([]chartdraw.Tick, len(ts))
	for i, t := range ts {
		out[i] = chartdraw.Tick{Value: t.v, Label: t.text}
	}
	return out
}

func gridLines(ts []tick, minor []float64) []chartdraw.GridLine {
	var out []chartdraw.GridLine
	for _, v := range minor {
		out = append(out, chartdraw.GridLine{IsMinor: true, Value: v})
	}
	for _, t := range ts {
		out = append(out, chartdraw.GridLine{Value: t.v})
	}
	return out
}

// svgCSS styles the axes' lines, ticks and names by class (chartdraw
// writes a class instead of a style attribute when a style has one), so
// that their many elements stay short; each chart's SVG carries it.
const svgCSS = `.axis.stroke{stroke:#c9ced8;stroke-width:1px;fill:none}` +
	`.axis.text,.axis-name.text{stroke:none;fill:#4a5263;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}` +
	`.axis.text{font-size:11px}.axis-name.text{font-size:12px;font-weight:600}`

// axisStyles are the styles of an axis: its line and tick labels, its
// name, the major and minor grid.
func axisStyles() (line, name, major, minor chartdraw.Style) {
	line = chartdraw.Style{ClassName: "axis", StrokeColor: colorFrame, StrokeWidth: 1, FontStyle: chartdraw.FontStyle{FontSize: fontSize, FontColor: colorText}}
	name = chartdraw.Style{ClassName: "axis-name", FontStyle: chartdraw.FontStyle{FontSize: fontSize + 1, FontColor: colorText}}
	major = chartdraw.Style{StrokeColor: colorGrid, StrokeWidth: 1}
	minor = chartdraw.Style{StrokeColor: colorMinor, StrokeWidth: 1}
	return line, name, major, minor
}

// renderChart draws the chart as SVG with chartdraw. The left y axis is
// chartdraw's secondary one (its primary axis is on the right).
func renderChart(c *Chart, format Format) (string, chartStats, error) {
	l := newLayout(c, format)
	line, name, major, minor := axisStyles()
	// The left axis' name reads upwards, as the right one's reads down.
	leftName := name
	leftName.TextRotationDegrees = 270
	height := chartHeight
	if c.Height > 0 {
		height = c.Height
	}
	ch := chartdraw.Chart{
		Width: chartWidth, Height: height, DPI: 72,
		Background: chartdraw.Style{Padding: chartdraw.Box{Top: 10, Left: 22, Right: 8, Bottom: 4}, FillColor: drawing.ColorWhite},
		Canvas:     chartdraw.Style{FillColor: drawing.ColorWhite, StrokeColor: colorFrame, StrokeWidth: 1},
		XAxis: chartdraw.XAxis{Name: c.X.Label, NameStyle: name, Style: line, Range: l.x, Ticks: chartTicks(l.xt),
			GridLines: gridLines(l.xt, l.xMinor), GridMajorStyle: major, GridMinorStyle: minor},
		YAxisSecondary: chartdraw.YAxis{Name: c.Y.Label, NameStyle: leftName, Style: line, Range: l.y, Ticks: chartTicks(l.yt),
			GridLines: gridLines(l.yt, l.yMinor), GridMajorStyle: major, GridMinorStyle: minor},
		YAxis: chartdraw.YAxis{Style: chartdraw.Hidden(), Range: l.y2, GridMajorStyle: chartdraw.Hidden(), GridMinorStyle: chartdraw.Hidden()},
	}
	if c.Y2 != nil {
		ch.YAxis = chartdraw.YAxis{Name: c.Y2.Label, NameStyle: name, Style: line, Range: l.y2, Ticks: chartTicks(l.y2t),
			GridMajorStyle: chartdraw.Hidden(), GridMinorStyle: chartdraw.Hidden()}
	}
	probe := &probeSeries{}
	ch.Series = append(ch.Series, probe)
	for _, bd := range c.Bands {
		ch.Series = append(ch.Series, bandSeries(c, l, bd)...)
	}
	st := chartStats{}
	for i, s := range c.Series {
		series, n := lineSeries(c, l, s, i)
		st.points += n
		ch.Series = append(ch.Series, series...)
	}
	if len(c.Series) > 0 {
		for _, v := range c.Series[0].Data {
			if !math.IsNaN(v) && !math.IsInf(v, 0) && (!st.hasMax || v > st.ymax) {
				st.ymax, st.hasMax = v, true
			}
		}
	}
	if len(c.Markers) > 0 {
		ch.Series = append(ch.Series, &markerSeries{markers: c.Markers})
	}
	var out bytes.Buffer
	if err := ch.Render(chartdraw.SVGWithCSS(svgCSS, ""), &out); err != nil {
		return "", st, err
	}
	svg := strings.TrimSuffix(out.String(), "</svg>")
	svg = strings.Replace(svg, "<svg ", fmt.Sprintf("<svg role=\"img\" aria-label=\"%s\" ", html.EscapeString(c.Title)), 1)
	return svg + tooltips(c, l, probe, format) + "</svg>", st, nil
}

// axisOf maps a series to chartdraw's axis and to its scale: our left
// axis is chartdraw's secondary one.
func axisOf(c *Chart, l *layout, s Series) (chartdraw.YAxisType, *scale) {
	if s.Axis == 2 && c.Y2 != nil {
		return chartdraw.YAxisPrimary, l.y2
	}
	return chartdraw.YAxisSecondary, l.y
}

// lineSeries turns a series into chartdraw series, one per run of
// consecutive values (a gap, NaN or ≤ 0 on a log scale, ends a run unless
// the series spans gaps), and counts its drawable values.
func lineSeries(c *Chart, l *layout, s Series, i int) ([]chartdraw.Series, int) {
	axis, ys := axisOf(c, l, s)
	color := drawing.ParseColor(seriesColor(s, i))
	var runs [][2][]float64
	var cur [2][]float64
	n := 0
	for k, x := range c.Xs {
		var v float64
		if k < len(s.Data) {
			v = s.Data[k]
		}
		if k < len(s.Data) && l.x.drawable(x) && ys.drawable(v) {
			cur[0], cur[1] = append(cur[0], x), append(cur[1], v)
			n++
		} else if !s.Span && len(cur[0]) > 0 {
			runs, cur = append(runs, cur), [2][]float64{}
		}
	}
	if len(cur[0]) > 0 {
		runs = append(runs, cur)
	}
	// Points: a points-only series; a sparse line's points (unless it is
	// only a line); a point alone between gaps, which no line shows.
	sparse := !s.Line && n > 0 && l.plotW/float64(n) >= 12
	var out []chartdraw.Series
	for _, r := range runs {
		st := chartdraw.Style{StrokeColor: color, StrokeWidth: seriesWidth(s)}
		if s.Dash {
			st.StrokeDashArray = []float64{6, 4}
		}
		if s.Points {
			st.StrokeWidth, st.StrokeColor = 0, drawing.ColorTransparent
		}
		if s.Points || sparse || len(r[0]) == 1 {
			st.DotColor, st.DotWidth = color, 2.5
			if s.Points {
				st.DotWidth = 3
			}
		}
		if len(r[0]) == 1 && !st.ShouldDrawDot() {
			continue
		}
		out = append(out, chartdraw.ContinuousSeries{Name: s.Label, Style: st, YAxis: axis, XValues: r[0], YValues: r[1]})
	}
	return out, n
}
