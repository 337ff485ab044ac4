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

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/executor"
)

// WriteHTML writes the run document as the HTML report's run view
// (RunPage): `--out html=PATH` and `perfplan report RUN.json --format html`.
func WriteHTML(w io.Writer, d *Document) error {
	return WriteHTMLPage(w, RunPage(d))
}

// htmlMaxPoints bounds the points of a time-series chart: longer series are
// merged as the executor merges them (counts add up, percentiles take the
// larger), so an hour's soak stays a few hundred KB.
const htmlMaxPoints = 720

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
	total, failed := assertionCounts(p)
	score, word := Grade(*p)
	switch {
	case p.Error != "":
		sec.Badges = append(sec.Badges, HTMLBadge{ID: id + "-verdict", Text: "COULD NOT RUN", Class: "fail"})
	case p.Interrupted:
		sec.Badges = append(sec.Badges, HTMLBadge{ID: id + "-verdict", Text: "INTERRUPTED", Class: "interrupted"})
	case failed > 0:
		sec.Badges = append(sec.Badges, HTMLBadge{ID: id + "-verdict", Text: "FAIL", Class: "fail"})
	default:
		sec.Badges = append(sec.Badges, HTMLBadge{ID: id + "-verdict", Text: "PASS", Class: "pass"})
	}
	sec.Tiles = []HTMLTile{
		{ID: id + "-grade", Label: "grade", Value: Number(score), Note: word, Class: gradeClass(word)},
		{ID: id + "-assertions", Label: "assertions held", Value: fmt.Sprintf("%d / %d", total-failed, total), Class: map[bool]string{true: "pass", false: "fail"}[failed == 0]},
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
		g := htmlStatGroups(s.TargetStats)
		if len(g.rows) > 0 {
			t := HTMLTable{ID: sid + "-stats-grid", Caption: "Target statistics per tier"}
			t.Header = append(t.Header, HTMLHead{Text: "tier"})
			for _, c := range g.columns {
				t.Header = append(t.Header, HTMLHead{Text: c, Num: true})
			}
			for _, r := range g.rows {
				row := HTMLRow{Cells: []HTMLCell{{Text: r}}}
				if r == htmlTotalRow {
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

// htmlTotalRow labels the grid row of the statistics without a family
// prefix.
const htmlTotalRow = "total"

// htmlStatGrid is a scenario's target statistics laid out for reading.
type htmlStatGrid struct {
	rows, columns []string
	cells         map[string]map[string]float64
	rest          []string
}

// htmlStatGroups lays out stats: a statistic named PREFIX_NAME is the cell
// of row PREFIX and column NAME when at least two rows share the column
// and the row has at least two such columns (the cache's l1_hits,
// l2_hits, l1_misses, ... make rows l1 and l2); a statistic named NAME for
// a column of the grid is the cell of the last row, "total". The others
// are the rest, sorted.
func htmlStatGroups(stats map[string]float64) htmlStatGrid {
	byPrefix := map[string][]string{}
	for k := range stats {
		if pre, name, ok := strings.Cut(k, "_"); ok && pre != "" && name != "" {
			byPrefix[pre] = append(byPrefix[pre], name)
		}
	}
	rows := map[string]bool{}
	for pre := range byPrefix {
		rows[pre] = true
	}
	columns := map[string]bool{}
	for changed := true; changed; {
		changed = false
		count := map[string]int{}
		for pre := range rows {
			for _, n := range byPrefix[pre] {
				count[n]++
			}
		}
		columns = map[string]bool{}
		for n, c := range count {
			if c >= 2 {
				columns[n] = true
			}
		}
		for pre := range rows {
			n := 0
			for _, c := range byPrefix[pre] {
				if columns[c] {
					n++
				}
			}
			if n < 2 {
				delete(rows, pre)
				changed = true
			}
		}
	}
	g := htmlStatGrid{cells: map[string]map[string]float64{}}
	used := map[string]bool{}
	if len(rows) > 0 {
		for pre := range rows {
			g.rows = append(g.rows, pre)
			g.cells[pre] = map[string]float64{}
			for _, n := range byPrefix[pre] {
				if columns[n] {
					g.cells[pre][n] = stats[pre+"_"+n]
					used[pre+"_"+n] = true
				}
			}
		}
		sort.Strings(g.rows)
		for n := range columns {
			g.columns = append(g.columns, n)
			if v, ok := stats[n]; ok {
				if g.cells[htmlTotalRow] == nil {
					g.cells[htmlTotalRow] = map[string]float64{}
				}
				g.cells[htmlTotalRow][n] = v
				used[n] = true
			}
		}
		if g.cells[htmlTotalRow] != nil {
			g.rows = append(g.rows, htmlTotalRow)
		}
		order := map[string]int{"hits": 0, "misses": 1, "hit_ratio": 2}
		sort.Slice(g.columns, func(a, b int) bool {
			oa, ok := order[g.columns[a]]
			if !ok {
				oa = 3
			}
			ob, ok := order[g.columns[b]]
			if !ok {
				ob = 3
			}
			if oa != ob {
				return oa < ob
			}
			return g.columns[a] < g.columns[b]
		})
	}
	for _, k := range sortedKeys(stats) {
		if !used[k] {
			g.rest = append(g.rest, k)
		}
	}
	return g
}

// assertionTable lists every assertion with its observed values, each
// comparison's margin and the assertion's score.
func assertionTable(p *PlanDoc, id string) HTMLTable {
	t := HTMLTable{ID: id + "-asserts", Caption: "Assertions"}
	for _, h := range []string{"result", "scenario", "condition", "observed", "margin", "score", "message"} {
		t.Header = append(t.Header, HTMLHead{Text: h, Num: h == "score"})
	}
	k := 0
	for _, s := range p.Scenarios {
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
			obs := FormatObserved(a.Observed, ObservedRefs(a))
			for _, n := range a.Notes {
				tag, _, _ := strings.Cut(n, ":")
				obs += "\n(" + tag + ")"
			}
			var margins []string
			if cmps, _, ok := a.comparisons(p.Variables); ok {
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
				num(aid+"-score", Number(math.Round(AssertionScore(a, p.Variables)*10)/10)),
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
	sec.Tiles = []HTMLTile{
		{ID: id + "-tile-throughput", Label: "throughput", Value: Rate(o.Throughput), Note: fmt.Sprintf("%d ops", o.Ops)},
		{ID: id + "-tile-p99", Label: "latency p99", Value: latencyText(o, o.Latency.P99), Note: "p50 " + latencyText(o, o.Latency.P50)},
		{ID: id + "-tile-errors", Label: "errors", Value: strconv.FormatInt(o.Errors, 10), Note: Percent(o.ErrorRate), Class: map[bool]string{true: "fail", false: ""}[o.Errors > 0]},
	}
	if s.Dropped > 0 {
		sec.Tiles = append(sec.Tiles, HTMLTile{ID: id + "-tile-dropped", Label: "dropped", Value: strconv.FormatInt(s.Dropped, 10), Class: "warn"})
	}
	if r := s.Resources; r != nil {
		sec.Tiles = append(sec.Tiles,
			HTMLTile{ID: id + "-tile-cpu", Label: "cpu", Value: fmt.Sprintf("%.0f%%", r.CPUPercent), Note: "rss " + Bytes(r.RSSPeak)},
			HTMLTile{ID: id + "-tile-gc", Label: "gc pauses", Value: Duration(r.GCPauseP99), Note: fmt.Sprintf("p99 of %d cycles, max %s", r.GCCount, Duration(r.GCPauseMax))},
		)
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

// thinSeries merges groups of consecutive points so that at most limit
// remain: counts add up, throughput is recomputed over the merged span,
// percentiles and workers take the largest. It returns the points and how
// many intervals each merged point holds.
func thinSeries(in []SeriesDoc, limit int) ([]SeriesDoc, int) {
	if len(in) <= limit || limit < 1 {
		return in, 1
	}
	k := (len(in) + limit - 1) / limit
	out := make([]SeriesDoc, 0, limit)
	var prevEnd int64
	for i := 0; i < len(in); i += k {
		g := in[i:min(i+k, len(in))]
		m := g[0]
		for _, p := range g[1:] {
			m.Ops += p.Ops
			m.Errors += p.Errors
			m.P50NS, m.P90NS, m.P95NS, m.P99NS, m.MaxNS = max(m.P50NS, p.P50NS), max(m.P90NS, p.P90NS), max(m.P95NS, p.P95NS), max(m.P99NS, p.P99NS), max(m.MaxNS, p.MaxNS)
			m.LagP99NS = max(m.LagP99NS, p.LagP99NS)
			m.ActiveVUs = max(m.ActiveVUs, p.ActiveVUs)
		}
		m.OffsetNS = g[len(g)-1].OffsetNS
		if span := m.OffsetNS - prevEnd; span > 0 {
			m.Throughput = float64(m.Ops) / (float64(span) / 1e9)
		}
		prevEnd = m.OffsetNS
		out = append(out, m)
	}
	return out, k
}

// positive returns v, or NaN (a gap) when it is not above 0: log scales
// cannot show 0.
func positive(v float64) float64 {
	if v <= 0 {
		return math.NaN()
	}
	return v
}

// ChartSeries returns the series as the HTML report's charts plot it: a
// last interval shorter than half the one before (the moments between the
// last snapshot and the end, when workers are already stopping) is merged
// into the one before, since a rate over a few milliseconds means little;
// then, past htmlMaxPoints points, consecutive points are merged
// (thinSeries). merged is the intervals per point.
func ChartSeries(in []SeriesDoc) (out []SeriesDoc, merged int) {
	if n := len(in); n >= 2 {
		last, prev := in[n-1], in[n-2]
		var before int64
		if n >= 3 {
			before = in[n-3].OffsetNS
		}
		if 2*(last.OffsetNS-prev.OffsetNS) < prev.OffsetNS-before {
			m := prev
			m.OffsetNS = last.OffsetNS
			m.Ops += last.Ops
			m.Errors += last.Errors
			m.P50NS, m.P90NS, m.P95NS, m.P99NS, m.MaxNS = max(m.P50NS, last.P50NS), max(m.P90NS, last.P90NS), max(m.P95NS, last.P95NS), max(m.P99NS, last.P99NS), max(m.MaxNS, last.MaxNS)
			m.LagP99NS = max(m.LagP99NS, last.LagP99NS)
			if span := m.OffsetNS - before; span > 0 {
				m.Throughput = float64(m.Ops) / (float64(span) / 1e9)
			}
			in = append(append([]SeriesDoc(nil), in[:n-2]...), m)
		}
	}
	return thinSeries(in, htmlMaxPoints)
}

func scenarioCharts(s *ScenarioDoc, id string) []HTMLChart {
	var charts []HTMLChart
	series, merged := ChartSeries(s.Series)
	note := ""
	if merged > 1 {
		note = fmt.Sprintf("(%d intervals per point)", merged)
	}
	timeAxis := HTMLAxis{Label: "time", Unit: "s"}
	markers := breakpointTimeMarkers(s.Breakpoint)
	if n := len(series); n > 0 {
		xs := make(HTMLValues, n)
		thr, errs, vus := make(HTMLValues, n), make(HTMLValues, n), make(HTMLValues, n)
		p50, p95, p99, pmax, lag := make(HTMLValues, n), make(HTMLValues, n), make(HTMLValues, n), make(HTMLValues, n), make(HTMLValues, n)
		var hasP95, hasLag bool
		var prev int64
		for i, p := range series {
			xs[i] = float64(p.OffsetNS) / 1e9
			thr[i] = p.Throughput
			if span := p.OffsetNS - prev; span > 0 {
				errs[i] = float64(p.Errors) / (float64(span) / 1e9)
			}
			prev = p.OffsetNS
			vus[i] = float64(p.ActiveVUs)
			p50[i], p95[i], p99[i], pmax[i], lag[i] = positive(float64(p.P50NS)), positive(float64(p.P95NS)), positive(float64(p.P99NS)), positive(float64(p.MaxNS)), positive(float64(p.LagP99NS))
			hasP95 = hasP95 || p.P95NS > 0
			hasLag = hasLag || p.LagP99NS > 0
		}
		charts = append(charts, HTMLChart{ID: id + "-throughput", Title: "Throughput", Note: note, X: timeAxis, Y: HTMLAxis{Label: "ops/s", Unit: "/s", Zero: true}, Xs: xs,
			Series: []HTMLSeries{{Label: "throughput", Color: colorBlue, Data: thr}}, Markers: markers})
		lat := []HTMLSeries{{Label: "p50", Color: colorGreen, Data: p50}}
		if hasP95 {
			lat = append(lat, HTMLSeries{Label: "p95", Color: colorOrange, Data: p95})
		}
		lat = append(lat, HTMLSeries{Label: "p99", Color: colorRed, Data: p99}, HTMLSeries{Label: "max", Color: colorGrey, Dash: true, Width: 1, Data: pmax})
		if hasLag {
			lat = append(lat, HTMLSeries{Label: "schedule lag p99", Color: colorPurple, Dash: true, Data: lag})
		}
		latNote := note
		if isOpenModel(s.Executor) {
			latNote = strings.TrimSpace("from the intended start " + note)
		}
		charts = append(charts, HTMLChart{ID: id + "-latency", Title: "Latency over time", Note: latNote, X: timeAxis, Y: HTMLAxis{Label: "latency", Unit: "ns", Log: true}, Xs: xs, Series: lat, Markers: markers})
		charts = append(charts, HTMLChart{ID: id + "-errors", Title: "Errors", Note: fmt.Sprintf("%d in all", s.Total.Errors), X: timeAxis, Y: HTMLAxis{Label: "errors/s", Unit: "/s", Zero: true}, Xs: xs,
			Series: []HTMLSeries{{Label: "errors", Color: colorRed, Data: errs}}, Markers: markers})
		charts = append(charts, HTMLChart{ID: id + "-workers", Title: "Active workers", Note: fmt.Sprintf("peak %d", s.VUsMax), X: timeAxis, Y: HTMLAxis{Label: "workers", Zero: true}, Xs: xs,
			Series: []HTMLSeries{{Label: "workers", Color: colorBrown, Data: vus}}, Markers: markers})
	}
	charts = append(charts, resourceCharts(s, id, timeAxis)...)
	if c, ok := spectrumChart(s, id); ok {
		charts = append(charts, c)
	}
	if c, ok := breakpointChart(s.Breakpoint, id); ok {
		charts = append(charts, c)
	}
	if c, ok := soakChart(s.Resources, id); ok {
		charts = append(charts, c)
	}
	return charts
}

// breakpointTimeMarkers mark when a breakpoint search broke and recovered.
func breakpointTimeMarkers(b *executor.BreakpointResult) []HTMLMarker {
	if b == nil || !b.Broke {
		return nil
	}
	at := b.BrokeAt.Seconds()
	ms := []HTMLMarker{{X: at, Label: "broke at " + UnitRate(b.BreakingPoint, b.TimeUnit), Color: colorRed}}
	if b.Recovered {
		ms = append(ms, HTMLMarker{X: (b.BrokeAt + b.RecoveryTime).Seconds(), Label: "recovered", Color: colorGreen})
	}
	return ms
}

// resourceCharts are the process's CPU and RSS, and its Go heap and GC
// pauses, over time.
func resourceCharts(s *ScenarioDoc, id string, timeAxis HTMLAxis) []HTMLChart {
	r := s.Resources
	if r == nil || len(r.Heap) == 0 {
		return nil
	}
	n := len(r.Heap)
	xs := make(HTMLValues, n)
	cpu, rss, inUse, live, pause := make(HTMLValues, n), make(HTMLValues, n), make(HTMLValues, n), make(HTMLValues, n), make(HTMLValues, n)
	hasRSS, hasPause := false, false
	for i, h := range r.Heap {
		xs[i] = h.Offset.Seconds()
		cpu[i], rss[i] = h.CPUPercent, float64(h.RSS)
		inUse[i], live[i] = float64(h.InUse), float64(h.Live)
		pause[i] = math.NaN()
		if h.GCPauseMax > 0 {
			pause[i] = float64(h.GCPauseMax)
			hasPause = true
		}
		hasRSS = hasRSS || h.RSS > 0
	}
	var charts []HTMLChart
	if hasRSS {
		charts = append(charts, HTMLChart{ID: id + "-cpu", Title: "CPU and memory", Note: fmt.Sprintf("cpu %.0f%% on average, rss peak %s", r.CPUPercent, Bytes(r.RSSPeak)),
			X: timeAxis, Y: HTMLAxis{Label: "cpu", Unit: "%", Zero: true}, Y2: &HTMLAxis{Label: "rss", Unit: "B", Zero: true}, Xs: xs,
			Series: []HTMLSeries{{Label: "cpu (% of a core)", Color: colorBlue, Data: cpu}, {Label: "rss", Color: colorPurple, Axis: 2, Data: rss}}})
	}
	heap := HTMLChart{ID: id + "-heap", Title: "Go heap and GC pauses", Note: fmt.Sprintf("%d GC cycles, pause p99 %s", r.GCCount, Duration(r.GCPauseP99)),
		X: timeAxis, Y: HTMLAxis{Label: "heap", Unit: "B", Zero: true}, Xs: xs,
		Series: []HTMLSeries{{Label: "heap in use", Color: colorBlue, Data: inUse}, {Label: "heap live", Color: colorGreen, Data: live}}}
	if hasPause {
		heap.Y2 = &HTMLAxis{Label: "gc pause", Unit: "ns", Zero: true}
		heap.Series = append(heap.Series, HTMLSeries{Label: "longest gc pause", Color: colorRed, Axis: 2, Points: true, Data: pause})
	}
	return append(charts, heap)
}

// spectrumQuantiles are percentiles always on the spectrum's grid, so that
// its points read as the tables do.
var spectrumQuantiles = []float64{50, 75, 90, 95, 99, 99.9, 99.99, 99.999, 99.9999}

// spectrumGrid returns the x values (1/(1−p)) of the percentile spectrum
// for histograms of up to n values: twenty per decade and the
// spectrumQuantiles, up to n (beyond which every percentile is the max)
// and at most 10⁶ (99.9999%).
func spectrumGrid(n int64) []float64 {
	limit := math.Min(float64(n), 1e6)
	var xs []float64
	for k := 0; ; k++ {
		x := math.Pow(10, float64(k)/20)
		if x > limit {
			break
		}
		xs = append(xs, x)
	}
	for _, q := range spectrumQuantiles {
		if x := 100 / (100 - q); x <= limit {
			xs = append(xs, x)
		}
	}
	sort.Float64s(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x/out[len(out)-1] > 1+1e-9 {
			out = append(out, x)
		}
	}
	return out
}

// decodeLatency decodes an operation's latency histogram with its dropped
// iterations' lateness, as its latency figures count them; nil when there
// is none.
func decodeLatency(o OpDoc) *hdrhistogram.Histogram {
	h := decodeHist(o.Histogram)
	if om := decodeHist(o.OmitHistogram); om != nil {
		if h == nil {
			return om
		}
		h.Merge(om)
	}
	return h
}

func decodeHist(s string) *hdrhistogram.Histogram {
	if s == "" {
		return nil
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil || h.TotalCount() == 0 {
		return nil
	}
	return h
}

// spectrumCurve is one curve of a percentile spectrum.
type spectrumCurve struct {
	label, color string
	dash         bool
	h            *hdrhistogram.Histogram
}

// spectrumChart is the HDR percentile spectrum: latency against 1/(1−p) on
// log axes, as HdrHistogram plots it, for the scenario, each operation,
// and in open models the service time.
func spectrumChart(s *ScenarioDoc, id string) (HTMLChart, bool) {
	var curves []spectrumCurve
	if h := decodeLatency(s.Total); h != nil {
		curves = append(curves, spectrumCurve{label: "latency (all)", color: colorBlue, h: h})
	}
	if len(s.Ops) > 1 {
		colors := []string{colorGreen, colorOrange, colorPurple, colorBrown, colorGrey}
		for k, o := range s.Ops {
			if h := decodeLatency(o); h != nil {
				curves = append(curves, spectrumCurve{label: o.Name, color: colors[k%len(colors)], h: h})
			}
		}
	}
	if isOpenModel(s.Executor) {
		if h := decodeHist(s.Total.ServiceHistogram); h != nil {
			curves = append(curves, spectrumCurve{label: "service time (all)", color: colorRed, dash: true, h: h})
		}
	}
	c, ok := spectrumFromCurves(id+"-spectrum", curves)
	if ok && s.Total.LatencyLowerBound {
		c.Note = "lower bounds: iterations were dropped"
	}
	return c, ok
}

// SpectrumOverlay is the percentile spectrum of several operations' latency
// histograms, labelled and coloured in order: the compare view overlays
// base and new with it. ok is false when none has a histogram.
func SpectrumOverlay(id string, labels, colors []string, ops []*OpDoc) (HTMLChart, bool) {
	var curves []spectrumCurve
	for i, o := range ops {
		if h := decodeLatency(*o); h != nil {
			curves = append(curves, spectrumCurve{label: labels[i], color: colors[i], h: h})
		}
	}
	return spectrumFromCurves(id, curves)
}

func spectrumFromCurves(id string, curves []spectrumCurve) (HTMLChart, bool) {
	if len(curves) == 0 {
		return HTMLChart{}, false
	}
	var n int64
	for _, c := range curves {
		n = max(n, c.h.TotalCount())
	}
	xs := spectrumGrid(n)
	qs := make([]float64, len(xs))
	for i, x := range xs {
		qs[i] = 100 - 100/x
	}
	c := HTMLChart{ID: id, Title: "Latency by percentile", Note: "HdrHistogram spectrum", X: HTMLAxis{Label: "percentile", Unit: "p", Log: true},
		Y: HTMLAxis{Label: "latency", Unit: "ns", Log: true}, Xs: HTMLValues(xs)}
	for _, cv := range curves {
		vals := cv.h.ValueAtPercentilesSlice(qs)
		data := make(HTMLValues, len(xs))
		for i, x := range xs {
			data[i] = math.NaN()
			if x <= float64(cv.h.TotalCount()) {
				data[i] = positive(float64(vals[i]))
			}
		}
		c.Series = append(c.Series, HTMLSeries{Label: cv.label, Color: cv.color, Dash: cv.dash, Data: data})
	}
	return c, true
}

// breakpointChart plots the search's p99 and throughput against the
// offered rate, with the breaking point and the recovery marked.
func breakpointChart(b *executor.BreakpointResult, id string) (HTMLChart, bool) {
	if b == nil || len(b.Steps) == 0 {
		return HTMLChart{}, false
	}
	type pt struct {
		x, p99, thr float64
		recovery    bool
	}
	var pts []pt
	for _, st := range b.Steps {
		if st.Ops == 0 && st.Intervals == 0 {
			continue
		}
		pts = append(pts, pt{x: st.Rate, p99: float64(st.P99), thr: st.Throughput, recovery: st.Phase == "recovery"})
	}
	if len(pts) == 0 {
		return HTMLChart{}, false
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].x < pts[j].x })
	n := len(pts)
	xs, search, rec, thr := make(HTMLValues, n), make(HTMLValues, n), make(HTMLValues, n), make(HTMLValues, n)
	var recP99 float64
	for i, p := range pts {
		xs[i] = p.x
		search[i], rec[i], thr[i] = math.NaN(), math.NaN(), math.NaN()
		if p.recovery {
			rec[i] = positive(p.p99)
			recP99 = p.p99
		} else {
			search[i] = positive(p.p99)
			thr[i] = p.thr
		}
	}
	unit, label := "/s", "offered rate"
	if b.TimeUnit > 0 && b.TimeUnit != time.Second {
		unit, label = "", "offered rate per "+Duration(b.TimeUnit)
	}
	c := HTMLChart{ID: id + "-breakpoint", Title: "Breaking point: p99 against the offered rate", Note: "stop when " + b.StopWhen,
		X: HTMLAxis{Label: label, Unit: unit}, Y: HTMLAxis{Label: "p99", Unit: "ns", Log: true}, Y2: &HTMLAxis{Label: "throughput", Unit: "/s", Zero: true}, Xs: xs,
		Series: []HTMLSeries{
			{Label: "p99 (search)", Color: colorRed, Span: true, Data: search},
			{Label: "p99 (recovery)", Color: colorGreen, Points: true, Data: rec},
			{Label: "throughput", Color: colorBlue, Axis: 2, Dash: true, Span: true, Data: thr},
		}}
	bp := "breaking point " + UnitRate(b.BreakingPoint, b.TimeUnit)
	if b.Reason == executor.ReasonMaxRate {
		bp = "max_rate held: " + UnitRate(b.BreakingPoint, b.TimeUnit)
	}
	c.Markers = append(c.Markers, HTMLMarker{X: b.BreakingPoint, Label: bp, Color: colorRed})
	if b.Broke && recP99 > 0 {
		label := "not recovered"
		if b.Recovered {
			label = "recovered in " + Duration(b.RecoveryTime)
			if b.RecoveryTime == 0 {
				label = "recovered within an interval"
			}
		}
		y := recP99
		c.Markers = append(c.Markers, HTMLMarker{X: b.RecoveryRate, Y: &y, Label: label, Color: colorGreen})
	}
	return c, true
}

// soakChart plots the live heap, one point per GC cycle as the leak
// regression reads it, with the fitted slope and its 95% confidence band
// (the lines through the points' centroid at the interval's slopes).
func soakChart(r *executor.Resources, id string) (HTMLChart, bool) {
	if r == nil || r.Soak.HeapSamples < 3 {
		return HTMLChart{}, false
	}
	var xs, ys []float64
	var last int64
	for _, h := range r.Heap {
		if h.GCs > last {
			last = h.GCs
			xs = append(xs, h.Offset.Minutes())
			ys = append(ys, float64(h.Live))
		}
	}
	if len(xs) < 3 {
		return HTMLChart{}, false
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(len(xs))
	my /= float64(len(xs))
	sk := r.Soak
	line := func(slope float64) HTMLValues {
		out := make(HTMLValues, len(xs))
		for i, x := range xs {
			out[i] = my + slope*(x-mx)
		}
		return out
	}
	// The band is the region between the lines at the interval's two
	// slopes: above the centroid one is higher, below it the other.
	hi, lo := line(sk.HeapSlopeHigh), line(sk.HeapSlopeLow)
	upper, lower := make(HTMLValues, len(xs)), make(HTMLValues, len(xs))
	for i := range xs {
		upper[i], lower[i] = max(hi[i], lo[i]), min(hi[i], lo[i])
	}
	verdict := "no leak"
	if sk.Leak {
		verdict = "LEAK"
	}
	return HTMLChart{ID: id + "-soak", Title: "Soak: live heap slope",
		Note: fmt.Sprintf("%s/min [%s, %s] over %d GC cycles: %s (threshold %s/min)", Bytes(int64(sk.HeapSlope)), Bytes(int64(sk.HeapSlopeLow)), Bytes(int64(sk.HeapSlopeHigh)), sk.HeapSamples, verdict, Bytes(int64(sk.LeakThreshold))),
		X:    HTMLAxis{Label: "time", Unit: "min"}, Y: HTMLAxis{Label: "live heap", Unit: "B"}, Xs: HTMLValues(xs),
		Series: []HTMLSeries{
			{Label: "live heap (per GC cycle)", Color: colorBlue, Points: true, Data: HTMLValues(ys)},
			{Label: "slope " + Bytes(int64(sk.HeapSlope)) + "/min", Color: colorRed, Line: true, Data: line(sk.HeapSlope)},
			{Label: "95% interval", Color: "rgba(214,39,40,0.45)", Width: 1, Dash: true, Line: true, Data: upper},
			{Label: "95% interval", Color: "rgba(214,39,40,0.45)", Width: 1, Dash: true, Line: true, Data: lower},
		},
		Bands: [][2]int{{2, 3}},
	}, true
}
