package report

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/perfplan/perfplan/executor"
)

// WriteHTML writes the run document as the HTML report's run view
// (RunPage): `--out html=PATH` and `perfplan report RUN.json --format html`.
func WriteHTML(w io.Writer, d *Document) error {
	return WriteHTMLPage(w, RunPage(d))
}

// RunPage builds the run view of a document: per plan, its verdict and
// grade, the scenarios and operations, the target statistics, the
// assertions with their margins and scores; per scenario, its charts over
// time (throughput, latency percentiles and schedule lag, errors, active
// workers, CPU and RSS, the Go heap and GC pauses), the HDR percentile
// spectrum, and where they apply the breakpoint search and the soak's heap
// slope.
//
// Element ids follow the document: plan i is "p{i}", its scenario j
// "p{i}-s{j}", and a figure of the operations table
// "p{i}-s{j}-{op}-{column}" with op "total" or "o{k}" (the k-th
// operation).
func RunPage(d *Document) *HTMLPage {
	page := &HTMLPage{Kind: "run", Version: d.Tool.Version, Title: "perfplan run"}
	var names []string
	seen := map[string]bool{}
	for _, p := range d.Plans {
		if !seen[p.Name] {
			seen[p.Name] = true
			names = append(names, p.Name)
		}
	}
	if len(names) > 0 {
		page.Title += ": " + strings.Join(names, ", ")
	}
	page.Lines = documentLines(d)
	page.Verdict = documentVerdict(d)
	rep, of := d.Repetitions()
	for i := range d.Plans {
		page.Sections = append(page.Sections, planSection(&d.Plans[i], fmt.Sprintf("p%d", i), rep[i], of[i]))
	}
	return page
}

// documentLines describe where and when the run happened.
func documentLines(d *Document) []string {
	e := d.Environment
	var env []string
	if e.GitCommit != "" {
		env = append(env, "commit "+shortCommit(e.GitCommit))
	}
	if e.GoVersion != "" {
		env = append(env, e.GoVersion)
	}
	if e.OS != "" {
		env = append(env, e.OS+"/"+e.Arch)
	}
	if e.CPU != "" {
		env = append(env, fmt.Sprintf("%s × %d", e.CPU, e.Cores))
	} else if e.Cores > 0 {
		env = append(env, fmt.Sprintf("%d cores", e.Cores))
	}
	if e.Host != "" {
		env = append(env, "host "+e.Host)
	}
	var run []string
	if !d.Start.IsZero() {
		run = append(run, "started "+d.Start.UTC().Format("2006-01-02 15:04:05 UTC"))
		if d.End.After(d.Start) {
			run = append(run, "took "+Duration(d.End.Sub(d.Start)))
		}
	}
	if d.Tool.Version != "" {
		run = append(run, d.Tool.Name+" "+d.Tool.Version)
	}
	if s := d.Tool.DurationScale; s != 0 && s != 1 {
		run = append(run, "durations scaled ×"+Number(s))
	}
	var lines []string
	for _, l := range [][]string{env, run} {
		if len(l) > 0 {
			lines = append(lines, strings.Join(l, " · "))
		}
	}
	if interruptedBetweenPlans(d) {
		lines = append(lines, "Interrupted: "+interruptedBetweenPlansNote+".")
	}
	return lines
}

func documentVerdict(d *Document) HTMLBadge {
	switch {
	case d.Interrupted:
		return HTMLBadge{Text: "INTERRUPTED", Class: "interrupted"}
	case d.Passed:
		return HTMLBadge{Text: "PASS", Class: "pass"}
	case d.Verdict == executor.VerdictInconclusive:
		return HTMLBadge{Text: fmt.Sprintf("INCONCLUSIVE (exit %d)", d.ExitCode), Class: "warn"}
	case d.ExitCode != 0:
		return HTMLBadge{Text: fmt.Sprintf("FAIL (exit %d)", d.ExitCode), Class: "fail"}
	}
	return HTMLBadge{Text: "FAIL", Class: "fail"}
}

