package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// Segment is one of Count equal shares of a plan's load, numbered Index
// from 0 (perfplan run --segment INDEX/COUNT), with k6's execution-segment
// semantics for equal segments: everything countable in a scenario (workers,
// iterations, arrivals) is numbered 0, 1, 2, … and segment i takes the
// things numbered j with j mod Count == i. The Count segments so add up to
// the whole plan exactly, with no rounding loss, and in an open model their
// arrivals interleave (striping) instead of bunching.
//
// The zero value, like any Count of at most 1, is the whole plan.
type Segment struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// MaxSegments bounds a Segment's Count.
const MaxSegments = 10000

// Whole reports whether s is the whole plan (no segmentation).
func (s Segment) Whole() bool { return s.Count <= 1 }

// String writes s as "INDEX/COUNT", or "whole".
func (s Segment) String() string {
	if s.Whole() {
		return "whole"
	}
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count)
}

// ParseSegment parses "INDEX/COUNT" with 0 <= INDEX < COUNT <= MaxSegments.
func ParseSegment(text string) (Segment, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(text), "/")
	if !ok {
		return Segment{}, fmt.Errorf("want INDEX/COUNT such as 0/3, got %q", text)
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case err1 != nil || err2 != nil:
		return Segment{}, fmt.Errorf("want INDEX/COUNT as whole numbers, got %q", text)
	case n < 1 || n > MaxSegments:
		return Segment{}, fmt.Errorf("segment count %d out of range [1, %d]", n, MaxSegments)
	case i < 0 || i >= n:
		return Segment{}, fmt.Errorf("segment index %d out of range [0, %d) for %d segments", i, n, n)
	}
	return Segment{Index: i, Count: n}, nil
}

// Share returns the segment's share of v whole things numbered 0..v-1: how
// many j < v have j mod Count == Index. The shares of the Count segments
// add up to v (10 over 3 segments: 4, 3, 3). The whole plan's share is v.
func (s Segment) Share(v int64) int64 {
	if s.Whole() || v <= 0 {
		return max(v, 0)
	}
	n, i := int64(s.Count), int64(s.Index)
	if v <= i {
		return 0
	}
	return (v-i-1)/n + 1
}

// Owns reports whether thing j (numbered from 0) belongs to the segment.
func (s Segment) Owns(j int64) bool {
	return s.Whole() || j%int64(s.Count) == int64(s.Index)
}
