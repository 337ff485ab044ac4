package html

import (
	"fmt"
	"io"
	"strings"

	"github.com/perfplan/perfplan/history/series"
	"github.com/perfplan/perfplan/report"
)

// The history view (perfplan history --format html).

// historyUnit returns the chart unit of a history metric and the factor
// that converts its stored values to that unit: latencies are stored in
// milliseconds and drawn as durations.
func historyUnit(metric string) (string, float64) {
	switch {
	case strings.Contains(metric, "latency."):
		return "ns", 1e6
	case strings.HasSuffix(metric, "throughput"):
		return "/s", 1
	case strings.HasSuffix(metric, "error_rate") || strings.HasSuffix(metric, "ratio"):
		return "ratio", 1
	}
	return "", 1
}

// History is what the history view shows: the series of a store's runs,
// each with its trend and change points.
type History struct {
	// Store is the store's path; Subject says which plans ("plan svc",
	// "any plan"); Version is perfplan's.
	Store, Subject, Version string
	Metrics                 []string
	Options                 series.ChangePointOptions
	Series                  []HistorySeries
	// Format prints a metric's value as the history's tables do.
	Format func(metric string, v float64) string
}

// HistorySeries is a metric's series of one plan and scenario.
type HistorySeries struct {
	Key     series.Key
	Points  []series.Point
	Trend   series.Trend
	Changes []series.ChangePoint
}

// WriteHistory writes the history view (HistoryPage): perfplan history
// --format html.
func WriteHistory(w io.Writer, h *History) error {
	return WritePage(w, HistoryPage(h))
}

// HistoryPage builds the history view: a section per plan and scenario,
// with a chart per metric of its value over the recorded runs (x: run
// number), its least-squares trend and its change points marked, and a
// table of the change points. Section s has id "h{s}"; its metric m has
// the chart "h{s}-m{m}", and the tile "h{s}-m{m}-last" (the latest value).
func HistoryPage(h *History) *Page {
	page := &Page{Kind: "history", Version: h.Version, Title: "perfplan history: " + h.Subject}
	page.Lines = []string{fmt.Sprintf("%s · metrics %s · change points by E-Divisive means (window %d runs, p ≤ %g, shift ≥ %g%%)",
		h.Store, strings.Join(h.Metrics, ", "), h.Options.Window, h.Options.MaxP, 100*h.Options.MinMagnitude)}
	shifts := 0
	var sec *Section
	var changes *Table
	flush := func() {
		if sec == nil {
			return
		}
		if len(changes.Rows) > 0 {
			sec.Tables = append(sec.Tables, *changes)
		} else {
			sec.Notes = append(sec.Notes, Note{Text: "no change point in these metrics"})
		}
		page.Sections = append(page.Sections, *sec)
		sec = nil
	}
	for _, a := range h.Series {
		k, pts, tr, cps := a.Key, a.Points, a.Trend, a.Changes
		title := k.Plan + "/" + k.Scenario
		if sec == nil || sec.Title != title {
			flush()
			id := fmt.Sprintf("h%d", len(page.Sections))
			sec = &Section{ID: id, Level: 1, Title: title}
			changes = &Table{ID: id + "-changes", Caption: "Change points", Header: []Head{{Text: "metric"}, {Text: "run"}, {Text: "started"}, {Text: "commit"},
				{Text: "before", Num: true}, {Text: "after", Num: true}, {Text: "shift", Num: true}, {Text: "p", Num: true}}}
		}
		mid := fmt.Sprintf("%s-m%d", sec.ID, len(sec.Charts))
		shifts += len(cps)
		unit, scale := historyUnit(k.Metric)
		xs := make(Values, len(pts))
		ys := make(Values, len(pts))
		trend := make(Values, len(pts))
		for i, p := range pts {
			xs[i] = float64(p.RunID)
			ys[i] = p.Value * scale
			trend[i] = (tr.Intercept + tr.Slope*float64(i)) * scale
		}
		last := pts[len(pts)-1]
		sec.Tiles = append(sec.Tiles, Tile{ID: mid + "-last", Label: k.Metric, Value: h.Format(k.Metric, last.Value),
			Note: fmt.Sprintf("latest of %d runs", len(pts))})
		chart := Chart{ID: mid, Title: k.Metric, Note: fmt.Sprintf("%d runs, trend %s (%+.2f%%/run, R² %.2f)", len(pts), tr.Direction, 100*tr.RelSlope, tr.R2),
			X: Axis{Label: "run", Unit: "run"}, Y: Axis{Label: k.Metric, Unit: unit, Zero: true}, Xs: xs,
			Series: []Series{{Label: k.Metric, Color: "#1f77b4", Data: ys}}}
		if len(pts) >= 2 {
			chart.Series = append(chart.Series, Series{Label: "trend", Color: "#7f7f7f", Dash: true, Width: 1, Line: true, Data: trend})
		}
		for _, cp := range cps {
			p := pts[cp.Index]
			chart.Markers = append(chart.Markers, Marker{X: float64(p.RunID), Label: fmt.Sprintf("shift %+.1f%%", 100*cp.Magnitude), Color: "#d62728"})
			changes.Rows = append(changes.Rows, Row{Class: "regression", Cells: []Cell{
				{Text: k.Metric}, {Text: fmt.Sprintf("#%d", p.RunID)}, {Text: p.Start.UTC().Format("2006-01-02 15:04")}, {Text: report.CommitCell(p.Commit), Class: "cond"},
				{Text: h.Format(k.Metric, cp.MeanBefore), Class: "num"}, {Text: h.Format(k.Metric, cp.MeanAfter), Class: "num"},
				{Text: fmt.Sprintf("%+.1f%%", 100*cp.Magnitude), Class: "num"}, {Text: fmt.Sprintf("%.2g", cp.P), Class: "num"},
			}})
		}
		if len(cps) > 0 {
			points := "change points"
			if len(cps) == 1 {
				points = "change point"
			}
			sec.Badges = append(sec.Badges, Badge{Text: fmt.Sprintf("%s: %d %s", k.Metric, len(cps), points), Class: "warn"})
		}
		sec.Charts = append(sec.Charts, chart)
	}
	flush()
	switch {
	case len(page.Sections) == 0:
		page.Verdict = Badge{Text: "NO HISTORY", Class: "neutral"}
		page.Lines = append(page.Lines, fmt.Sprintf("no history for %s (metrics %s)", h.Subject, strings.Join(h.Metrics, ", ")))
	case shifts == 1:
		page.Verdict = Badge{Text: "1 CHANGE POINT", Class: "warn"}
	case shifts > 1:
		page.Verdict = Badge{Text: fmt.Sprintf("%d CHANGE POINTS", shifts), Class: "warn"}
	default:
		page.Verdict = Badge{Text: "NO CHANGE POINT", Class: "pass"}
	}
	return page
}
