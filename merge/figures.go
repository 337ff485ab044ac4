package merge

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/targets"
)

// The figures of the assemble step: operations, error samples, target
// statistics, series and resources, each merged over a scenario's parts.

// mergedErrSamples is how many distinct error messages a merged operation
// keeps, as a run does.
const mergedErrSamples = 5

// mergeOp merges one operation's (or the total's) figures: counts summed,
// histograms merged, everything else computed again from them.
func mergeOp(name string, ods []*report.OpDoc, open bool, elapsed time.Duration) (executor.OpStats, error) {
	var ops, errs int64
	hists := map[plan.Family]*hdrhistogram.Histogram{}
	for _, f := range plan.LatencyFamilies() {
		hists[f.Family] = metrics.NewHist()
	}
	omit := metrics.NewHist()
	var samples []executor.ErrorSample
	for _, o := range ods {
		ops += o.Ops
		errs += o.Errors
		for _, f := range plan.LatencyFamilies() {
			if err := mergeEncoded(hists[f.Family], o.FamilyHistogram(f.Family), f.HistogramKey); err != nil {
				return executor.OpStats{}, fmt.Errorf("operation %s: %w", name, err)
			}
		}
		if err := mergeEncoded(omit, o.OmitHistogram, "omitted_histogram"); err != nil {
			return executor.OpStats{}, fmt.Errorf("operation %s: %w", name, err)
		}
		if o.Ops > 0 && o.Histogram == "" {
			return executor.OpStats{}, fmt.Errorf("operation %s: a segment recorded %d operations but no histogram, so its percentiles cannot be merged", name, o.Ops)
		}
		samples = mergeSamples(samples, o.ErrorSamples)
	}
	// A closed model measures no open-only family.
	hist := func(f plan.Family) *hdrhistogram.Histogram {
		if f.Desc().OpenOnly && !open {
			return nil
		}
		return hists[f]
	}
	var omitH *hdrhistogram.Histogram
	if omit.TotalCount() > 0 {
		omitH = omit
	}
	st := executor.SummarizeOp(name, ops, errs, hist, omitH, elapsed)
	st.ErrorSamples = samples
	return st, nil
}

// mergeEncoded merges the histogram enc (the run document's field key,
// base64 V2; "" for none) into into.
func mergeEncoded(into *hdrhistogram.Histogram, enc, key string) error {
	if enc == "" {
		return nil
	}
	dec, err := hdrhistogram.Decode([]byte(enc))
	if err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	into.Merge(dec)
	return nil
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
func seriesInterval(s []report.SeriesDoc) time.Duration {
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

// mergeResources summarises the segments' resource figures (see the package's documentation), or
// returns nil when no segment sampled them.
func mergeResources(parts []scenarioPart, series []executor.SeriesPoint) *executor.Resources {
	var out executor.Resources
	var sampled []*executor.Resources
	var ops []int64
	var heapFrom *executor.Resources
	var ios []*executor.IO
	for _, p := range parts {
		r := p.sd.Resources
		if r == nil {
			continue
		}
		sampled = append(sampled, r)
		ops = append(ops, p.sd.Total.Ops)
		ios = append(ios, r.IO)
		if heapFrom == nil || r.Soak.HeapSlope > heapFrom.Soak.HeapSlope {
			heapFrom = r
		}
	}
	if len(sampled) == 0 {
		return nil
	}
	// The process figures, each by its rule (plan.ProcessResources).
	out.MergeFigures(sampled, ops)
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

// mergeStages joins the segments' per-stage figures, stage by stage (the
// segments run the same stages at the same time): counters add, histograms
// merge, and each stage spans the widest of its segments' spans.
func mergeStages(parts []scenarioPart, open bool) ([]executor.StageResult, error) {
	var out []executor.StageResult
	for i := range parts[0].sd.Stages {
		first := parts[0].sd.Stages[i]
		st := executor.StageResult{Name: first.Name, Index: first.Index, Target: first.Target,
			Start: time.Duration(first.StartNS), End: time.Duration(first.EndNS)}
		var totals []*report.OpDoc
		byOp := map[string][]*report.OpDoc{}
		var opNames []string
		for _, p := range parts {
			if i >= len(p.sd.Stages) {
				continue
			}
			s := &p.sd.Stages[i]
			st.Start, st.End = min(st.Start, time.Duration(s.StartNS)), max(st.End, time.Duration(s.EndNS))
			totals = append(totals, &s.Total)
			for j := range s.Ops {
				if _, ok := byOp[s.Ops[j].Name]; !ok {
					opNames = append(opNames, s.Ops[j].Name)
				}
				byOp[s.Ops[j].Name] = append(byOp[s.Ops[j].Name], &s.Ops[j])
			}
		}
		var err error
		if st.Total, err = mergeOp("total", totals, open, st.End-st.Start); err != nil {
			return nil, err
		}
		for _, name := range opNames {
			o, err := mergeOp(name, byOp[name], open, st.End-st.Start)
			if err != nil {
				return nil, err
			}
			st.Ops = append(st.Ops, o)
		}
		out = append(out, st)
	}
	return out, nil
}
