package html

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/go-analyze/charts/chartdraw"
	"github.com/go-analyze/charts/chartdraw/drawing"
)

// probeSeries draws nothing: it records the plot's box, which chartdraw
// fixes from the tick labels, for the tooltips.
type probeSeries struct {
	box chartdraw.Box
}

// GetName implements chartdraw.Series.
func (p *probeSeries) GetName() string { return "" }

// GetYAxis implements chartdraw.Series.
func (p *probeSeries) GetYAxis() chartdraw.YAxisType { return chartdraw.YAxisSecondary }

// GetStyle implements chartdraw.Series.
func (p *probeSeries) GetStyle() chartdraw.Style { return chartdraw.Style{} }

// Validate implements chartdraw.Series.
func (p *probeSeries) Validate() error { return nil }

// Render implements chartdraw.Series.
func (p *probeSeries) Render(_ chartdraw.Renderer, box chartdraw.Box, _, _ chartdraw.Range, _ chartdraw.Style) {
	p.box = box
}

// band is a run of a band: x values and, at each, its upper and lower
// edge. chartdraw fills it (Draw.BoundedSeries).
type band struct {
	xs, hi, lo []float64
	axis       chartdraw.YAxisType
	style      chartdraw.Style
}

// GetName implements chartdraw.Series.
func (b *band) GetName() string { return "" }

// GetYAxis implements chartdraw.Series.
func (b *band) GetYAxis() chartdraw.YAxisType { return b.axis }

// GetStyle implements chartdraw.Series.
func (b *band) GetStyle() chartdraw.Style { return b.style }

// Validate implements chartdraw.Series.
func (b *band) Validate() error { return nil }

// Len implements chartdraw.BoundedValuesProvider.
func (b *band) Len() int { return len(b.xs) }

// GetBoundedValues implements chartdraw.BoundedValuesProvider.
func (b *band) GetBoundedValues(i int) (x, y1, y2 float64) { return b.xs[i], b.hi[i], b.lo[i] }

// Render implements chartdraw.Series.
func (b *band) Render(r chartdraw.Renderer, box chartdraw.Box, xr, yr chartdraw.Range, _ chartdraw.Style) {
	chartdraw.Draw.BoundedSeries(r, box, xr, yr, b.style, b)
}

// bandSeries fills between the series bd[0] (upper) and bd[1] (lower) over
// each run of x values where both have a value, in the upper series'
// colour at low opacity.
func bandSeries(c *Chart, l *layout, bd [2]int) []chartdraw.Series {
	if bd[0] < 0 || bd[1] < 0 || bd[0] >= len(c.Series) || bd[1] >= len(c.Series) {
		return nil
	}
	up, down := c.Series[bd[0]], c.Series[bd[1]]
	axis, ys := axisOf(c, l, up)
	fill := drawing.ParseColor(seriesColor(up, bd[0])).WithAlpha(31)
	var out []chartdraw.Series
	cur := &band{axis: axis, style: chartdraw.Style{FillColor: fill}}
	flush := func() {
		if len(cur.xs) >= 2 {
			out = append(out, cur)
		}
		cur = &band{axis: axis, style: cur.style}
	}
	for i, x := range c.Xs {
		if i < len(up.Data) && i < len(down.Data) && l.x.drawable(x) && ys.drawable(up.Data[i]) && ys.drawable(down.Data[i]) {
			cur.xs, cur.hi, cur.lo = append(cur.xs, x), append(cur.hi, up.Data[i]), append(cur.lo, down.Data[i])
			continue
		}
		flush()
	}
	flush()
	return out
}

// markerSeries draws the chart's markers: a dashed vertical line at x with
// its label at the top (staggered over three lines), or with y a circle at
// (x, y) with its label beside.
type markerSeries struct {
	markers []Marker
}

// GetName implements chartdraw.Series.
func (m *markerSeries) GetName() string { return "" }

// GetYAxis implements chartdraw.Series.
func (m *markerSeries) GetYAxis() chartdraw.YAxisType { return chartdraw.YAxisSecondary }

// GetStyle implements chartdraw.Series.
func (m *markerSeries) GetStyle() chartdraw.Style { return chartdraw.Style{} }

// Validate implements chartdraw.Series.
func (m *markerSeries) Validate() error { return nil }