// gradeClass colours a grade word.
func gradeClass(word string) string {
	switch word {
	case GradeExcellent, GradeGood:
		return "pass"
	case GradeFair:
		return "warn"
	}
	return "fail"
}

func planSection(p *PlanDoc, id string, rep, of int) HTMLSection {
	sec := HTMLSection{ID: id, Level: 1, Title: "plan " + repetitionLabel(p.Name, rep, of), Subtitle: p.File}
	total, failed, inconclusive := assertionCounts(p)
	score, word := Grade(*p)
	switch {
	case p.Error != "":
		sec.Badges = append(sec.Badges, HTMLBadge{ID: id + "-verdict", Text: "COULD NOT RUN", Class: "fail"})
	case p.Interrupted:
		sec.Badges = append(sec.Badges, HTMLBadge{ID: id + "-verdict", Text: "INTERRUPTED", Class: "interrupted"})
	case failed > 0 || p.Outcome() == executor.VerdictFail:
		sec.Badges = append(sec.Badges, HTMLBadge{ID: id + "-verdict", Text: "FAIL", Class: "fail"})
	case inconclusive > 0:
		sec.Badges = append(sec.Badges, HTMLBadge{ID: id + "-verdict", Text: "INCONCLUSIVE", Class: "warn"})
	default:
		sec.Badges = append(sec.Badges, HTMLBadge{ID: id + "-verdict", Text: "PASS", Class: "pass"})
	}
	sec.Tiles = []HTMLTile{
		{ID: id + "-grade", Label: "grade", Value: Number(score), Note: word, Class: gradeClass(word)},
		{ID: id + "-assertions", Label: "assertions held", Value: fmt.Sprintf("%d / %d", total-failed-inconclusive, total), Class: tileClass(failed, inconclusive)},
		{Label: "scenarios", Value: strconv.Itoa(len(p.Scenarios))},
	}
	if p.End.After(p.Start) {
		sec.Tiles = append(sec.Tiles, HTMLTile{Label: "duration", Value: Duration(p.End.Sub(p.Start))})
	}
	if p.Error != "" {
		sec.Notes = append(sec.Notes, HTMLNote{Text: "Error: " + p.Error, Class: "fail"})
		return sec
	}
	for _, e := range p.Errors {
		sec.Notes = append(sec.Notes, HTMLNote{Text: "Error: " + e, Class: "fail"})
	}
	sec.Tables = append(sec.Tables, opsTable(p, id))
	sec.Charts = append(sec.Charts, sweepCharts(p, id)...)
	sec.Tables = append(sec.Tables, duetTables(p, id)...)
	if total > 0 {
		sec.Tables = append(sec.Tables, assertionTable(p, id))
	}
	for j := range p.Scenarios {
		sec.Sections = append(sec.Sections, scenarioSection(&p.Scenarios[j], fmt.Sprintf("%s-s%d", id, j)))
	}
	return sec
}

func num(id, text string) HTMLCell { return HTMLCell{ID: id, Text: text, Class: "num"} }

// latencyText formats a latency figure of o, "≥" when it is a lower bound.
func latencyText(o OpDoc, ns int64) string {
	if o.LatencyLowerBound {
		return "≥" + Duration(time.Duration(ns))
	}
	return Duration(time.Duration(ns))
}

