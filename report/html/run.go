package html

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
	"github.com/perfplan/perfplan/profiling"
	"github.com/perfplan/perfplan/report"
)

// WriteRun writes the run document as the HTML report's run view
// (RunPage): `--out html=PATH` and `perfplan report RUN.json --format html`.
func WriteRun(w io.Writer, d *report.Document) error {
	return WritePage(w, RunPage(d))
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
func RunPage(d *report.Document) *Page {
	page := &Page{Kind: "run", Version: d.Tool.Version, Title: "perfplan run"}
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
func documentLines(d *report.Document) []string {
	e := d.Environment
	var env []string
	if e.GitCommit != "" {
		env = append(env, "commit "+report.ShortCommit(e.GitCommit))
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
			run = append(run, "took "+report.Duration(d.End.Sub(d.Start)))
		}
	}
	if d.Tool.Version != "" {
		run = append(run, d.Tool.Name+" "+d.Tool.Version)
	}
	if s := d.Tool.DurationScale; s != 0 && s != 1 {
		run = append(run, "durations scaled ×"+report.Number(s))
	}
	var lines []string
	for _, l := range [][]string{env, run} {
		if len(l) > 0 {
			lines = append(lines, strings.Join(l, " · "))
		}
	}
	if report.InterruptedBetweenPlans(d) {
		lines = append(lines, "Interrupted: "+report.InterruptedBetweenPlansNote+".")
	}
	return lines
}

func documentVerdict(d *report.Document) Badge {
	switch {
	case d.Interrupted:
		return Badge{Text: "INTERRUPTED", Class: "interrupted"}
	case d.Passed:
		return Badge{Text: "PASS", Class: "pass"}
	case d.Verdict == executor.VerdictInconclusive:
		return Badge{Text: fmt.Sprintf("INCONCLUSIVE (exit %d)", d.ExitCode), Class: "warn"}
	case d.ExitCode != 0:
		return Badge{Text: fmt.Sprintf("FAIL (exit %d)", d.ExitCode), Class: "fail"}
	}
	return Badge{Text: "FAIL", Class: "fail"}
}

// gradeClass colours a grade word.
func gradeClass(word string) string {
	switch word {
	case report.GradeExcellent, report.GradeGood:
		return "pass"
	case report.GradeFair:
		return "warn"
	}
	return "fail"
}

func planSection(p *report.PlanDoc, id string, rep, of int) Section {
	sec := Section{ID: id, Level: 1, Title: "plan " + report.RepetitionLabel(p.Name, rep, of), Subtitle: p.File}
	total, failed, inconclusive := report.AssertionCounts(p)
	score, word := report.Grade(*p)
	switch {
	case p.Error != "":
		sec.Badges = append(sec.Badges, Badge{ID: id + "-verdict", Text: "COULD NOT RUN", Class: "fail"})
	case p.Interrupted:
		sec.Badges = append(sec.Badges, Badge{ID: id + "-verdict", Text: "INTERRUPTED", Class: "interrupted"})
	case failed > 0 || p.Outcome() == executor.VerdictFail:
		sec.Badges = append(sec.Badges, Badge{ID: id + "-verdict", Text: "FAIL", Class: "fail"})
	case inconclusive > 0:
		sec.Badges = append(sec.Badges, Badge{ID: id + "-verdict", Text: "INCONCLUSIVE", Class: "warn"})
	default:
		sec.Badges = append(sec.Badges, Badge{ID: id + "-verdict", Text: "PASS", Class: "pass"})
	}
	sec.Tiles = []Tile{
		{ID: id + "-grade", Label: "grade", Value: report.Number(score), Note: word, Class: gradeClass(word)},
		{ID: id + "-assertions", Label: "assertions held", Value: fmt.Sprintf("%d / %d", total-failed-inconclusive, total), Class: tileClass(failed, inconclusive)},
		{Label: "scenarios", Value: strconv.Itoa(len(p.Scenarios))},
	}
	if p.End.After(p.Start) {
		sec.Tiles = append(sec.Tiles, Tile{Label: "duration", Value: report.Duration(p.End.Sub(p.Start))})
	}
	if p.Error != "" {
		sec.Notes = append(sec.Notes, Note{Text: "Error: " + p.Error, Class: "fail"})
		return sec
	}
	for _, e := range p.Errors {
		sec.Notes = append(sec.Notes, Note{Text: "Error: " + e, Class: "fail"})
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

func num(id, text string) Cell { return Cell{ID: id, Text: text, Class: "num"} }

// latencyText formats a latency figure of o, "≥" when it is a lower bound.
func latencyText(o report.OpDoc, ns int64) string {
	if o.LatencyLowerBound {
		return "≥" + report.Duration(time.Duration(ns))
	}
	return report.Duration(time.Duration(ns))
}

// opsTable is the table of scenarios and operations, as the terminal
// prints it, with the errors as a count and a rate.
func opsTable(p *report.PlanDoc, id string) Table {
	t := Table{ID: id + "-ops", Caption: "Scenarios and operations"}
	cols := report.FamilyColumns(p.Scenarios...)
	for _, h := range []string{"scenario", "op", "ops", "throughput", "errors", "error rate", "p50", "p95", "p99", "p99.9", "max"} {
		t.Header = append(t.Header, Head{Text: h, Num: h != "scenario" && h != "op"})
	}
	for _, f := range cols {
		t.Header = append(t.Header, Head{Text: f.Column, Num: true})
	}
	row := func(class, scenario, op, cid string, o report.OpDoc, l report.LatencyDoc) Row {
		r := Row{Class: class, Cells: []Cell{{Text: scenario}, {Text: op},
			num(cid+"-ops", strconv.FormatInt(o.Ops, 10)),
			num(cid+"-throughput", report.Rate(o.Throughput)),
			num(cid+"-errors", strconv.FormatInt(o.Errors, 10)),
			num(cid+"-error-rate", report.Percent(o.ErrorRate)),
			num(cid+"-p50", latencyText(o, l.P50)),
			num(cid+"-p95", latencyText(o, l.P95)),
			num(cid+"-p99", latencyText(o, l.P99)),
			num(cid+"-p999", latencyText(o, l.P999)),
			num(cid+"-max", latencyText(o, l.Max)),
		}}
		for i, c := range report.FamilyCells(o, cols) {
			r.Cells = append(r.Cells, num(cid+"-"+strings.ReplaceAll(cols[i].Column, " ", "-"), c))
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
func targetStatTables(s *report.ScenarioDoc, sid string) []Table {
	var out []Table
	if len(s.TargetStats) > 0 {
		g := report.GroupStats(s.TargetStats)
		if len(g.Rows) > 0 {
			t := Table{ID: sid + "-stats-grid", Caption: "Target statistics per tier"}
			t.Header = append(t.Header, Head{Text: "tier"})
			for _, c := range g.Columns {
				t.Header = append(t.Header, Head{Text: c, Num: true})
			}
			for _, r := range g.Rows {
				row := Row{Cells: []Cell{{Text: r}}}
				if r == report.TotalRow {
					row.Class = "sub"
				}
				for _, c := range g.Columns {
					v, ok := g.Cells[r][c]
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
		for _, k := range g.Rest {
			if s.TargetStats[k] == 0 {
				zero = append(zero, k)
			} else {
				rest = append(rest, k)
			}
		}
		if len(rest) > 0 || len(zero) > 0 {
			caption := "Target statistics"
			if len(g.Rows) > 0 {
				caption = "Other target statistics"
			}
			t := Table{ID: sid + "-stats", Caption: caption}
			const perRow = 4
			for range max(1, min(perRow, len(rest))) {
				t.Header = append(t.Header, Head{Text: "statistic"}, Head{Text: "value", Num: true})
			}
			for i := 0; i < len(rest); i += perRow {
				var row Row
				for _, k := range rest[i:min(i+perRow, len(rest))] {
					row.Cells = append(row.Cells, Cell{Text: k, Class: "cond"}, num(sid+"-stat-"+k, statText(k, s.TargetStats[k])))
				}
				t.Rows = append(t.Rows, row)
			}
			if len(zero) > 0 {
				t.Rows = append(t.Rows, Row{Class: "sub", Cells: []Cell{{ID: sid + "-stats-zero", Text: "0: " + strings.Join(zero, ", "), Class: "cond", Span: len(t.Header)}}})
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
		return report.Percent(v)
	}
	return report.Number(v)
}

// assertionTable lists every assertion with its observed values, each
// comparison's margin and the assertion's score.
func assertionTable(p *report.PlanDoc, id string) Table {
	t := Table{ID: id + "-asserts", Caption: "Assertions"}
	for _, h := range []string{"result", "scenario", "condition", "observed", "margin", "score", "message"} {
		t.Header = append(t.Header, Head{Text: h, Num: h == "score"})
	}
	k := 0
	for _, s := range report.AssertionGroups(p) {
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
			obs := report.ObservedText(a)
			var margins []string
			if cmps, _, ok := report.Comparisons(a); ok {
				for _, c := range cmps {
					margins = append(margins, comparisonMargin(c))
				}
			}
			t.Rows = append(t.Rows, Row{Class: class, Cells: []Cell{
				{ID: aid + "-result", Text: verdict, Class: "verdict"},
				{Text: s.Name},
				{Text: a.Condition, Class: "cond", Title: a.Pos},
				{ID: aid + "-observed", Text: obs, Class: "pre"},
				{ID: aid + "-margin", Text: strings.Join(margins, "\n"), Class: "pre"},
				num(aid+"-score", report.Number(math.Round(report.AssertionScore(a)*10)/10)),
				{Text: report.AssertionMessage(a)},
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
func comparisonMargin(c report.ComparisonDoc) string {
	// The values are in the unit of the side that names a metric; a side
	// that computes (latency.p99 / latency.p50) is a plain number.
	metric := c.Left
	if _, err := strconv.ParseFloat(strings.TrimSpace(c.Left), 64); err == nil {
		metric = c.Right
	}
	if !plainMetric.MatchString(metric) {
		metric = ""
	}
	s := fmt.Sprintf("%s %s %s %s", c.Left, report.FormatMetric(metric, c.LeftValue), c.Op, report.FormatMetric(metric, c.RightValue))
	m, ok := c.Margin()
	switch {
	case !ok && c.Held:
		return s + ": holds"
	case !ok:
		return s + ": fails"
	case m >= 0 && c.Held:
		return s + ": " + report.Percent(m) + " headroom"
	case c.Held:
		return s + ": holds at the limit"
	}
	return s + ": missed by " + report.Percent(math.Abs(m))
}

func scenarioSection(s *report.ScenarioDoc, id string) Section {
	sec := Section{ID: id, Level: 2, Title: "scenario " + s.Name,
		Subtitle: fmt.Sprintf("%s · %s · up to %d workers", s.Executor, report.Duration(time.Duration(s.ElapsedNS)), s.VUsMax)}
	failed := 0
	for _, a := range s.Assertions {
		if !a.Passed {
			failed++
		}
	}
	switch {
	case len(s.Assertions) == 0:
	case failed > 0:
		sec.Badges = append(sec.Badges, Badge{Text: fmt.Sprintf("%d of %d assertions failed", failed, len(s.Assertions)), Class: "fail"})
	default:
		held := fmt.Sprintf("%d assertions held", len(s.Assertions))
		if len(s.Assertions) == 1 {
			held = "1 assertion held"
		}
		sec.Badges = append(sec.Badges, Badge{Text: held, Class: "pass"})
	}
	if s.Aborted {
		sec.Badges = append(sec.Badges, Badge{Text: "aborted", Class: "warn"})
	}
	if s.Interrupted {
		sec.Badges = append(sec.Badges, Badge{Text: "interrupted", Class: "interrupted"})
	}
	if s.RunnerSaturated != "" {
		sec.Badges = append(sec.Badges, Badge{Text: "runner saturated", Class: "warn"})
	}
	if s.Total.LatencyLowerBound {
		sec.Badges = append(sec.Badges, Badge{Text: "latency is a lower bound", Class: "warn"})
	}
	o := s.Total
	errClass := ""
	if o.Errors > 0 {
		errClass = "fail"
	}
	sec.Tiles = []Tile{
		{ID: id + "-tile-throughput", Label: "throughput", Value: report.Rate(o.Throughput), Note: fmt.Sprintf("%d ops", o.Ops)},
		{ID: id + "-tile-p99", Label: "latency p99", Value: latencyText(o, o.Latency.P99), Note: "p50 " + latencyText(o, o.Latency.P50)},
		{ID: id + "-tile-errors", Label: "errors", Value: strconv.FormatInt(o.Errors, 10), Note: report.Percent(o.ErrorRate), Class: errClass},
	}
	if s.Dropped > 0 {
		sec.Tiles = append(sec.Tiles, Tile{ID: id + "-tile-dropped", Label: "dropped", Value: strconv.FormatInt(s.Dropped, 10), Class: "warn"})
	}
	if r := s.Resources; r != nil {
		sec.Tiles = append(sec.Tiles,
			Tile{ID: id + "-tile-cpu", Label: "cpu", Value: fmt.Sprintf("%.0f%%", r.CPUPercent), Note: "rss " + report.RSS(r.RSSPeak)},
			Tile{ID: id + "-tile-gc", Label: "gc pauses", Value: report.Duration(r.GCPauseP99), Note: fmt.Sprintf("p99 of %d cycles, max %s", r.GCCount, report.Duration(r.GCPauseMax))},
		)
		sec.Tiles = append(sec.Tiles, Tile(report.IOTile(id, r.IO)))
	}
	for _, n := range report.ScenarioNotes(&report.PlanDoc{Scenarios: []report.ScenarioDoc{*s}}) {
		class := ""
		switch {
		case strings.Contains(n, "ERROR"):
			class = "fail"
		case strings.Contains(n, "WARNING") || strings.Contains(n, "ABORTED") || strings.Contains(n, "interrupted"):
			class = "warn"
		}
		sec.Notes = append(sec.Notes, Note{Text: n, Class: class})
	}
	if len(s.Stages) > 0 {
		sec.Tables = append(sec.Tables, stageTable(s.Stages, id))
	}
	sec.Tables = append(sec.Tables, targetStatTables(s, id)...)
	if b := s.Breakpoint; b != nil {
		sec.Tables = append(sec.Tables, breakpointTables(b, id)...)
	}
	sec.Charts = scenarioCharts(s, id)
	flames, notes := scenarioFlames(s, id)
	sec.Flames = flames
	sec.Notes = append(sec.Notes, notes...)
	return sec
}

// flameMinShare is the smallest share of a profile's time that a flame
// graph draws as a frame of its own.
const flameMinShare = 0.005

// scenarioFlames are the flame graphs of a profiled scenario (perfplan run
// --profile): perfplan's process over the scenario's span, and the system
// under test's when the http target fetched it (pprof_url). A profile that
// cannot be read gives a note instead.
func scenarioFlames(s *report.ScenarioDoc, id string) ([]Flame, []Note) {
	pd := s.Profile
	if pd == nil {
		return nil, nil
	}
	var flames []Flame
	var notes []Note
	for _, k := range []struct {
		data        []byte
		suffix, ttl string
		note        string
	}{
		{pd.CPU, "flame", "CPU flame graph: perfplan's process",
			"the scenario's samples; blue: perfplan, grey: Go's runtime and standard library, orange: other code (the target's and libraries')"},
		{pd.Remote, "flame-remote", "CPU flame graph: the system under test",
			"from " + pd.RemoteURL},
	} {
		p, err := profiling.Decode(k.data)
		if err != nil {
			notes = append(notes, Note{Text: k.ttl + ": " + err.Error(), Class: "warn"})
			continue
		}
		root := profiling.Flame(p, s.Name, flameMinShare)
		if root == nil {
			continue
		}
		flames = append(flames, Flame{ID: id + "-" + k.suffix, Title: k.ttl,
			Note: fmt.Sprintf("%s of CPU; %s; frames under %s of it are left out", report.Duration(time.Duration(root.Value)), k.note, report.Percent(flameMinShare)),
			Root: root})
	}
	return flames, notes
}

func breakpointTables(b *executor.BreakpointResult, id string) []Table {
	sum := Table{ID: id + "-bp-summary", Caption: "Breakpoint search: stop when " + b.StopWhen}
	for _, h := range []string{"breaking point", "peak rate", "search stopped", "recovery time", "stability"} {
		sum.Header = append(sum.Header, Head{Text: h})
	}
	var cells []Cell
	for k, c := range report.BreakpointSummary(b) {
		cells = append(cells, Cell{ID: fmt.Sprintf("%s-bp-%d", id, k), Text: c})
	}
	sum.Rows = []Row{{Cells: cells}}
	steps := Table{ID: id + "-bp-steps", Caption: "Breakpoint search, step by step"}
	for _, h := range []string{"phase", "rate", "time", "ops", "throughput", "errors", "p99", "dropped", "intervals"} {
		steps.Header = append(steps.Header, Head{Text: h, Num: h != "phase" && h != "time" && h != "intervals"})
	}
	for _, st := range b.Steps {
		var row Row
		for k, c := range report.BreakpointStepRow(b, st) {
			cell := Cell{Text: c}
			if steps.Header[k].Num {
				cell.Class = "num"
			}
			row.Cells = append(row.Cells, cell)
		}
		steps.Rows = append(steps.Rows, row)
	}
	return []Table{sum, steps}
}

// stageTable is a ramping scenario's figures per stage, as the terminal
// and Markdown print them.
func stageTable(stages []report.StageDoc, id string) Table {
	t := Table{ID: id + "-stages", Caption: "Stages"}
	for _, h := range report.StageHeader() {
		t.Header = append(t.Header, Head{Text: h, Num: h != "stage" && h != "time"})
	}
	for j, st := range stages {
		var row Row
		for k, c := range report.StageRow(st) {
			cell := Cell{ID: fmt.Sprintf("%s-stage%d-%d", id, j, k), Text: c}
			if t.Header[k].Num {
				cell.Class = "num"
			}
			row.Cells = append(row.Cells, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
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
func sweepCharts(p *report.PlanDoc, id string) []Chart {
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
	var charts []Chart
	for i, name := range order {
		pts := groups[name]
		if !numeric[name] || len(pts) < 2 {
			continue
		}
		sort.Slice(pts, func(a, b int) bool { return pts[a].x < pts[b].x })
		xs, p99, thr := make(Values, len(pts)), make(Values, len(pts)), make(Values, len(pts))
		for j, pt := range pts {
			xs[j], p99[j], thr[j] = pt.x, pt.p99, pt.thr
		}
		log := xs[0] > 0 && xs[len(xs)-1]/xs[0] >= 100
		charts = append(charts, Chart{ID: fmt.Sprintf("%s-sweep%d", id, i), Title: "Sweep " + name + ": p99 and throughput against each.value",
			X: Axis{Label: "each.value", Log: log}, Y: Axis{Label: "p99", Unit: "ns", Log: true},
			Y2: &Axis{Label: "throughput", Unit: "/s", Zero: true}, Xs: xs,
			Series: []Series{
				{Label: "p99", Color: "#d62728", Data: p99, Span: true},
				{Label: "throughput", Color: "#1f77b4", Axis: 2, Data: thr, Span: true},
			}})
	}
	return charts
}

// duetTables are the HTML tables of the plan's duets, one per duet.
func duetTables(p *report.PlanDoc, id string) []Table {
	var out []Table
	for i, d := range p.Duets {
		t := Table{ID: fmt.Sprintf("%s-duet%d", id, i), Caption: fmt.Sprintf("Duet %s (%s)", d.Name, d.Method)}
		for _, h := range []string{"member", "figure", "change", "interval", "pairs", "verdict"} {
			t.Header = append(t.Header, Head{Text: h, Num: h == "change" || h == "pairs"})
		}
		for _, f := range d.Figures {
			change, interval, verdict, class := "?", "", "no verdict: "+f.Reason, ""
			if !f.Declined && f.Change != nil && f.Low != nil && f.High != nil {
				change = fmt.Sprintf("%+.1f%%", 100**f.Change)
				interval = fmt.Sprintf("[%+.1f%%, %+.1f%%] @%.0f%%", 100**f.Low, 100**f.High, 100*f.Confidence)
				verdict = "~"
				if *f.Low > 0 || *f.High < 0 {
					verdict, class = "significant", "fail"
				}
			}
			t.Rows = append(t.Rows, Row{Class: class, Cells: []Cell{
				{Text: f.Member + " vs " + d.Members[0]}, {Text: f.Figure}, {Text: change, Class: "num"},
				{Text: interval}, {Text: fmt.Sprint(f.Pairs), Class: "num"}, {Text: verdict},
			}})
		}
		out = append(out, t)
	}
	return out
}
