// Package merge joins the run documents of segments of the same plans
// (perfplan run --segment I/N, one document per segment) into one document,
// as if one process had run the whole load: perfplan merge.
//
// It works in three steps: check (check.go) that the documents can merge
// (same plans, plan file, variables, duration scale and number of
// segments, no segment twice, none missing unless allowed); group
// (group.go) each plan's segments, each scenario's parts and each
// operation's figures; assemble (assemble.go, figures.go) the merged plan
// and scenario documents from them and judge the assertions again.
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
//   - Target statistics: see Options.Kind. Each segment's own values stay
//     in the scenario's Segments.
//   - Resources stay per segment (Segments) and are summarised: CPU time
//     and GC cycles summed; peaks (RSS, heap, goroutines, GC pauses) the
//     largest segment's; allocations per operation over all operations; the
//     soak analysis over the merged series, with the heap regression of the
//     segment whose heap grew fastest.
//   - Assertions are compiled again from their recorded text
//     (Options.Conditions, with the plan's variables) and evaluated on the
//     merged figures, with the trust rules of a run (dropped iterations, a
//     closed model's stall); a runner that any segment found saturated
//     marks the merged scenario.
package merge

import (
	"errors"
	"fmt"

	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/targets"
)

// Options tune Documents.
type Options struct {
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
	Baseline *report.Baseline
	// Version is the merging perfplan's version, for the document's tool.
	Version string
	// Conditions compiles the assertions' conditions again (dsl.Conditions);
	// nil: each assertion fails saying that it could not be evaluated.
	Conditions report.Conditions
}

// source names document i in errors and in the merged document.
func (o Options) source(i int) string {
	if i < len(o.Sources) && o.Sources[i] != "" {
		return o.Sources[i]
	}
	return fmt.Sprintf("document %d", i+1)
}

// Documents merges docs (see the package's documentation). The documents
// must hold the same plans (by name and repetition), each a segment of the
// same plan file (hash), variables, duration scale and number of segments,
// no segment twice, and every segment unless AllowPartial; the error names
// the problem and the documents.
func Documents(docs []*report.Document, opts Options) (*report.Document, error) {
	if len(docs) == 0 {
		return nil, errors.New("merge: no run documents")
	}
	if err := checkDocuments(docs, opts); err != nil {
		return nil, err
	}
	groups := groupPlans(docs)
	out := newDocument(docs, opts)
	for _, k := range keysOf(docs[0]) {
		parts := groups[k]
		label := describe([]planKey{k})
		segs, err := checkSegments(docs, parts, label, opts)
		if err != nil {
			return nil, err
		}
		info, err := segmentInfo(segs, parts[0].p.Segment.Count, label, opts.AllowPartial)
		if err != nil {
			return nil, err
		}
		pd, err := mergePlan(segs, info, opts)
		if err != nil {
			return nil, fmt.Errorf("merge: %s: %w", label, err)
		}
		pd.Repetition = parts[0].p.Repetition
		out.Interrupted = out.Interrupted || pd.Interrupted
		out.Plans = append(out.Plans, pd)
	}
	out.Passed = !out.Interrupted
	for _, p := range out.Plans {
		out.Passed = out.Passed && p.Passed
	}
	return out, nil
}
