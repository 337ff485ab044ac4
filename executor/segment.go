package executor

import (
	"fmt"

	"github.com/perfplan/perfplan/plan"
)

// Execution segments (perfplan run --segment i/n) split a plan's load
// between n processes, usually on n machines, so that the n segments add up
// to the whole plan exactly. The model is k6's execution segments, for n
// equal segments: everything countable in a scenario is numbered from 0
// and segment i takes the things j with j mod n == i (plan.Segment.Share):
//
//   - constant-vus, per-vu-iterations: the workers (10 over 3 segments:
//     4, 3, 3); a per-vu-iterations worker still runs all its iterations.
//   - shared-iterations: the iterations (1,000 over 3: 334, 333, 333) and
//     the workers; a segment with iterations but no worker of its share gets
//     one, so no iteration is lost.
//   - ramping-vus: the workers again. The whole plan's steps (the times at
//     which the global worker count changes) are computed first, and each
//     segment keeps the steps that change its own share: at every moment
//     the segments' active workers add up to the whole plan's.
//   - constant-arrival-rate, ramping-arrival-rate: the arrivals. The whole
//     plan's schedule is kept and segment i runs its iterations i, i+n,
//     i+2n, … (striping): its arrivals interleave with the other segments'
//     at the same intended starts the whole plan has, so the n segments
//     issue exactly the whole plan's iterations, none bunched at the start
//     of a second. pre_allocated_vus and max_vus split like workers (with
//     at least one worker per segment).
//   - breakpoint: not segmentable. The search raises the rate from what it
//     measures; n processes searching apart would find n breaking points,
//     not the target's. SegmentPlan refuses it with an error.
//
// Durations, stages' lengths, start_time, graceful stops, events and
// assertions are the same in every segment. Assertions are evaluated on
// each segment's own figures (a segment's run document records them), and
// again on the merged figures by perfplan merge, whose verdict is the
// plan's.

// SegmentPlan returns a copy of p that runs segment seg of its load; p is not
// changed. A whole segment returns p itself. The error names the scenario
// whose executor cannot be split.
func SegmentPlan(p *plan.Plan, seg plan.Segment) (*plan.Plan, error) {
	if seg.Whole() {
		return p, nil
	}
	if seg.Index < 0 || seg.Index >= seg.Count || seg.Count > plan.MaxSegments {
		return nil, fmt.Errorf("segment %d/%d out of range", seg.Index, seg.Count)
	}
	cp := *p
	cp.Segment = seg
	cp.Scenarios = make([]*plan.Scenario, len(p.Scenarios))
	for i, sc := range p.Scenarios {
		c := *sc
		cfg, ok := sc.Config.(Config)
		if !ok {
			return nil, fmt.Errorf("scenario %s: executor %q has no configuration this package can split", sc.Name, sc.ExecutorName())
		}
		seg, err := cfg.Segment(seg)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		c.Config = seg
		cp.Scenarios[i] = &c
	}
	return &cp, nil
}

// segmentWorkers is a segment's share of n workers.
func segmentWorkers(seg plan.Segment, n int) int { return int(seg.Share(int64(n))) }

// openSegmentWorkers is a segment's share of an open model's workers: at
// least one may run.
func openSegmentWorkers(seg plan.Segment, pre, maxVUs int) (int, int) {
	return segmentWorkers(seg, pre), max(segmentWorkers(seg, maxVUs), 1)
}

// closedWorkers is the number of workers a closed model starts: vus, and
// at least one for the whole plan (a segment's share may be none).
func closedWorkers(vus int, seg plan.Segment) int {
	if seg.Whole() {
		return max(vus, 1)
	}
	return max(vus, 0)
}

// segmentSteps keeps, of the whole plan's worker-count steps, those that
// change the segment's share, with the share as their count.
func segmentSteps(steps []vuStep, start int, seg plan.Segment) []vuStep {
	if seg.Whole() {
		return steps
	}
	out := steps[:0:0]
	cur := segmentWorkers(seg, start)
	for _, st := range steps {
		n := segmentWorkers(seg, st.vus)
		if n == cur {
			continue
		}
		cur = n
		out = append(out, vuStep{at: st.at, vus: n})
	}
	return out
}

// striped returns s run as seg: iteration i of the segment is iteration
// i*Count+Index of s.
func (s *arrivalSchedule) striped(seg plan.Segment) *arrivalSchedule {
	if seg.Whole() {
		return s
	}
	s.stride, s.offset = int64(seg.Count), int64(seg.Index)
	return s
}
