package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// MergeInfo says which segments a plan that perfplan merge made holds.
type MergeInfo struct {
	// Count is the number of segments the plan's load was split into.
	Count int `json:"count"`
	// Segments are the indexes of the segments merged, ascending.
	Segments []int `json:"segments"`
	// Missing are the indexes of the segments that were not given; Partial
	// is set when there are any (perfplan merge --allow-partial): the
	// figures then cover only part of the plan's load.
	Missing []int `json:"missing,omitempty"`
	Partial bool  `json:"partial,omitempty"`
}

// SegmentDoc is one segment's own figures in a merged scenario, beside the
// merged ones.
type SegmentDoc struct {
	Segment plan.Segment `json:"segment"`
	// Source names the segment's run document (its file).
	Source    string    `json:"source,omitempty"`
	Host      string    `json:"host,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	ElapsedNS int64     `json:"elapsed_ns"`
	Ops       int64     `json:"ops"`
	Errors    int64     `json:"errors"`
	Dropped   int64     `json:"dropped"`
	VUsMax    int       `json:"vus_max"`
	// Passed says whether the scenario's assertions held on this segment's
	// own share of the load, as its run evaluated them.
	Passed          bool                `json:"passed"`
	TargetStats     map[string]float64  `json:"target_stats,omitempty"`
	Resources       *executor.Resources `json:"resources,omitempty"`
	RunnerSaturated string              `json:"runner_saturated,omitempty"`
}

// MergeOptions tune Merge.
type MergeOptions struct {
	// AllowPartial merges plans some of whose segments are missing, and
	// marks them partial; without it a missing segment is an error.
	AllowPartial bool
	// Sources name the documents, in order, in errors and in the merged
	// document (their files); documents without one are "document N".
	Sources []string
	// Kind returns a registered target kind by name, so that target
	// statistics merge as counters (summed), gauges (the largest) and
	// ratios (recomputed from the summed counters). A nil Kind, or an
	// unknown kind, sums every statistic but averages those named
	// *ratio by operations, and the plan's errors say so.
	Kind func(name string) (*targets.Kind, bool)
	// Baseline answers baseline.* metrics of the re-evaluated assertions,
	// as perfplan run --baseline; nil: such assertions fail with a reason.
	Baseline *Baseline
	// Version is the merging perfplan's version, for the document's tool.
	Version string
	// Conditions compiles the assertions' conditions again (dsl.Conditions);
	// nil: each assertion fails saying that it could not be evaluated.
	Conditions Conditions
}

// mergedErrSamples is how many distinct error messages a merged operation
// keeps, as a run does.
const mergedErrSamples = 5

// Merge joins the run documents of segments of the same plans (perfplan run
// --segment I/N, one document per segment) into one document, as if one
// process had run the whole load:
//
//   - HDR histograms (latency, service time, schedule lag, dropped
//     iterations' lateness) merge exactly, and every percentile is computed
//     again from them; counters (operations, errors, dropped, cut, panics)
//     are summed; the peak of workers is the sum of the segments' peaks.
//   - The scenario spans from its earliest segment's start to its latest
//     segment's end (wall-clock), and throughput is over that span.
//   - The per-interval series are aligned on wall-clock time: each point
//     falls in the merged interval in which it ended; counts add up, and a
//     merged point's percentiles are the largest of its segments' (an upper
//     bound: the intervals' histograms are not kept).
//   - Target statistics: see MergeOptions.Kind. Each segment's own values
//     stay in the scenario's Segments.
//   - Resources stay per segment (Segments) and are summarised: CPU time
//     and GC cycles summed; peaks (RSS, heap, goroutines, GC pauses) the
//     largest segment's; allocations per operation over all operations; the
//     soak analysis over the merged series, with the heap regression of the
//     segment whose heap grew fastest.
//   - Assertions are compiled again from their recorded text
//     (MergeOptions.Conditions, with the plan's variables) and evaluated on
//     the merged figures, with the trust rules of a run (dropped
//     iterations, a closed model's stall); a runner that any segment found
//     saturated marks the merged scenario.
//
// The documents must hold the same plans (by name and repetition), each a
// segment of the same plan file (hash), variables, duration scale and
// number of segments, no segment twice, and every segment unless
// AllowPartial; the error names the problem and the documents.
func Merge(docs []*Document, opts MergeOptions) (*Document, error) {
	if len(docs) == 0 {
		return nil, errors.New("merge: no run documents")
	}
	src := func(i int) string {
		if i < len(opts.Sources) && opts.Sources[i] != "" {
			return opts.Sources[i]
		}
		return fmt.Sprintf("document %d", i+1)
	}
	type key struct {
		name string
		rep  int
	}
	keysOf := func(d *Document) []key {
		rep, _ := d.Repetitions()
		ks := make([]key, len(d.Plans))
		for i, p := range d.Plans {
			ks[i] = key{p.Name, rep[i]}
		}
		return ks
	}
	describe := func(ks []key) string {
		var s []string
		for _, k := range ks {
			if k.rep > 1 {
				s = append(s, fmt.Sprintf("%s (repetition %d)", k.name, k.rep))
			} else {
				s = append(s, k.name)
			}
		}
		if len(s) == 0 {
			return "no plan"
		}
		return "plan " + strings.Join(s, ", ")
	}
	order := keysOf(docs[0])
	sorted := func(ks []key) []key {
		out := slices.Clone(ks)
		slices.SortFunc(out, func(a, b key) int {
			if c := strings.Compare(a.name, b.name); c != 0 {
				return c
			}
			return a.rep - b.rep
		})
		return out
	}
	for i, d := range docs[1:] {
		if !slices.Equal(sorted(keysOf(d)), sorted(order)) {
			return nil, fmt.Errorf("merge: different plans: %s holds %s, %s holds %s", src(0), describe(order), src(i+1), describe(keysOf(d)))
		}
		if d.Tool.DurationScale != docs[0].Tool.DurationScale {
			return nil, fmt.Errorf("merge: different duration scales: %s ran with --duration-scale %g, %s with %g",
				src(0), docs[0].Tool.DurationScale, src(i+1), d.Tool.DurationScale)
		}
	}
	type part struct {
		doc int
		p   *PlanDoc
	}
	groups := map[key][]part{}
	for i, d := range docs {
		for j, k := range keysOf(d) {
			groups[k] = append(groups[k], part{i, &d.Plans[j]})
		}
	}

	out := &Document{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "perfplan", Version: opts.Version, DurationScale: docs[0].Tool.DurationScale},
		Environment:   docs[0].Environment,
		Start:         docs[0].Start,
		End:           docs[0].End,
	}
	var hosts []string
	for _, d := range docs {
		if d.Start.Before(out.Start) {
			out.Start = d.Start
		}
		if d.End.After(out.End) {
			out.End = d.End
		}
		out.Interrupted = out.Interrupted || d.Interrupted
		if h := d.Environment.Host; h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	out.Environment.Host = strings.Join(hosts, ",")

	for _, k := range order {
		parts := groups[k]
		first := parts[0]
		label := describe([]key{k})
		var segs []segPart
		for _, pt := range parts {
			p := pt.p
			if p.Segment == nil {
				return nil, fmt.Errorf("merge: %s: %s is a whole run, not a segment (run it with --segment I/N)", src(pt.doc), label)
			}
			if p.Hash != first.p.Hash {
				return nil, fmt.Errorf("merge: different plan versions: %s is %s in %s and %s in %s (the plan file changed between the runs)",
					label, shortHash(first.p.Hash), src(first.doc), shortHash(p.Hash), src(pt.doc))
			}
			if p.Segment.Count != first.p.Segment.Count {
				return nil, fmt.Errorf("merge: %s: %s ran segment %s and %s segment %s: the runs split the load differently",
					label, src(first.doc), first.p.Segment, src(pt.doc), p.Segment)
			}
			if !sameJSON(p.Variables, first.p.Variables) {
				return nil, fmt.Errorf("merge: different variables: %s ran with %s in %s and with %s in %s",
					label, jsonText(first.p.Variables), src(first.doc), jsonText(p.Variables), src(pt.doc))
			}
			for _, s := range segs {
				if s.seg.Index == p.Segment.Index {
					return nil, fmt.Errorf("merge: overlapping segments: %s and %s both ran segment %s of %s", s.source, src(pt.doc), p.Segment, label)
				}
			}
			segs = append(segs, segPart{seg: *p.Segment, source: src(pt.doc), host: docs[pt.doc].Environment.Host, p: p})
		}
		sort.Slice(segs, func(i, j int) bool { return segs[i].seg.Index < segs[j].seg.Index })
		n := first.p.Segment.Count
		info := &MergeInfo{Count: n}
		for _, s := range segs {
			info.Segments = append(info.Segments, s.seg.Index)
		}
		for i := range n {
			if !slices.Contains(info.Segments, i) {
				info.Missing = append(info.Missing, i)
			}
		}
		if len(info.Missing) > 0 {
			if !opts.AllowPartial {
				return nil, fmt.Errorf("merge: %s: missing segment%s %s of %d (given: %s); run %s, or merge with --allow-partial to mark the result partial",
					label, plural(len(info.Missing)), indexList(info.Missing), n, givenList(segs), them(len(info.Missing)))
			}
			info.Partial = true
		}
		pd, err := mergePlan(segs, info, opts)
		if err != nil {
			return nil, fmt.Errorf("merge: %s: %w", label, err)
		}
		pd.Repetition = first.p.Repetition
		out.Interrupted = out.Interrupted || pd.Interrupted
		out.Plans = append(out.Plans, pd)
	}
	out.Passed = !out.Interrupted
	for _, p := range out.Plans {
		out.Passed = out.Passed && p.Passed
	}
	return out, nil
}

// segPart is one segment's plan document.
type segPart struct {
	seg    plan.Segment
	source string
	host   string
	p      *PlanDoc
}

func (s segPart) prefix() string { return "segment " + s.seg.String() + ": " }

// mergePlan merges the segments of one plan run.
func mergePlan(segs []segPart, info *MergeInfo, opts MergeOptions) (PlanDoc, error) {
	first := segs[0].p
	pd := PlanDoc{
		Name: first.Name, File: first.File, Hash: first.Hash, Variables: first.Variables,
		Start: first.Start, End: first.End, Merged: info, Scenarios: []ScenarioDoc{},
	}
	var errs []string
	for _, s := range segs {
		p := s.p
		if p.Start.Before(pd.Start) {
			pd.Start = p.Start
		}
		if p.End.After(pd.End) {
			pd.End = p.End
		}
		pd.Interrupted = pd.Interrupted || p.Interrupted
		if p.Error != "" {
			errs = append(errs, s.prefix()+p.Error)
		}
		for _, e := range p.Errors {
			pd.Errors = append(pd.Errors, s.prefix()+e)
		}
	}
	pd.Error = strings.Join(errs, "; ")
	if info.Partial {
		pd.Errors = append(pd.Errors, fmt.Sprintf("partial merge: segment%s %s of %d missing; the figures cover %d of the %d segments of the load",
			plural(len(info.Missing)), indexList(info.Missing), info.Count, len(info.Segments), info.Count))
	}
	// The scenarios, in the order of the first segment that ran them.
	var names []string
	for _, s := range segs {
		for _, sc := range s.p.Scenarios {
			if !slices.Contains(names, sc.Name) {
				names = append(names, sc.Name)
			}
		}
	}
	for _, name := range names {
		var parts []scenarioPart
		for _, s := range segs {
			for i := range s.p.Scenarios {
				if s.p.Scenarios[i].Name == name {
					parts = append(parts, scenarioPart{segPart: s, sd: &s.p.Scenarios[i]})
				}
			}
		}
		sd, notes, err := mergeScenario(parts, first, opts)
		if err != nil {
			return PlanDoc{}, fmt.Errorf("scenario %s: %w", name, err)
		}
		pd.Errors = append(pd.Errors, notes...)
		pd.Scenarios = append(pd.Scenarios, sd)
	}
	passed := pd.Error == "" && !pd.Interrupted
	for _, sc := range pd.Scenarios {
		if sc.TargetFailure != "" {
			passed = false
		}
		for _, a := range sc.Assertions {
			passed = passed && a.Passed
		}
	}
	pd.Passed = passed
	return pd, nil
}

// scenarioPart is one segment's figures of a scenario.
type scenarioPart struct {
	segPart
	sd *ScenarioDoc
}

// mergeScenario merges the segments' figures of one scenario and evaluates
// its assertions on them. notes are lines for the plan's errors.
func mergeScenario(parts []scenarioPart, pd *PlanDoc, opts MergeOptions) (ScenarioDoc, []string, error) {
	first := parts[0].sd
	for _, p := range parts[1:] {
		if p.sd.Executor != first.Executor {
			return ScenarioDoc{}, nil, fmt.Errorf("executor %s in %s, %s in %s", first.Executor, parts[0].source, p.sd.Executor, p.source)
		}
	}
	start, end := first.Start, first.End
	var longest int64
	for _, p := range parts {
		if p.sd.Start.Before(start) {
			start = p.sd.Start
		}
		if p.sd.End.After(end) {
			end = p.sd.End
		}
		longest = max(longest, p.sd.ElapsedNS)
	}
	elapsed := end.Sub(start)
	if elapsed <= 0 {
		elapsed = time.Duration(longest)
	}
	open := executor.IsOpen(first.Executor)

	r := &executor.ScenarioResult{
		Name: first.Name, Executor: first.Executor, Start: start, End: end, Elapsed: elapsed,
		AllowOmitted: first.AllowOmitted,
	}
	var err error
	var opNames []string
	for _, p := range parts {
		for _, o := range p.sd.Ops {
			if !slices.Contains(opNames, o.Name) {
				opNames = append(opNames, o.Name)
			}
		}
	}
	for _, name := range opNames {
		var ods []*OpDoc
		for _, p := range parts {
			for i := range p.sd.Ops {
				if p.sd.Ops[i].Name == name {
					ods = append(ods, &p.sd.Ops[i])
				}
			}
		}
		st, e := mergeOp(name, ods, open, elapsed)
		if e != nil {
			return ScenarioDoc{}, nil, e
		}
		r.Ops = append(r.Ops, st)
	}
	var totals []*OpDoc
	for _, p := range parts {
		totals = append(totals, &p.sd.Total)
	}
	if r.Total, err = mergeOp("total", totals, open, elapsed); err != nil {
		return ScenarioDoc{}, nil, err
	}

	var saturated, satSegs, aborts []string
	var segDocs []SegmentDoc
	for _, p := range parts {
		s := p.sd
		r.Dropped += s.Dropped
		r.Cut += s.Cut
		r.CutRampDown += s.CutRampDown
		r.CutInterrupt += s.CutInterrupt
		r.VUsMax += s.VUsMax
		r.Panics += s.Panics
		r.Interrupted = r.Interrupted || s.Interrupted
		if s.Aborted {
			r.Aborted = true
			aborts = append(aborts, p.prefix()+s.AbortReason)
		}
		if s.TargetFailure != "" {
			r.TargetFailure = joinLine(r.TargetFailure, p.prefix()+s.TargetFailure)
		}
		for _, e := range s.WorkerErrors {
			r.WorkerErrors = append(r.WorkerErrors, p.prefix()+e)
		}
		for _, e := range s.EventErrors {
			r.EventErrors = append(r.EventErrors, p.prefix()+e)
		}
		if s.RunnerSaturated != "" {
			saturated = append(saturated, p.prefix()+s.RunnerSaturated)
			satSegs = append(satSegs, p.seg.String())
		}
		passed := s.TargetFailure == ""
		for _, a := range s.Assertions {
			passed = passed && a.Passed
		}
		segDocs = append(segDocs, SegmentDoc{
			Segment: p.seg, Source: p.source, Host: p.host, Start: s.Start, End: s.End, ElapsedNS: s.ElapsedNS,
			Ops: s.Total.Ops, Errors: s.Total.Errors, Dropped: s.Dropped, VUsMax: s.VUsMax, Passed: passed,
			TargetStats: s.TargetStats, Resources: s.Resources, RunnerSaturated: s.RunnerSaturated,
		})
	}
	r.AbortReason = strings.Join(aborts, "; ")
	var notes []string
	var note string
	r.TargetStats, note = mergeTargetStats(parts, opts.Kind)
	if note != "" {
		notes = append(notes, fmt.Sprintf("scenario %s: %s", first.Name, note))
	}
	r.Series = mergeSeries(parts, start, elapsed)
	r.Resources = mergeResources(parts, r.Series)

	sc := &plan.Scenario{Name: first.Name, AllowOmitted: first.AllowOmitted}
	compileErrs := map[int]string{}
	for i, a := range first.Assertions {
		pa := &plan.Assertion{Expr: a.Condition, ErrorMessage: a.ErrorMessage, Pos: a.Pos, AbortOnFail: a.AbortOnFail}
		cond, err := compileCondition(opts.Conditions, a.Condition, pd.Variables)
		if err != nil {
			compileErrs[i] = "cannot evaluate the condition again on the merged figures: " + err.Error()
		} else {
			pa.Condition = cond
		}
		sc.Asserts = append(sc.Asserts, pa)
	}
	var baseline func(scenario, metric string) (float64, error)
	if opts.Baseline != nil {
		b, name := opts.Baseline, pd.Name
		baseline = func(scenario, metric string) (float64, error) { return b.Metric(name, scenario, metric) }
	}
	executor.Judge(r, sc, baseline)
	// A runner saturated in any segment marks the merged scenario: its
	// own reason when the merged figures show it too, else the segments'.
	switch {
	case len(saturated) == 0:
	case r.Saturated != "":
		r.Saturated += fmt.Sprintf(" (saturated in segment%s %s)", plural(len(satSegs)), strings.Join(satSegs, ", "))
	default:
		r.Saturated = strings.Join(saturated, "; ")
	}
	sd := scenarioDoc(r)
	sd.Target = first.Target
	sd.Segments = segDocs
	for i := range sd.Assertions {
		if msg, ok := compileErrs[i]; ok {
			sd.Assertions[i].Error = msg
			sd.Assertions[i].Passed = false
		}
		for _, p := range parts {
			if i < len(p.sd.Assertions) && p.sd.Assertions[i].Aborted && !sd.Assertions[i].Aborted {
				sd.Assertions[i].Aborted = true
				sd.Assertions[i].AbortComparisons = p.sd.Assertions[i].AbortComparisons
			}
		}
	}
	return sd, notes, nil
}

// mergeOp merges one operation's (or the total's) figures: counts summed,
// histograms merged, everything else computed again from them.
func mergeOp(name string, ods []*OpDoc, open bool, elapsed time.Duration) (executor.OpStats, error) {
	var ops, errs int64
	lat, svc, lag, omit := metrics.NewHist(), metrics.NewHist(), metrics.NewHist(), metrics.NewHist()
	var samples []executor.ErrorSample
	for _, o := range ods {
		ops += o.Ops
		errs += o.Errors
		for _, h := range []struct {
			into *hdrhistogram.Histogram
			enc  string
			what string
		}{{lat, o.Histogram, "histogram"}, {svc, o.ServiceHistogram, "service_histogram"}, {lag, o.LagHistogram, "schedule_lag_histogram"}, {omit, o.OmitHistogram, "omitted_histogram"}} {
			if h.enc == "" {
				continue
			}
			dec, err := hdrhistogram.Decode([]byte(h.enc))
			if err != nil {
				return executor.OpStats{}, fmt.Errorf("operation %s: decode %s: %w", name, h.what, err)
			}
			h.into.Merge(dec)
		}
		if o.Ops > 0 && o.Histogram == "" {
			return executor.OpStats{}, fmt.Errorf("operation %s: a segment recorded %d operations but no histogram, so its percentiles cannot be merged", name, o.Ops)
		}
		samples = mergeSamples(samples, o.ErrorSamples)
	}
	var svcH, lagH, omitH *hdrhistogram.Histogram
	if open {
		svcH, lagH = svc, lag
	}
	if omit.TotalCount() > 0 {
		omitH = omit
	}
	st := executor.SummarizeOp(name, ops, errs, lat, svcH, lagH, omitH, elapsed)
	st.ErrorSamples = samples
	return st, nil
}

// mergeSamples adds the error samples add to into, by message, keeping at
// most mergedErrSamples messages.
func mergeSamples(into, add []executor.ErrorSample) []executor.ErrorSample {
	for _, s := range add {
		i := slices.IndexFunc(into, func(x executor.ErrorSample) bool { return x.Message == s.Message })
		switch {
		case i >= 0:
			into[i].Count += s.Count
		case len(into) < mergedErrSamples:
			into = append(into, s)
		}
	}
	return into
}

// mergeTargetStats merges the segments' target statistics: counters summed,
// gauges the largest, ratios recomputed from the summed counters. Without
// the target's kind, every statistic is summed except those named *ratio,
// which are averaged weighted by operations; note says so.
func mergeTargetStats(parts []scenarioPart, kindOf func(string) (*targets.Kind, bool)) (map[string]float64, string) {
	var any bool
	for _, p := range parts {
		any = any || len(p.sd.TargetStats) > 0
	}
	if !any {
		return nil, ""
	}
	kindName, _, _ := strings.Cut(parts[0].sd.Target, ".")
	var kind *targets.Kind
	if kindOf != nil && kindName != "" {
		kind, _ = kindOf(kindName)
	}
	out := map[string]float64{}
	if kind == nil {
		var ops float64
		for _, p := range parts {
			ops += float64(p.sd.Total.Ops)
		}
		for _, p := range parts {
			for name, v := range p.sd.TargetStats {
				if strings.HasSuffix(name, "ratio") {
					if ops > 0 {
						out[name] += v * float64(p.sd.Total.Ops) / ops
					} else {
						out[name] += v / float64(len(parts))
					}
					continue
				}
				out[name] += v
			}
		}
		what := "its kind"
		if kindName != "" {
			what = "kind " + kindName
		}
		return out, fmt.Sprintf("the target's %s is not registered in this perfplan, so its statistics are summed over the segments (those named *ratio averaged by operations); gauges among them may read too high", what)
	}
	gauge := map[string]bool{}
	for _, g := range kind.Gauges {
		gauge[g] = true
	}
	seen := map[string]bool{}
	for _, p := range parts {
		for name, v := range p.sd.TargetStats {
			_, ratio := kind.Ratios[name]
			switch {
			case ratio:
			case gauge[name]:
				if !seen[name] || v > out[name] {
					out[name] = v
				}
			default:
				out[name] += v
			}
			seen[name] = true
		}
	}
	for name, r := range kind.Ratios {
		if !seen[name] {
			continue
		}
		sum := func(names []string) float64 {
			var t float64
			for _, n := range names {
				t += out[n]
			}
			return t
		}
		out[name] = 0
		if d := sum(r.Den); d != 0 {
			out[name] = sum(r.Num) / d
		}
	}
	return out, ""
}

// mergeSeries aligns the segments' per-interval series on wall-clock time:
// a point that ended at time t falls in merged interval ceil((t-start)/iv),
// iv being the longest of the segments' (median) intervals. Counts add up;
// a merged point's percentiles are the largest of its segments', and its
// workers the sum of each segment's most in the interval.
func mergeSeries(parts []scenarioPart, start time.Time, elapsed time.Duration) []executor.SeriesPoint {
	var iv time.Duration
	for _, p := range parts {
		iv = max(iv, seriesInterval(p.sd.Series))
	}
	if iv <= 0 {
		return nil
	}
	type bucket struct {
		p   executor.SeriesPoint
		vus map[int]int // per part
	}
	buckets := map[int64]*bucket{}
	for pi, p := range parts {
		for _, pt := range p.sd.Series {
			at := p.sd.Start.Add(time.Duration(pt.OffsetNS)).Sub(start)
			k := max(int64(math.Ceil(float64(at)/float64(iv))), 1)
			b := buckets[k]
			if b == nil {
				b = &bucket{vus: map[int]int{}}
				buckets[k] = b
			}
			b.p.Ops += pt.Ops
			b.p.Errors += pt.Errors
			b.p.P50 = max(b.p.P50, time.Duration(pt.P50NS))
			b.p.P90 = max(b.p.P90, time.Duration(pt.P90NS))
			b.p.P99 = max(b.p.P99, time.Duration(pt.P99NS))
			b.p.Max = max(b.p.Max, time.Duration(pt.MaxNS))
			b.vus[pi] = max(b.vus[pi], pt.ActiveVUs)
		}
	}
	keys := make([]int64, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]executor.SeriesPoint, 0, len(keys))
	for _, k := range keys {
		b := buckets[k]
		p := b.p
		p.Offset = time.Duration(k) * iv
		from := p.Offset - iv
		if elapsed > from && elapsed < p.Offset {
			p.Offset = elapsed
		}
		if span := p.Offset - from; span > 0 {
			p.Throughput = float64(p.Ops) / span.Seconds()
		}
		for _, v := range b.vus {
			p.ActiveVUs += v
		}
		out = append(out, p)
	}
	return out
}

// seriesInterval is the median length of a series' intervals.
func seriesInterval(s []SeriesDoc) time.Duration {
	if len(s) == 0 {
		return 0
	}
	d := make([]int64, len(s))
	prev := int64(0)
	for i, p := range s {
		d[i] = p.OffsetNS - prev
		prev = p.OffsetNS
	}
	slices.Sort(d)
	return time.Duration(d[len(d)/2])
}

// mergeResources summarises the segments' resource figures (see Merge), or
// returns nil when no segment sampled them.
func mergeResources(parts []scenarioPart, series []executor.SeriesPoint) *executor.Resources {
	var out executor.Resources
	var found bool
	var allocs, ops float64
	var heapFrom *executor.Resources
	var ios []*executor.IO
	for _, p := range parts {
		r := p.sd.Resources
		if r == nil {
			continue
		}
		found = true
		out.CPUUserSeconds += r.CPUUserSeconds
		out.CPUSystemSeconds += r.CPUSystemSeconds
		out.CPUPercent += r.CPUPercent
		out.RSSPeak = max(out.RSSPeak, r.RSSPeak)
		out.HeapInUsePeak = max(out.HeapInUsePeak, r.HeapInUsePeak)
		out.HeapInUseEnd = max(out.HeapInUseEnd, r.HeapInUseEnd)
		out.GCCount += r.GCCount
		out.GCPauseP99 = max(out.GCPauseP99, r.GCPauseP99)
		out.GCPauseMax = max(out.GCPauseMax, r.GCPauseMax)
		out.GoroutinesMax = max(out.GoroutinesMax, r.GoroutinesMax)
		ios = append(ios, r.IO)
		allocs += r.AllocsPerOp * float64(p.sd.Total.Ops)
		ops += float64(p.sd.Total.Ops)
		if heapFrom == nil || r.Soak.HeapSlope > heapFrom.Soak.HeapSlope {
			heapFrom = r
		}
	}
	if !found {
		return nil
	}
	if ops > 0 {
		out.AllocsPerOp = allocs / ops
	}
	out.IO = executor.SumIO(ios)
	out.Soak = executor.SummarizeSoak(series, nil, heapFrom.Soak.LeakThreshold)
	hs := heapFrom.Soak
	out.Soak.HeapSlope, out.Soak.HeapSlopeLow, out.Soak.HeapSlopeHigh = hs.HeapSlope, hs.HeapSlopeLow, hs.HeapSlopeHigh
	out.Soak.HeapSamples, out.Soak.LeakThreshold = hs.HeapSamples, hs.LeakThreshold
	for _, p := range parts {
		if r := p.sd.Resources; r != nil && r.Soak.Leak {
			out.Soak.Leak = true
		}
	}
	return &out
}

func joinLine(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return "(no hash)"
	}
	return h
}

func sameJSON(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return jsonText(a) == jsonText(b)
}

func jsonText(v map[string]any) string {
	if len(v) == 0 {
		return "no variables"
	}
	b, err := json.Marshal(v) // map keys are sorted
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func indexList(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

func givenList(segs []segPart) string {
	s := make([]string, len(segs))
	for i, p := range segs {
		s[i] = p.seg.String() + " from " + p.source
	}
	return strings.Join(s, ", ")
}
