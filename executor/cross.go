package executor

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/perfplan/perfplan/compare/paired"
	"github.com/perfplan/perfplan/plan"
)

// peers holds the scenarios' results as each finishes, so that an
// assertion reading another scenario's figures (scenario.NAME.X) or a
// duet's (duet.NAME.X) waits until those scenarios have finished, and no
// longer. A scenario publishes its result before it evaluates its own
// assertions, so two scenarios that read each other do not wait for each
// other's assertions.
type peers struct {
	p     *plan.Plan
	index map[string]int
	done  []chan struct{}
	res   []*ScenarioResult

	mu    sync.Mutex
	duets map[string]*DuetResult // computed once all members finished
}

func newPeers(p *plan.Plan) *peers {
	pe := &peers{p: p, index: map[string]int{}, done: make([]chan struct{}, len(p.Scenarios)),
		res: make([]*ScenarioResult, len(p.Scenarios)), duets: map[string]*DuetResult{}}
	for i, sc := range p.Scenarios {
		pe.index[sc.Name] = i
		pe.done[i] = make(chan struct{})
	}
	return pe
}

// publish makes scenario i's result readable by the others.
func (pe *peers) publish(i int, r *ScenarioResult) {
	pe.res[i] = r
	close(pe.done[i])
}

// await waits until every scenario that refs read has finished.
func (pe *peers) await(refs []string) {
	if pe == nil {
		return
	}
	for _, name := range plan.CrossScenarios(refs, pe.p.Duets) {
		if i, ok := pe.index[name]; ok {
			<-pe.done[i]
		}
	}
}

// result returns scenario name's result once it has finished; nil when
// there is no such scenario.
func (pe *peers) result(name string) *ScenarioResult {
	i, ok := pe.index[name]
	if !ok {
		return nil
	}
	<-pe.done[i]
	return pe.res[i]
}

// duet returns the paired comparison of duet name, computed the first
// time it is asked for, once its members have finished; nil when the plan
// has no such duet.
func (pe *peers) duet(name string) *DuetResult {
	var d *plan.Duet
	for _, x := range pe.p.Duets {
		if x.Name == name {
			d = x
		}
	}
	if d == nil {
		return nil
	}
	members := make([]*ScenarioResult, 0, len(d.Members))
	for _, m := range d.Members {
		r := pe.result(m)
		if r == nil {
			return nil
		}
		members = append(members, r)
	}
	pe.mu.Lock()
	defer pe.mu.Unlock()
	if r, ok := pe.duets[name]; ok {
		return r
	}
	r := CompareDuet(d, members)
	pe.duets[name] = r
	return r
}