// opsTable is the table of scenarios and operations, as the terminal
// prints it, with the errors as a count and a rate.
func opsTable(p *PlanDoc, id string) HTMLTable {
	t := HTMLTable{ID: id + "-ops", Caption: "Scenarios and operations"}
	lag := false
	for _, s := range p.Scenarios {
		lag = lag || s.Total.ScheduleLag != nil
	}
	for _, h := range []string{"scenario", "op", "ops", "throughput", "errors", "error rate", "p50", "p95", "p99", "p99.9", "max"} {
		t.Header = append(t.Header, HTMLHead{Text: h, Num: h != "scenario" && h != "op"})
	}
	if lag {
		t.Header = append(t.Header, HTMLHead{Text: "schedule lag p99", Num: true})
	}
	row := func(class, scenario, op, cid string, o OpDoc, l LatencyDoc) HTMLRow {
		r := HTMLRow{Class: class, Cells: []HTMLCell{{Text: scenario}, {Text: op},
			num(cid+"-ops", strconv.FormatInt(o.Ops, 10)),
			num(cid+"-throughput", Rate(o.Throughput)),
			num(cid+"-errors", strconv.FormatInt(o.Errors, 10)),
			num(cid+"-error-rate", Percent(o.ErrorRate)),
			num(cid+"-p50", latencyText(o, l.P50)),
			num(cid+"-p95", latencyText(o, l.P95)),
			num(cid+"-p99", latencyText(o, l.P99)),
			num(cid+"-p999", latencyText(o, l.P999)),
			num(cid+"-max", latencyText(o, l.Max)),
		}}
		if lag {
			r.Cells = append(r.Cells, num(cid+"-lag-p99", lagCell(o)))
		}
		return r
	}
	for j, s := range p.Scenarios {
		sid := fmt.Sprintf("%s-s%d", id, j)
		name := s.Name
		if s.RunnerSaturated != "" {
			name += " (runner saturated)"
		}
		t.Rows = append(t.Rows, row("", name, "(all)", sid+"-total", s.Total, s.Total.Latency))
		if c := s.Total.Corrected; c != nil {
			t.Rows = append(t.Rows, row("sub", "", "(all) CO-corrected", sid+"-co", s.Total, *c))
		}
		if len(s.Ops) > 1 {
			for k, op := range s.Ops {
				t.Rows = append(t.Rows, row("sub", "", op.Name, fmt.Sprintf("%s-o%d", sid, k), op, op.Latency))
			}
		}
	}
	return t
}

// targetStatTables lays out a scenario's target statistics: the
// statistics that come in families (the cache's l1_hits, l2_hits, ...) as
// a grid, one row per family (tier) and a column per statistic, and the
// others in a table of their own, where those that are 0 share one line.
func targetStatTables(s *ScenarioDoc, sid string) []HTMLTable {
	var out []HTMLTable
	if len(s.TargetStats) > 0 {
		g := groupStats(s.TargetStats)
		if len(g.rows) > 0 {
			t := HTMLTable{ID: sid + "-stats-grid", Caption: "Target statistics per tier"}
			t.Header = append(t.Header, HTMLHead{Text: "tier"})
			for _, c := range g.columns {
				t.Header = append(t.Header, HTMLHead{Text: c, Num: true})
			}
			for _, r := range g.rows {
				row := HTMLRow{Cells: []HTMLCell{{Text: r}}}
				if r == totalRow {
					row.Class = "sub"
				}
				for _, c := range g.columns {
					v, ok := g.cells[r][c]
					text := "-"
					if ok {
						text = statText(c, v)
					}
					row.Cells = append(row.Cells, num(sid+"-stat-"+r+"-"+c, text))
				}
				t.Rows = append(t.Rows, row)
			}
			out = append(out, t)
		}
		var rest, zero []string
		for _, k := range g.rest {
			if s.TargetStats[k] == 0 {
				zero = append(zero, k)
			} else {
				rest = append(rest, k)
			}
		}
		if len(rest) > 0 || len(zero) > 0 {
			caption := "Target statistics"
			if len(g.rows) > 0 {
				caption = "Other target statistics"
			}
			t := HTMLTable{ID: sid + "-stats", Caption: caption}
			const perRow = 4
			for range max(1, min(perRow, len(rest))) {
				t.Header = append(t.Header, HTMLHead{Text: "statistic"}, HTMLHead{Text: "value", Num: true})
			}
			for i := 0; i < len(rest); i += perRow {
				var row HTMLRow
				for _, k := range rest[i:min(i+perRow, len(rest))] {
					row.Cells = append(row.Cells, HTMLCell{Text: k, Class: "cond"}, num(sid+"-stat-"+k, statText(k, s.TargetStats[k])))
				}
				t.Rows = append(t.Rows, row)
			}
			if len(zero) > 0 {
				t.Rows = append(t.Rows, HTMLRow{Class: "sub", Cells: []HTMLCell{{ID: sid + "-stats-zero", Text: "0: " + strings.Join(zero, ", "), Class: "cond", Span: len(t.Header)}}})
			}
			out = append(out, t)
		}
	}
	return out
}