// Render implements chartdraw.Series.
func (m *markerSeries) Render(r chartdraw.Renderer, box chartdraw.Box, xr, yr chartdraw.Range, _ chartdraw.Style) {
	font := chartdraw.GetDefaultFont()
	for i, mk := range m.markers {
		if math.IsNaN(mk.X) || mk.X < xr.GetMin() || mk.X > xr.GetMax() {
			continue
		}
		x := box.Left + xr.Translate(mk.X)
		color := drawing.ParseColor(mk.Color)
		if mk.Color == "" {
			color = drawing.ColorFromHex("444444")
		}
		text := chartdraw.Style{FontStyle: chartdraw.FontStyle{Font: font, FontSize: fontSize, FontColor: color}}
		width := chartdraw.Draw.MeasureText(r, mk.Label, text).Width()
		if mk.Y != nil {
			if s, ok := yr.(*scale); !ok || !s.drawable(*mk.Y) {
				continue
			}
			y := box.Bottom - yr.Translate(*mk.Y)
			chartdraw.Style{StrokeColor: color, StrokeWidth: 1.5}.WriteDrawingOptionsToRenderer(r)
			r.Circle(5, x, y)
			r.Stroke()
			lx := x + 8
			if lx+width > box.Right {
				lx = x - 8 - width
			}
			chartdraw.Draw.Text(r, mk.Label, max(box.Left+2, lx), max(box.Top+12, y-8), text)
			continue
		}
		chartdraw.Style{StrokeColor: color, StrokeWidth: 1.5, StrokeDashArray: []float64{4, 3}}.WriteDrawingOptionsToRenderer(r)
		r.MoveTo(x, box.Top)
		r.LineTo(x, box.Bottom)
		r.Stroke()
		lx := x + 4
		if lx+width > box.Right {
			lx = x - 4 - width
		}
		chartdraw.Draw.Text(r, mk.Label, max(box.Left+2, lx), box.Top+13+(i%3)*13, text)
	}
}

// tipWidth is the narrowest tooltip column, in SVG units.
const tipWidth = 3

// tooltips returns an SVG group with a transparent column per x value
// that has a value, from halfway to the previous x to halfway to the
// next, whose <title> reads out the x and every series' value there. Where
// x values are closer than tipWidth, the first of them has the column.
func tooltips(c *Chart, l *layout, p *probeSeries, format Format) string {
	box := p.box
	if box.Width() <= 0 || box.Height() <= 0 {
		return ""
	}
	type col struct {
		x    int
		text string
	}
	var cols []col
	for i, x := range c.Xs {
		if !l.x.drawable(x) || x < l.x.min || x > l.x.max {
			continue
		}
		lines := []string{strings.TrimSpace(c.X.Label + " " + format(c.X.Unit, x))}
		seen := map[string]bool{}
		for _, s := range c.Series {
			_, ys := axisOf(c, l, s)
			if i >= len(s.Data) || !ys.drawable(s.Data[i]) {
				continue
			}
			unit := c.Y.Unit
			if s.Axis == 2 && c.Y2 != nil {
				unit = c.Y2.Unit
			}
			line := s.Label + ": " + format(unit, s.Data[i])
			if !seen[line] {
				seen[line] = true
				lines = append(lines, line)
			}
		}
		px := box.Left + l.x.Translate(x)
		// Columns at least tipWidth apart: a pointer cannot tell closer
		// points apart, and a long series stays small.
		if len(lines) > 1 && (len(cols) == 0 || px-cols[len(cols)-1].x >= tipWidth) {
			cols = append(cols, col{px, strings.Join(lines, "\n")})
		}
	}
	var b strings.Builder
	b.WriteString(`<g class="tips">`)
	for k, cl := range cols {
		left, right := box.Left, box.Right
		if k > 0 {
			left = (cols[k-1].x + cl.x + 1) / 2
		}
		if k+1 < len(cols) {
			right = (cl.x + cols[k+1].x + 1) / 2
		}
		if right <= left {
			right = left + 1
		}
		fmt.Fprintf(&b, `<rect class="tip" x="%d" y="%d" width="%d" height="%d" fill="transparent"><title>%s</title></rect>`,
			left, box.Top, right-left, box.Height(), html.EscapeString(cl.text))
	}
	b.WriteString(`</g>`)
	return b.String()
}
