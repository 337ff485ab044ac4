package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/report"
)

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

// writeHistoryHTML writes the history view: a section per plan and
// scenario, with a chart per metric of its value over the recorded runs
// (x: run number), its least-squares trend and its change points marked,
// and a table of the change points. Section s has id "h{s}"; its metric m
// has the chart "h{s}-m{m}", and tiles "h{s}-m{m}-last" (the latest value)
// and "h{s}-m{m}-runs" (the runs).
func writeHistoryHTML(ctx context.Context, w io.Writer, store *history.Store, plan string, metrics []string, opts history.ChangePointOptions) error {
	all, err := loadSeries(ctx, store, plan, metrics, opts)
	if err != nil {
		return err
	}
	page := &report.HTMLPage{Kind: "history", Version: Version(), Title: "perfplan history: " + orAll(plan)}
	page.Lines = []string{fmt.Sprintf("%s · metrics %s · change points by E-Divisive means (window %d runs, p ≤ %g, shift ≥ %g%%)",
		store.Path(), strings.Join(metrics, ", "), opts.Window, opts.MaxP, 100*opts.MinMagnitude)}
	shifts := 0
	var sec *report.HTMLSection
	var changes *report.HTMLTable
	flush := func() {
		if sec == nil {
			return
		}
		if len(changes.Rows) > 0 {
			sec.Tables = append(sec.Tables, *changes)
		} else {
			sec.Notes = append(sec.Notes, report.HTMLNote{Text: "no change point in these metrics"})
		}
		page.Sections = append(page.Sections, *sec)
		sec = nil
	}
	for _, a := range all {
		k, pts, tr, cps := a.key, a.points, a.trend, a.changes
		title := k.Plan + "/" + k.Scenario
		if sec == nil || sec.Title != title {
			flush()
			id := fmt.Sprintf("h%d", len(page.Sections))
			sec = &report.HTMLSection{ID: id, Level: 1, Title: title}
			changes = &report.HTMLTable{ID: id + "-changes", Caption: "Change points", Header: []report.HTMLHead{{Text: "metric"}, {Text: "run"}, {Text: "started"}, {Text: "commit"},
				{Text: "before", Num: true}, {Text: "after", Num: true}, {Text: "shift", Num: true}, {Text: "p", Num: true}}}
		}
		mid := fmt.Sprintf("%s-m%d", sec.ID, len(sec.Charts))
		shifts += len(cps)
		unit, scale := historyUnit(k.Metric)
		xs := make(report.HTMLValues, len(pts))
		ys := make(report.HTMLValues, len(pts))
		trend := make(report.HTMLValues, len(pts))
		for i, p := range pts {
			xs[i] = float64(p.RunID)
			ys[i] = p.Value * scale
			trend[i] = (tr.Intercept + tr.Slope*float64(i)) * scale
		}
		last := pts[len(pts)-1]
		sec.Tiles = append(sec.Tiles, report.HTMLTile{ID: mid + "-last", Label: k.Metric, Value: fmtHistory(k.Metric, last.Value),
			Note: fmt.Sprintf("latest of %d runs", len(pts))})
		chart := report.HTMLChart{ID: mid, Title: k.Metric, Note: fmt.Sprintf("%d runs, trend %s (%+.2f%%/run, R² %.2f)", len(pts), tr.Direction, 100*tr.RelSlope, tr.R2),
			X: report.HTMLAxis{Label: "run", Unit: "run"}, Y: report.HTMLAxis{Label: k.Metric, Unit: unit, Zero: true}, Xs: xs,
			Series: []report.HTMLSeries{{Label: k.Metric, Color: "#1f77b4", Data: ys}}}
		if len(pts) >= 2 {
			chart.Series = append(chart.Series, report.HTMLSeries{Label: "trend", Color: "#7f7f7f", Dash: true, Width: 1, Line: true, Data: trend})
		}
		for _, cp := range cps {
			p := pts[cp.Index]
			chart.Markers = append(chart.Markers, report.HTMLMarker{X: float64(p.RunID), Label: fmt.Sprintf("shift %+.1f%%", 100*cp.Magnitude), Color: "#d62728"})
			changes.Rows = append(changes.Rows, report.HTMLRow{Class: "regression", Cells: []report.HTMLCell{
				{Text: k.Metric}, {Text: fmt.Sprintf("#%d", p.RunID)}, {Text: p.Start.UTC().Format("2006-01-02 15:04")}, {Text: shortHash(p.Commit), Class: "cond"},
				{Text: fmtHistory(k.Metric, cp.MeanBefore), Class: "num"}, {Text: fmtHistory(k.Metric, cp.MeanAfter), Class: "num"},
				{Text: fmt.Sprintf("%+.1f%%", 100*cp.Magnitude), Class: "num"}, {Text: fmt.Sprintf("%.2g", cp.P), Class: "num"},
			}})
		}
		if len(cps) > 0 {
			points := "change points"
			if len(cps) == 1 {
				points = "change point"
			}
			sec.Badges = append(sec.Badges, report.HTMLBadge{Text: fmt.Sprintf("%s: %d %s", k.Metric, len(cps), points), Class: "warn"})
		}
		sec.Charts = append(sec.Charts, chart)
	}
	flush()
	switch {
	case len(page.Sections) == 0:
		page.Verdict = report.HTMLBadge{Text: "NO HISTORY", Class: "neutral"}
		page.Lines = append(page.Lines, fmt.Sprintf("no history for %s (metrics %s)", orAll(plan), strings.Join(metrics, ", ")))
	case shifts == 1:
		page.Verdict = report.HTMLBadge{Text: "1 CHANGE POINT", Class: "warn"}
	case shifts > 1:
		page.Verdict = report.HTMLBadge{Text: fmt.Sprintf("%d CHANGE POINTS", shifts), Class: "warn"}
	default:
		page.Verdict = report.HTMLBadge{Text: "NO CHANGE POINT", Class: "pass"}
	}
	return report.WriteHTMLPage(w, page)
}
