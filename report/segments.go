package report

import (
	"time"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
)

// The parts of a document that package merge fills in: a merged plan's
// segments.

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
