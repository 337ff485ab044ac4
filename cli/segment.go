package cli

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
)

// maxStartAhead bounds run --start-at: a common start further ahead is more
// likely a mistake (a time in milliseconds, a wrong day) than a plan.
const maxStartAhead = 24 * time.Hour

// segmentFlag is run --segment INDEX/COUNT.
type segmentFlag struct{ seg *plan.Segment }

func (f segmentFlag) String() string {
	if f.seg == nil || f.seg.Whole() {
		return ""
	}
	return f.seg.String()
}

func (f segmentFlag) Set(s string) error {
	seg, err := plan.ParseSegment(s)
	if err != nil {
		return err
	}
	*f.seg = seg
	return nil
}

// startAtFlag is run --start-at TIME: RFC 3339 or a Unix time in seconds.
type startAtFlag struct{ t *time.Time }

func (f startAtFlag) String() string {
	if f.t == nil || f.t.IsZero() {
		return ""
	}
	return f.t.UTC().Format(time.RFC3339Nano)
}

func (f startAtFlag) Set(s string) error {
	t, err := parseStartAt(s)
	if err != nil {
		return err
	}
	*f.t = t
	return nil
}

// parseStartAt reads an RFC 3339 time (2026-01-02T15:04:05Z) or a Unix time
// in seconds, whole or with a fraction (1767366245, 1767366245.5).
func parseStartAt(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "eEnNiI") {
		if v <= 0 || math.IsInf(v, 0) || v > 1e11 {
			return time.Time{}, fmt.Errorf("Unix time %s out of range", s)
		}
		sec, frac := math.Modf(v)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))), nil
	}
	return time.Time{}, errors.New("want an RFC 3339 time such as 2026-01-02T15:04:05Z, or a Unix time in seconds")
}

// checkStartAt reports a start time that has passed or lies more than
// maxStartAhead ahead of now.
func checkStartAt(at, now time.Time) error {
	switch {
	case !at.After(now):
		return fmt.Errorf("--start-at %s is %v in the past; give a time ahead, when every segment will have started",
			at.UTC().Format(time.RFC3339), now.Sub(at).Round(time.Millisecond))
	case at.Sub(now) > maxStartAhead:
		return fmt.Errorf("--start-at %s is %v ahead, more than %s; is it in milliseconds, or on the wrong day?",
			at.UTC().Format(time.RFC3339), at.Sub(now).Round(time.Second), shortDuration(maxStartAhead))
	}
	return nil
}

// segmentPlans returns the plans cut down to segment seg of their load.
func segmentPlans(plans []*plan.Plan, seg plan.Segment) ([]*plan.Plan, error) {
	if seg.Whole() {
		return plans, nil
	}
	out := make([]*plan.Plan, len(plans))
	for i, p := range plans {
		sp, err := executor.SegmentPlan(p, seg)
		if err != nil {
			return nil, fmt.Errorf("--segment %s: plan %s (%s): %w", seg, p.Name, p.File, err)
		}
		out[i] = sp
	}
	return out, nil
}
