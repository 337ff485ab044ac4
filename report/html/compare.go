package html

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/perfplan/perfplan/compare"
	"github.com/perfplan/perfplan/report"
)

// WriteCompare writes the comparison as the HTML report's compare view
// (ComparePage): perfplan compare BASE.json NEW.json --format html, and
// perfplan ab --format html.
func WriteCompare(w io.Writer, r *compare.Result, base, next *report.Document) error {
	return WritePage(w, ComparePage(r, base, next))
}

// severityClass is a row's badge and row colour.
func severityClass(row compare.Row) string {
	switch {
	case row.Regression:
		return strings.ToLower(row.Severity.String())
	case row.Improvement:
		return "improvement"
	case row.Declined:
		return "neutral"
	}
	return ""
}

// compareVerdict is the comparison's verdict badge.
func compareVerdict(r *compare.Result) Badge {
	text, class := r.VerdictText()
	return Badge{Text: text, Class: class}
}

// docLine describes one side of the comparison.
func docLine(side string, d *report.Document) string {
	parts := []string{side + ":"}
	if c := d.Environment.GitCommit; c != "" {
		if len(c) > 12 {
			c = c[:12]
		}
		parts = append(parts, "commit "+c)
	}
	if !d.Start.IsZero() {
		parts = append(parts, "started "+d.Start.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if d.Environment.Host != "" {
		parts = append(parts, "host "+d.Environment.Host)
	}
	return strings.Join(parts, " ")
}

// ComparePage builds the compare view: the verdict, then per plan the
// benchstat-like table with each significant change marked by its severity
// (the row's id is "cmp-r{i}" for row i of Rows, its cells
// "cmp-r{i}-{base,new,delta,verdict}"), the regressions with their advice,
// and per scenario both runs overlaid: throughput and latency over time,
// and the latency percentile spectrum.
func ComparePage(r *compare.Result, base, next *report.Document) *Page {
	page := &Page{Kind: "compare", Version: next.Tool.Version, Title: "perfplan compare"}
	page.Lines = []string{docLine("base", base), docLine("new", next),
		fmt.Sprintf("alpha %g · %g%% intervals · fails on a significant regression of %g%% or more · severity: Medium ≥ %g%%, High ≥ %g%%, Critical ≥ %g%%",
			r.Options.Alpha, 100*r.Options.Confidence, 100*r.Options.Threshold, 100*r.Options.Cutoffs.Medium, 100*r.Options.Cutoffs.High, 100*r.Options.Cutoffs.Critical)}
	page.Verdict = compareVerdict(r)
	var plans []string
	byPlan := map[string][]int{}
	for i, row := range r.Rows {
		if _, ok := byPlan[row.Plan]; !ok {
			plans = append(plans, row.Plan)
		}
		byPlan[row.Plan] = append(byPlan[row.Plan], i)
	}
	if len(plans) > 0 {
		page.Title += ": " + strings.Join(plans, ", ")
	}
	bp, _ := compare.GroupPlans(base)
	np, _ := compare.GroupPlans(next)
	for pi, plan := range plans {
		page.Sections = append(page.Sections, comparePlan(r, fmt.Sprintf("c%d", pi), plan, byPlan[plan], bp[plan], np[plan]))
	}
	if len(r.Missing) > 0 || len(r.Rows) == 0 {
		sec := Section{ID: "notes", Level: 1, Title: "Notes"}
		for _, m := range r.Missing {
			sec.Notes = append(sec.Notes, Note{Text: m})
		}
		if len(r.Rows) == 0 {
			sec.Notes = append(sec.Notes, Note{Text: "nothing to compare: no plan and scenario with samples on both sides", Class: "warn"})
		}
		page.Sections = append(page.Sections, sec)
	}
	return page
}

// comparePlan is a plan's section of the compare view: its verdict and
// tiles, the table, the regressions' and declined rows' notes, and a
// subsection per scenario with both runs overlaid.
func comparePlan(r *compare.Result, id, plan string, rows []int, base, next []*report.PlanDoc) Section {
	sec := Section{ID: id, Level: 1, Title: "plan " + plan}
	sec.Badges, sec.Tiles = comparePlanTiles(r, id, rows)
	if len(rows) > 0 {
		sec.Subtitle = strings.TrimPrefix(compare.Heading(r.Rows[rows[0]], r.Options), "plan "+plan+" ")
	}
	sec.Tables = append(sec.Tables, compareTable(r, id, rows))
	for _, i := range rows {
		row := r.Rows[i]
		if !row.Regression {
			continue
		}
		text := fmt.Sprintf("%s %s/%s %s %s: %s", row.Severity, row.Plan, row.Scenario, row.Op, row.Metric.Name, row.DeltaString())
		if row.Failing {
			text += " (at or beyond the threshold)"
		}
		if row.Advice != "" {
			text += ". Advice: " + row.Advice
		}
		sec.Notes = append(sec.Notes, Note{Text: text, Class: "fail"})
	}
	for _, msg := range compare.DeclinedNotes(pick(r.Rows, rows)) {
		sec.Notes = append(sec.Notes, Note{Text: msg, Class: "warn"})
	}
	if len(base) == 0 || len(next) == 0 {
		return sec
	}
	var scenarios []string
	seen := map[string]bool{}
	for _, i := range rows {
		if s := r.Rows[i].Scenario; !seen[s] {
			seen[s] = true
			scenarios = append(scenarios, s)
		}
	}
	for si, name := range scenarios {
		bs, ns := compare.FindScenario(base[0], name), compare.FindScenario(next[0], name)
		if bs == nil || ns == nil {
			continue
		}
		sub := compareScenario(r, fmt.Sprintf("%s-s%d", id, si), plan, name, rows, bs, ns)
		if len(base) > 1 || len(next) > 1 {
			sub.Subtitle = strings.TrimSuffix("charts of the first repetition of each side; "+sub.Subtitle, "; ")
		}
		sec.Sections = append(sec.Sections, sub)
	}
	return sec
}

// comparePlanTiles are a plan's verdict badge and its tiles: the
// significant regressions, the improvements, the rows without a verdict.
func comparePlanTiles(r *compare.Result, id string, rows []int) ([]Badge, []Tile) {
	var regs, failing, better, declined int
	for _, i := range rows {
		row := r.Rows[i]
		switch {
		case row.Regression:
			regs++
			if row.Failing {
				failing++
			}
		case row.Improvement:
			better++
		case row.Declined:
			declined++
		}
	}
	badge := Badge{ID: id + "-verdict", Text: "OK", Class: "pass"}
	switch {
	case failing > 0:
		badge.Text, badge.Class = "REGRESSION", "fail"
	case declined == len(rows):
		badge.Text, badge.Class = "NO VERDICT", "neutral"
	}
	regClass, betterClass := "", ""
	if failing > 0 {
		regClass = "fail"
	}
	if better > 0 {
		betterClass = "pass"
	}
	return []Badge{badge}, []Tile{
		{ID: id + "-regressions", Label: "significant regressions", Value: fmt.Sprint(regs), Note: fmt.Sprintf("%d at or beyond the threshold", failing), Class: regClass},
		{ID: id + "-improvements", Label: "improvements", Value: fmt.Sprint(better), Class: betterClass},
		{Label: "rows without a verdict", Value: fmt.Sprint(declined)},
	}
}

// compareTable is the benchstat-like table of a plan's rows: row i of
// Rows has id "cmp-r{i}", its cells "cmp-r{i}-{base,new,delta,verdict}".
func compareTable(r *compare.Result, id string, rows []int) Table {
	t := Table{ID: id + "-table", Caption: "base against new"}
	for _, h := range []string{"scenario", "op", "metric", "base", "new", "delta", "p (n)", "verdict", "method"} {
		t.Header = append(t.Header, Head{Text: h, Num: h == "base" || h == "new" || h == "delta" || h == "p (n)"})
	}
	for _, i := range rows {
		row := r.Rows[i]
		rid := fmt.Sprintf("cmp-r%d", i)
		class := ""
		switch {
		case row.Regression:
			class = "regression"
		case row.Improvement:
			class = "improvement"
		}
		verdict := row.Verdict()
		if row.Failing {
			verdict += " (fails)"
		}
		t.Rows = append(t.Rows, Row{Class: class, Cells: []Cell{
			{Text: row.Scenario}, {Text: row.Op}, {Text: row.Metric.Name},
			{ID: rid + "-base", Text: compare.ValueString(row.Metric, row.Base), Class: "num"},
			{ID: rid + "-new", Text: compare.ValueString(row.Metric, row.New), Class: "num"},
			{ID: rid + "-delta", Text: row.DeltaString(), Class: "num"},
			{Text: row.PString(), Class: "num"},
			{ID: rid + "-verdict", Text: verdict, Class: "verdict"},
			{Text: row.Method.String()},
		}})
	}
	return t
}

// compareScenario is a scenario's subsection: the significant changes of
// its whole-scenario rows as badges, both runs overlaid, and what grew in
// its profiles.
func compareScenario(r *compare.Result, id, plan, name string, rows []int, bs, ns *report.ScenarioDoc) Section {
	sub := Section{ID: id, Level: 2, Title: "scenario " + name}
	notes := map[string]string{}
	for _, i := range rows {
		row := r.Rows[i]
		if row.Scenario != name || row.Op != "(all)" {
			continue
		}
		if c := severityClass(row); c != "" && c != "neutral" {
			sub.Badges = append(sub.Badges, Badge{Text: fmt.Sprintf("%s %s %s", row.Metric.Name, row.DeltaString(), row.Verdict()), Class: c})
		}
		notes[row.Metric.Name] = row.Metric.Name + " " + row.DeltaString()
		if v := row.Verdict(); v != "" {
			notes[row.Metric.Name] += " (" + v + ")"
		}
	}
	sub.Charts = overlayCharts(sub.ID, bs, ns, notes)
	sub.Subtitle = shortSeriesNote(bs, ns)
	pt, pn := profileTables(r, plan, name, sub.ID)
	sub.Tables, sub.Notes = append(sub.Tables, pt...), append(sub.Notes, pn...)
	return sub
}

// pick returns the rows at the indexes.
func pick(all []compare.Row, idx []int) []compare.Row {
	out := make([]compare.Row, len(idx))
	for k, i := range idx {
		out[k] = all[i]
	}
	return out
}

// minChartIntervals is the fewest intervals per side for which compare
// draws throughput and latency over time: with fewer (a 1-second --quick
// repetition has one or two) the charts are a dot per side.
const minChartIntervals = 5

// shortSeriesNote says why the charts over time are left out, or "".
func shortSeriesNote(base, next *report.ScenarioDoc) string {
	if len(base.Series) >= minChartIntervals && len(next.Series) >= minChartIntervals {
		return ""
	}
	return fmt.Sprintf("runs too short to chart over time (%d and %d intervals; %d needed): run longer for charts",
		len(base.Series), len(next.Series), minChartIntervals)
}

// overlayCharts draw base and new together: throughput and latency over
// time (when both sides have minChartIntervals), and the percentile
// spectrum.
func overlayCharts(id string, base, next *report.ScenarioDoc, notes map[string]string) []Chart {
	const baseColor, newColor = "#1f77b4", "#d62728"
	timeAxis := Axis{Label: "time", Unit: "s"}
	xs, b, n := alignSeries(base.Series, next.Series, func(p report.SeriesDoc) float64 { return p.Throughput })
	var charts []Chart
	if len(xs) > 0 && shortSeriesNote(base, next) == "" {
		charts = append(charts, Chart{ID: id + "-throughput", Title: "Throughput", Note: notes["throughput"], X: timeAxis,
			Y: Axis{Label: "ops/s", Unit: "/s", Zero: true}, Xs: xs,
			Series: []Series{{Label: "base", Color: baseColor, Span: true, Data: b}, {Label: "new", Color: newColor, Span: true, Data: n}}})
		xs, b99, n99 := alignSeries(base.Series, next.Series, func(p report.SeriesDoc) float64 { return positive(float64(p.P99NS)) })
		_, b50, n50 := alignSeries(base.Series, next.Series, func(p report.SeriesDoc) float64 { return positive(float64(p.P50NS)) })
		note := strings.TrimSpace(notes["p99"] + "  " + notes["p50"])
		charts = append(charts, Chart{ID: id + "-latency", Title: "Latency over time", Note: note, X: timeAxis,
			Y: Axis{Label: "latency", Unit: "ns", Log: true}, Xs: xs,
			Series: []Series{
				{Label: "base p99", Color: baseColor, Span: true, Data: b99}, {Label: "new p99", Color: newColor, Span: true, Data: n99},
				{Label: "base p50", Color: baseColor, Dash: true, Span: true, Data: b50}, {Label: "new p50", Color: newColor, Dash: true, Span: true, Data: n50},
			}})
	}
	if c, ok := spectrumOverlay(id+"-spectrum", []string{"base", "new"}, []string{baseColor, newColor}, []*report.OpDoc{&base.Total, &next.Total}); ok {
		c.Title = "Latency by percentile (all operations)"
		charts = append(charts, c)
	}
	return charts
}

// alignSeries puts two series on one time axis (seconds from each
// scenario's start): the union of their offsets, each side's value where
// it has a point and a gap elsewhere.
func alignSeries(a, b []report.SeriesDoc, val func(report.SeriesDoc) float64) (xs, av, bv Values) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var x int64
		ai, bi := math.NaN(), math.NaN()
		switch {
		case j >= len(b) || (i < len(a) && a[i].OffsetNS < b[j].OffsetNS):
			x, ai = a[i].OffsetNS, val(a[i])
			i++
		case i >= len(a) || b[j].OffsetNS < a[i].OffsetNS:
			x, bi = b[j].OffsetNS, val(b[j])
			j++
		default:
			x, ai, bi = a[i].OffsetNS, val(a[i]), val(b[j])
			i++
			j++
		}
		xs = append(xs, time.Duration(x).Seconds())
		av = append(av, ai)
		bv = append(bv, bi)
	}
	return xs, av, bv
}

// profileTables are the tables and notes of a scenario's profile diff
// (what grew) for its subsection.
func profileTables(res *compare.Result, plan, scenario, id string) ([]Table, []Note) {
	d := res.ProfileOf(plan, scenario)
	if d == nil {
		return nil, nil
	}
	var tables []Table
	var notes []Note
	for k, t := range d.Tables() {
		if len(t.Rows) == 0 {
			notes = append(notes, Note{Text: "what grew: " + t.Title})
			continue
		}
		ht := Table{ID: fmt.Sprintf("%s-profile%d", id, k), Caption: "what grew: " + t.Title}
		for i, h := range t.Header {
			ht.Header = append(ht.Header, Head{Text: h, Num: i > 0})
		}
		for _, r := range t.Rows {
			row := Row{}
			for i, c := range r {
				cell := Cell{Text: c}
				if i > 0 {
					cell.Class = "num"
				}
				row.Cells = append(row.Cells, cell)
			}
			ht.Rows = append(ht.Rows, row)
		}
		tables = append(tables, ht)
	}
	for _, n := range d.Notes {
		notes = append(notes, Note{Text: "profile: " + n, Class: "warn"})
	}
	return tables, notes
}
