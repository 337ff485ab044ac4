package html

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/perfplan/perfplan/profiling"
	"github.com/perfplan/perfplan/report"
)

// Flame is a flame graph of a CPU profile, drawn top-down (the root on
// top, callees below) as inline SVG without scripts: a frame's width is
// its share of the time, and pointing at it shows its name, time and
// share.
type Flame struct {
	ID, Title string
	// Note is shown beside the title.
	Note string
	Root *profiling.FlameNode
}

// Flame graph geometry, in the SVG's user units: the page scales it to
// the width of its box.
const (
	flameWidth    = 1200.0
	flameRow      = 17.0
	flameCharWide = 6.6 // the width of a character at the labels' font size
)

// writeFlame writes f as a figure with an SVG: a rect per frame, with a
// tooltip (title), and its name where it fits.
func writeFlame(b *strings.Builder, f *Flame) {
	e := html.EscapeString
	root := f.Root
	depth := root.Depth()
	height := float64(depth) * flameRow
	fmt.Fprintf(b, "<figure class=\"chart-box flame-box\"><figcaption>%s", e(f.Title))
	if f.Note != "" {
		fmt.Fprintf(b, "<span class=\"chart-note\">%s</span>", e(f.Note))
	}
	frames := 0
	var body strings.Builder
	var draw func(n *profiling.FlameNode, x float64, level int)
	draw = func(n *profiling.FlameNode, x float64, level int) {
		w := float64(n.Value) / float64(root.Value) * flameWidth
		frames++
		share := float64(n.Value) / float64(root.Value)
		tip := fmt.Sprintf("%s\n%s, %s of the profile; own %s", n.Name, report.Duration(time.Duration(n.Value)),
			report.Percent(share), report.Duration(time.Duration(n.Flat)))
		if h := n.Hidden(); h > 0 {
			tip += fmt.Sprintf("; %s in callees too small to draw", report.Duration(time.Duration(h)))
		}
		fmt.Fprintf(&body, "<g class=\"fl-%s\"><title>%s</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
			e(n.Kind), e(tip), x, float64(level)*flameRow, w, flameRow-1)
		if label := fitLabel(profiling.ShortName(n.Name), w); label != "" {
			fmt.Fprintf(&body, "<text x=\"%.1f\" y=\"%.1f\">%s</text>", x+3, float64(level)*flameRow+12, e(label))
		}
		body.WriteString("</g>")
		cx := x
		for _, c := range n.Children {
			draw(c, cx, level+1)
			cx += float64(c.Value) / float64(root.Value) * flameWidth
		}
	}
	draw(root, 0, 0)
	fmt.Fprintf(b, "</figcaption><div class=\"flame\" id=\"%s\" data-frames=\"%d\" data-depth=\"%d\">", e(f.ID), frames, depth)
	fmt.Fprintf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"%s\">",
		flameWidth, height, e(f.Title))
	b.WriteString(body.String())
	b.WriteString("</svg></div></figure>\n")
}

// fitLabel is name cut to fit w units, with an ellipsis, or "" when not
// even three characters fit.
func fitLabel(name string, w float64) string {
	n := int((w - 6) / flameCharWide)
	r := []rune(name)
	switch {
	case n < 3:
		return ""
	case len(r) <= n:
		return name
	}
	return string(r[:n-1]) + "…"
}