// statText formats a target statistic: ratios as percentages, the rest as
// numbers.
func statText(name string, v float64) string {
	if strings.HasSuffix(name, "ratio") && v >= 0 && v <= 1 {
		return Percent(v)
	}
	return Number(v)
}

// assertionTable lists every assertion with its observed values, each
// comparison's margin and the assertion's score.
func assertionTable(p *PlanDoc, id string) HTMLTable {
	t := HTMLTable{ID: id + "-asserts", Caption: "Assertions"}
	for _, h := range []string{"result", "scenario", "condition", "observed", "margin", "score", "message"} {
		t.Header = append(t.Header, HTMLHead{Text: h, Num: h == "score"})
	}
	k := 0
	for _, s := range assertionGroups(p) {
		for _, a := range s.Assertions {
			aid := fmt.Sprintf("%s-a%d", id, k)
			k++
			verdict, class := "PASS", "pass"
			if !a.Passed {
				verdict, class = "FAIL", "fail"
			}
			if a.Aborted {
				verdict += " (aborted run)"
			}
			obs := observedText(a)
			var margins []string
			if cmps, _, ok := a.comparisons(); ok {
				for _, c := range cmps {
					margins = append(margins, comparisonMargin(c))
				}
			}
			t.Rows = append(t.Rows, HTMLRow{Class: class, Cells: []HTMLCell{
				{ID: aid + "-result", Text: verdict, Class: "verdict"},
				{Text: s.Name},
				{Text: a.Condition, Class: "cond", Title: a.Pos},
				{ID: aid + "-observed", Text: obs, Class: "pre"},
				{ID: aid + "-margin", Text: strings.Join(margins, "\n"), Class: "pre"},
				num(aid+"-score", Number(math.Round(AssertionScore(a)*10)/10)),
				{Text: assertionMessage(a)},
			}})
		}
	}
	return t
}

