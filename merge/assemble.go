package merge

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/profiling"
	"github.com/perfplan/perfplan/report"
)

// The assemble step: the merged document, plans and scenarios.

// newDocument returns the merged document without its plans: the first
// document's environment, the hosts of all, the earliest start and the
// latest end.
func newDocument(docs []*report.Document, opts Options) *report.Document {
	out := &report.Document{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "perfplan", Version: opts.Version, DurationScale: docs[0].Tool.DurationScale},
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
	return out
}

// mergePlan merges the segments of one plan run.
func mergePlan(segs []segPart, info *report.MergeInfo, opts Options) (report.PlanDoc, error) {
	pd := planHeader(segs, info)
	first := segs[0].p
	for _, name := range scenarioNames(segs) {
		sd, notes, err := mergeScenario(scenarioParts(segs, name), first, opts)
		if err != nil {
			return report.PlanDoc{}, fmt.Errorf("scenario %s: %w", name, err)
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
	// Plan-level assertions read scenarios across a whole run (see
	// report/crossdoc.go); they are not evaluated again here, and say so
	// rather than vanish.
	for _, a := range first.Assertions {
		a.Passed, a.Comparisons = false, nil
		a.Error = "plan-level assertions are not evaluated again on merged segments; run the plan whole to check them"
		pd.Assertions = append(pd.Assertions, a)
		passed = false
	}
	pd.Passed = passed
	return pd, nil
}

// planHeader returns the merged plan without its scenarios: its span, and
// the segments' errors, each prefixed with its segment.
func planHeader(segs []segPart, info *report.MergeInfo) report.PlanDoc {
	first := segs[0].p
	pd := report.PlanDoc{
		Name: first.Name, File: first.File, Hash: first.Hash, Variables: first.Variables,
		Start: first.Start, End: first.End, Merged: info, Scenarios: []report.ScenarioDoc{},
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
	return pd
}

// mergeScenario merges the segments' figures of one scenario and evaluates
// its assertions on them. notes are lines for the plan's errors.
func mergeScenario(parts []scenarioPart, pd *report.PlanDoc, opts Options) (report.ScenarioDoc, []string, error) {
	first := parts[0].sd
	for _, p := range parts[1:] {
		if p.sd.Executor != first.Executor {
			return report.ScenarioDoc{}, nil, fmt.Errorf("executor %s in %s, %s in %s", first.Executor, parts[0].source, p.sd.Executor, p.source)
		}
	}
	start, end, elapsed := scenarioSpan(parts)
	r := &executor.ScenarioResult{
		Name: first.Name, Executor: first.Executor, Start: start, End: end, Elapsed: elapsed,
		AllowOmitted: first.AllowOmitted,
	}
	if err := mergeOps(r, parts); err != nil {
		return report.ScenarioDoc{}, nil, err
	}
	segDocs, saturated, satSegs := addSegments(r, parts)
	var notes []string
	var note string
	r.TargetStats, note = mergeTargetStats(parts, opts.Kind)
	if note != "" {
		notes = append(notes, fmt.Sprintf("scenario %s: %s", first.Name, note))
	}
	r.Series = mergeSeries(parts, start, elapsed)
	r.Resources = mergeResources(parts, r.Series)
	compileErrs := judge(r, first, pd, opts)
	// A runner saturated in any segment marks the merged scenario: its
	// own reason when the merged figures show it too, else the segments'.
	switch {
	case len(saturated) == 0:
	case r.Saturated != "":
		r.Saturated += fmt.Sprintf(" (saturated in segment%s %s)", plural(len(satSegs)), strings.Join(satSegs, ", "))
	default:
		r.Saturated = strings.Join(saturated, "; ")
	}
	sd := report.ScenarioDocOf(r)
	sd.Target = first.Target
	sd.Segments = segDocs
	sd.Profile = profiling.MergeDocs(scenarioDocs(parts))
	markAssertions(&sd, parts, compileErrs)
	return sd, notes, nil
}

// scenarioDocs are the parts' scenario documents.
func scenarioDocs(parts []scenarioPart) []*report.ScenarioDoc {
	out := make([]*report.ScenarioDoc, len(parts))
	for i, p := range parts {
		out[i] = p.sd
	}
	return out
}

// scenarioSpan is the scenario's wall-clock span over its segments; the
// longest segment's when the clocks give none.
func scenarioSpan(parts []scenarioPart) (start, end time.Time, elapsed time.Duration) {
	start, end = parts[0].sd.Start, parts[0].sd.End
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
	elapsed = end.Sub(start)
	if elapsed <= 0 {
		elapsed = time.Duration(longest)
	}
	return start, end, elapsed
}

// mergeOps merges each operation's figures, the total's and each stage's
// into r.
func mergeOps(r *executor.ScenarioResult, parts []scenarioPart) error {
	open := executor.IsOpen(r.Executor)
	for _, name := range opNames(parts) {
		st, err := mergeOp(name, opDocs(parts, name), open, r.Elapsed)
		if err != nil {
			return err
		}
		r.Ops = append(r.Ops, st)
	}
	var err error
	if r.Total, err = mergeOp("total", totalDocs(parts), open, r.Elapsed); err != nil {
		return err
	}
	r.Stages, err = mergeStages(parts, open)
	return err
}

// addSegments adds the segments' counters, failures and errors to r and
// returns each segment's own figures, and the runner saturation reasons
// and the segments they came from.
func addSegments(r *executor.ScenarioResult, parts []scenarioPart) (segDocs []report.SegmentDoc, saturated, satSegs []string) {
	var aborts []string
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
		segDocs = append(segDocs, report.SegmentDoc{
			Segment: p.seg, Source: p.source, Host: p.host, Start: s.Start, End: s.End, ElapsedNS: s.ElapsedNS,
			Ops: s.Total.Ops, Errors: s.Total.Errors, Dropped: s.Dropped, VUsMax: s.VUsMax, Passed: passed,
			TargetStats: s.TargetStats, Resources: s.Resources, RunnerSaturated: s.RunnerSaturated,
		})
	}
	r.AbortReason = strings.Join(aborts, "; ")
	return segDocs, saturated, satSegs
}

// judge compiles the scenario's assertions again and evaluates them on
// the merged figures in r. It returns, by assertion index, why a condition
// could not be compiled.
func judge(r *executor.ScenarioResult, first *report.ScenarioDoc, pd *report.PlanDoc, opts Options) map[int]string {
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
	return compileErrs
}

// compileCondition compiles src with c, or fails when there is no c.
func compileCondition(c report.Conditions, src string, vars map[string]any) (plan.Condition, error) {
	if c == nil {
		return nil, errors.New("no condition compiler was given")
	}
	return c.CompileCondition(src, vars)
}

// markAssertions fails the assertions whose condition did not compile and
// marks those that stopped a segment's scenario as aborted.
func markAssertions(sd *report.ScenarioDoc, parts []scenarioPart, compileErrs map[int]string) {
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
}