// duetResults returns the plan's duets in plan order, computing those no
// assertion asked for. It is called once every scenario has finished.
func (pe *peers) duetResults() []*DuetResult {
	var out []*DuetResult
	for _, d := range pe.p.Duets {
		if r := pe.duet(d.Name); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// crossMetrics resolves scenario.NAME.X and duet.NAME.X through peers, and
// every other name through m.
type crossMetrics struct {
	m     plan.Metrics // nil at plan level
	peers *peers
}

// Metric implements plan.Metrics.
func (c crossMetrics) Metric(name string) (float64, bool) {
	if sc, metric, ok := plan.SplitScenarioRef(name); ok {
		if c.peers == nil {
			return 0, false
		}
		r := c.peers.result(sc)
		if r == nil {
			return 0, false
		}
		return r.Metric(metric)
	}
	if d, _, ok := plan.SplitDuetRef(name); ok {
		if c.peers == nil {
			return 0, false
		}
		r := c.peers.duet(d)
		if r == nil {
			return 0, false
		}
		return r.Metric(name)
	}
	if c.m == nil {
		return 0, false
	}
	return c.m.Metric(name)
}

// missing explains why the cross-scenario metric name has no value, or
// returns "" when it has one or is not a cross-scenario metric.
func (c crossMetrics) missing(name string) string {
	sc, metric, isScenario := plan.SplitScenarioRef(name)
	_, _, isDuet := plan.SplitDuetRef(name)
	if !isScenario && !isDuet {
		return ""
	}
	if _, ok := c.Metric(name); ok {
		return ""
	}
	if c.peers == nil {
		return fmt.Sprintf("%s has no value: another scenario's figures are read only within a run of the whole plan", name)
	}
	if isScenario {
		return fmt.Sprintf("%s has no value: scenario %s has no %s", name, sc, metric)
	}
	if why := c.declined(name); why != "" {
		return fmt.Sprintf("%s has no value: %s", name, why)
	}
	return fmt.Sprintf("%s has no value", name)
}

// declined returns why the duet figure that name reads gave no verdict
// (too few pairs, or pairs too correlated for an interval: the machine
// drifted during the run), or "" when name is no declined duet figure.
// An assertion that reads one is inconclusive, not failed: the run could
// not measure the difference, which says nothing about the variants.
func (c crossMetrics) declined(name string) string {
	d, _, ok := plan.SplitDuetRef(name)
	if !ok || c.peers == nil {
		return ""
	}
	r := c.peers.duet(d)
	if r == nil {
		return ""
	}
	long := r.longName(name)
	for _, f := range r.Figures {
		if strings.HasPrefix(long, f.prefix) && f.Result.Declined {
			return f.Result.Reason
		}
	}
	return ""
}

// crossTrust returns the trust notes of the cross-scenario latencies that
// refs read, each prefixed with its scenario's name, and the reason to fail
// an assertion that held on them, if any (see trustNotes).
func (c crossMetrics) crossTrust(refs []string) (notes []string, fail string) {
	if c.peers == nil {
		return nil, ""
	}
	byScenario := map[string][]string{}
	var order []string
	for _, ref := range refs {
		if sc, metric, ok := plan.SplitScenarioRef(ref); ok {
			if _, seen := byScenario[sc]; !seen {
				order = append(order, sc)
			}
			byScenario[sc] = append(byScenario[sc], metric)
		}
	}
	for _, sc := range order {
		r := c.peers.result(sc)
		if r == nil {
			continue
		}
		ns, f := r.trustNotes(byScenario[sc])
		for _, n := range ns {
			notes = append(notes, inScenario(n, sc))
		}
		if f != "" && fail == "" {
			fail = inScenario(f, sc)
		}
	}
	return notes, fail
}

// inScenario names scenario sc in the note n after its tag, the text
// before its first colon: "runner saturated (scenario old): ...".
func inScenario(n, sc string) string {
	tag, rest, ok := strings.Cut(n, ":")
	if !ok {
		return n + " (scenario " + sc + ")"
	}
	return tag + " (scenario " + sc + "):" + rest
}

// DuetResult is the paired comparison of a duet's members: for each
// member after the first and each figure, the per-interval figures of the
// member against the first's, pair by pair (see package compare/paired).
type DuetResult struct {
	Name    string
	Members []string
	// Method names the pairing statistics.
	Method  string
	Figures []DuetFigure
	// Notes say what limits the comparison, such as members whose
	// intervals do not line up.
	Notes []string
}

// DuetFigure is one figure of one member against the reference.
type DuetFigure struct {
	// Member is the compared scenario; Figure is one of plan.DuetFigures.
	Member, Figure string
	Result         paired.Result
	// prefix is the metric prefix duet.NAME.MEMBER.FIGURE.
	prefix string
}

// duetConfidence is the level of the duets' intervals.
const duetConfidence = 0.95

// CompareDuet pairs the intervals of the duet's members, given in the
// duet's order: the first is the reference. The series' first and last
// intervals are left out (partial), and intervals pair in order: the i-th
// of each member ends at the same offset from its start.
func CompareDuet(d *plan.Duet, members []*ScenarioResult) *DuetResult {
	out := &DuetResult{Name: d.Name, Members: append([]string(nil), d.Members...), Method: paired.Method}
	if len(members) < 2 {
		return out
	}
	ref := members[0]
	for _, m := range members[1:] {
		if m.Start.Sub(ref.Start).Abs() > 100*time.Millisecond {
			out.Notes = append(out.Notes, fmt.Sprintf("%s started %v after %s: its intervals pair with the reference's by offset, not by time", m.Name, m.Start.Sub(ref.Start).Round(time.Millisecond), ref.Name))
		}
		for _, f := range plan.DuetFigures {
			a, b := pairSeries(ref.Series, m.Series, f)
			out.Figures = append(out.Figures, DuetFigure{Member: m.Name, Figure: f, Result: paired.Compare(a, b, duetConfidence),
				prefix: plan.DuetPrefix + d.Name + "." + m.Name + "." + f + "."})
		}
	}
	return out
}

// pairSeries returns the figure f of the intervals of both series, the
// i-th of one with the i-th of the other (each interval ends at the same
// offset from its scenario's start), without each series' first and last
// points and without pairs where either interval completed nothing.
func pairSeries(a, b []SeriesPoint, f string) (xs, ys []float64) {
	n := min(len(a), len(b))
	for i := 1; i < n-1; i++ {
		if a[i].Ops == 0 || b[i].Ops == 0 {
			continue
		}
		xs = append(xs, seriesFigure(a[i], f))
		ys = append(ys, seriesFigure(b[i], f))
	}
	return xs, ys
}

// seriesFigure is one of plan.DuetFigures of an interval.
func seriesFigure(p SeriesPoint, f string) float64 {
	switch f {
	case "latency.p50":
		return float64(p.P50)
	case "latency.p90":
		return float64(p.P90)
	case "latency.p95":
		return float64(p.P95)
	case "latency.p99":
		return float64(p.P99)
	case "latency.max":
		return float64(p.Max)
	case "throughput":
		return p.Throughput
	}
	return 0
}

// longName returns the duet metric name with its member: for two members,
// duet.NAME.FIGURE.STAT is duet.NAME.MEMBER.FIGURE.STAT.
func (r *DuetResult) longName(name string) string {
	if len(r.Members) == 2 {
		short := plan.DuetPrefix + r.Name + "."
		if rest, ok := strings.CutPrefix(name, short); ok && !strings.HasPrefix(rest, r.Members[1]+".") {
			return short + r.Members[1] + "." + rest
		}
	}
	return name
}

// Metric resolves the duet metric name, duet.NAME.MEMBER.FIGURE.STAT or,
// for two members, duet.NAME.FIGURE.STAT.
func (r *DuetResult) Metric(name string) (float64, bool) {
	name = r.longName(name)
	for _, f := range r.Figures {
		stat, ok := strings.CutPrefix(name, f.prefix)
		if !ok {
			continue
		}
		res := f.Result
		switch stat {
		case "pairs":
			return float64(res.Pairs), true
		case "change":
			return res.Change, !res.Declined
		case "low":
			return res.Low, !res.Declined
		case "high":
			return res.High, !res.Declined
		}
	}
	return 0, false
}