// plainMetric matches a metric's name, such as latency.p99 or
// op["set"].latency.p99, and not an expression.
var plainMetric = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*(\["[^"]*"\][A-Za-z0-9_.]*)*$`)

// comparisonMargin describes one comparison as evaluated, with its margin:
// "latency.p99 3.00ms < 5.00ms: 40% headroom" or "…: missed by 20%".
func comparisonMargin(c ComparisonDoc) string {
	// The values are in the unit of the side that names a metric; a side
	// that computes (latency.p99 / latency.p50) is a plain number.
	metric := c.Left
	if _, err := strconv.ParseFloat(strings.TrimSpace(c.Left), 64); err == nil {
		metric = c.Right
	}
	if !plainMetric.MatchString(metric) {
		metric = ""
	}
	s := fmt.Sprintf("%s %s %s %s", c.Left, FormatMetric(metric, c.LeftValue), c.Op, FormatMetric(metric, c.RightValue))
	m, ok := c.Margin()
	switch {
	case !ok && c.Held:
		return s + ": holds"
	case !ok:
		return s + ": fails"
	case m >= 0 && c.Held:
		return s + ": " + Percent(m) + " headroom"
	case c.Held:
		return s + ": holds at the limit"
	}
	return s + ": missed by " + Percent(math.Abs(m))
}

func scenarioSection(s *ScenarioDoc, id string) HTMLSection {
	sec := HTMLSection{ID: id, Level: 2, Title: "scenario " + s.Name,
		Subtitle: fmt.Sprintf("%s · %s · up to %d workers", s.Executor, Duration(time.Duration(s.ElapsedNS)), s.VUsMax)}
	failed := 0
	for _, a := range s.Assertions {
		if !a.Passed {
			failed++
		}
	}
	switch {
	case len(s.Assertions) == 0:
	case failed > 0:
		sec.Badges = append(sec.Badges, HTMLBadge{Text: fmt.Sprintf("%d of %d assertions failed", failed, len(s.Assertions)), Class: "fail"})
	default:
		held := fmt.Sprintf("%d assertions held", len(s.Assertions))
		if len(s.Assertions) == 1 {
			held = "1 assertion held"
		}
		sec.Badges = append(sec.Badges, HTMLBadge{Text: held, Class: "pass"})
	}
	if s.Aborted {
		sec.Badges = append(sec.Badges, HTMLBadge{Text: "aborted", Class: "warn"})
	}
	if s.Interrupted {
		sec.Badges = append(sec.Badges, HTMLBadge{Text: "interrupted", Class: "interrupted"})
	}
	if s.RunnerSaturated != "" {
		sec.Badges = append(sec.Badges, HTMLBadge{Text: "runner saturated", Class: "warn"})
	}
	if s.Total.LatencyLowerBound {
		sec.Badges = append(sec.Badges, HTMLBadge{Text: "latency is a lower bound", Class: "warn"})
	}
	o := s.Total
	errClass := ""
	if o.Errors > 0 {
		errClass = "fail"
	}
	sec.Tiles = []HTMLTile{
		{ID: id + "-tile-throughput", Label: "throughput", Value: Rate(o.Throughput), Note: fmt.Sprintf("%d ops", o.Ops)},
		{ID: id + "-tile-p99", Label: "latency p99", Value: latencyText(o, o.Latency.P99), Note: "p50 " + latencyText(o, o.Latency.P50)},
		{ID: id + "-tile-errors", Label: "errors", Value: strconv.FormatInt(o.Errors, 10), Note: Percent(o.ErrorRate), Class: errClass},
	}
	if s.Dropped > 0 {
		sec.Tiles = append(sec.Tiles, HTMLTile{ID: id + "-tile-dropped", Label: "dropped", Value: strconv.FormatInt(s.Dropped, 10), Class: "warn"})
	}
	if r := s.Resources; r != nil {
		sec.Tiles = append(sec.Tiles,
			HTMLTile{ID: id + "-tile-cpu", Label: "cpu", Value: fmt.Sprintf("%.0f%%", r.CPUPercent), Note: "rss " + Bytes(r.RSSPeak)},
			HTMLTile{ID: id + "-tile-gc", Label: "gc pauses", Value: Duration(r.GCPauseP99), Note: fmt.Sprintf("p99 of %d cycles, max %s", r.GCCount, Duration(r.GCPauseMax))},
		)
		sec.Tiles = append(sec.Tiles, ioTile(id, r.IO))
	}
	for _, n := range scenarioDocNotes(&PlanDoc{Scenarios: []ScenarioDoc{*s}}) {
		class := ""
		switch {
		case strings.Contains(n, "ERROR"):
			class = "fail"
		case strings.Contains(n, "WARNING") || strings.Contains(n, "ABORTED") || strings.Contains(n, "interrupted"):
			class = "warn"
		}
		sec.Notes = append(sec.Notes, HTMLNote{Text: n, Class: class})
	}
	sec.Tables = append(sec.Tables, targetStatTables(s, id)...)
	if b := s.Breakpoint; b != nil {
		sec.Tables = append(sec.Tables, breakpointTables(b, id)...)
	}
	sec.Charts = scenarioCharts(s, id)
	return sec
}

func breakpointTables(b *executor.BreakpointResult, id string) []HTMLTable {
	sum := HTMLTable{ID: id + "-bp-summary", Caption: "Breakpoint search: stop when " + b.StopWhen}
	for _, h := range []string{"breaking point", "peak rate", "search stopped", "recovery time", "stability"} {
		sum.Header = append(sum.Header, HTMLHead{Text: h})
	}
	var cells []HTMLCell
	for k, c := range breakpointSummary(b) {
		cells = append(cells, HTMLCell{ID: fmt.Sprintf("%s-bp-%d", id, k), Text: c})
	}
	sum.Rows = []HTMLRow{{Cells: cells}}
	steps := HTMLTable{ID: id + "-bp-steps", Caption: "Breakpoint search, step by step"}
	for _, h := range []string{"phase", "rate", "time", "ops", "throughput", "errors", "p99", "dropped", "intervals"} {
		steps.Header = append(steps.Header, HTMLHead{Text: h, Num: h != "phase" && h != "time" && h != "intervals"})
	}
	for _, st := range b.Steps {
		var row HTMLRow
		for k, c := range breakpointStepRow(b, st) {
			cell := HTMLCell{Text: c}
			if steps.Header[k].Num {
				cell.Class = "num"
			}
			row.Cells = append(row.Cells, cell)
		}
		steps.Rows = append(steps.Rows, row)
	}
	return []HTMLTable{sum, steps}
}

// tileClass colours the assertions tile: fail when any failed, warn when
// any was inconclusive.
func tileClass(failed, inconclusive int) string {
	switch {
	case failed > 0:
		return "fail"
	case inconclusive > 0:
		return "warn"
	}
	return "pass"
}

// sweepCharts draws, for each scenario declared with for_each whose swept
// values are numbers, p99 latency and throughput against the value (one
// point per instance, in value order; a log axis when the values span a
// hundredfold or more).
func sweepCharts(p *PlanDoc, id string) []HTMLChart {
	type point struct {
		x        float64
		p99, thr float64
	}
	var order []string
	groups := map[string][]point{}
	numeric := map[string]bool{}
	for _, s := range p.Scenarios {
		if s.Sweep == nil {
			continue
		}
		if _, ok := groups[s.Sweep.Name]; !ok {
			order = append(order, s.Sweep.Name)
			numeric[s.Sweep.Name] = true
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(s.Sweep.Value), 64)
		if err != nil {
			numeric[s.Sweep.Name] = false
		}
		p99 := math.NaN()
		if s.Total.Ops > 0 {
			p99 = float64(s.Total.Latency.P99)
		}
		groups[s.Sweep.Name] = append(groups[s.Sweep.Name], point{x, p99, s.Total.Throughput})
	}
	var charts []HTMLChart
	for i, name := range order {
		pts := groups[name]
		if !numeric[name] || len(pts) < 2 {
			continue
		}
		sort.Slice(pts, func(a, b int) bool { return pts[a].x < pts[b].x })
		xs, p99, thr := make(HTMLValues, len(pts)), make(HTMLValues, len(pts)), make(HTMLValues, len(pts))
		for j, pt := range pts {
			xs[j], p99[j], thr[j] = pt.x, pt.p99, pt.thr
		}
		log := xs[0] > 0 && xs[len(xs)-1]/xs[0] >= 100
		charts = append(charts, HTMLChart{ID: fmt.Sprintf("%s-sweep%d", id, i), Title: "Sweep " + name + ": p99 and throughput against each.value",
			X: HTMLAxis{Label: "each.value", Log: log}, Y: HTMLAxis{Label: "p99", Unit: "ns", Log: true},
			Y2: &HTMLAxis{Label: "throughput", Unit: "/s", Zero: true}, Xs: xs,
			Series: []HTMLSeries{
				{Label: "p99", Color: "#d62728", Data: p99, Span: true},
				{Label: "throughput", Color: "#1f77b4", Axis: 2, Data: thr, Span: true},
			}})
	}
	return charts
}
