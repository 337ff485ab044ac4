package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/olekukonko/tablewriter/tw"
)

// HistFormat is the name of the bucketed latency histogram format, given
// with its bucket bounds as vegeta's report takes them:
// "hist[0,1ms,5ms,10ms]".
const HistFormat = "hist"

// ParseHistFormat reads a format "hist[B0,B1,...]": the bounds of the
// latency buckets [B0, B1), [B1, B2), ..., [Bn, +Inf), as Go durations (a
// bare 0 is allowed), ascending; Buckets adds [0, B0). ok is false when format is not a hist
// format at all; err says what is wrong with one that is.
func ParseHistFormat(format string) (bounds []time.Duration, ok bool, err error) {
	inner, found := strings.CutPrefix(format, HistFormat+"[")
	if !found {
		return nil, false, nil
	}
	inner, found = strings.CutSuffix(inner, "]")
	if !found || strings.TrimSpace(inner) == "" {
		return nil, true, fmt.Errorf("format %q: want hist[B0,B1,...], bucket bounds such as hist[0,1ms,5ms,10ms]", format)
	}
	for _, f := range strings.Split(inner, ",") {
		f = strings.TrimSpace(f)
		d, err := time.ParseDuration(f)
		if err != nil {
			return nil, true, fmt.Errorf("format %q: bound %q is not a duration (1ms, 250us, 0)", format, f)
		}
		if d < 0 || len(bounds) > 0 && d <= bounds[len(bounds)-1] {
			return nil, true, fmt.Errorf("format %q: bounds must be 0 or more and ascending; %s is not", format, f)
		}
		bounds = append(bounds, d)
	}
	return bounds, true, nil
}

// LatencyHist decodes o's latency histogram with the dropped iterations'
// lateness merged in, as Latency summarises them (their values are lower
// bounds); nil when o has neither.
func (o OpDoc) LatencyHist() (*hdrhistogram.Histogram, error) {
	var h *hdrhistogram.Histogram
	for _, enc := range []string{o.Histogram, o.OmitHistogram} {
		if enc == "" {
			continue
		}
		d, err := hdrhistogram.Decode([]byte(enc))
		if err != nil {
			return nil, fmt.Errorf("decode histogram of %s: %w", o.Name, err)
		}
		if h == nil {
			h = d
		} else {
			h.Merge(d)
		}
	}
	return h, nil
}

// HistBucket is one bucket of a bucketed histogram: the operations whose
// latency is in [From, To) (To is +Inf for the last).
type HistBucket struct {
	From, To time.Duration
	Count    int64
}

// Buckets counts h's values in the buckets that bounds make, with a
// bucket [0, B0) first when the first bound B0 is above 0, so that every
// value is in a bucket. A value is counted by its HdrHistogram bucket,
// whose width is at most 0.1 % of the value (3 significant digits): near
// a bound the count is exact to that width.
func Buckets(h *hdrhistogram.Histogram, bounds []time.Duration) []HistBucket {
	if len(bounds) > 0 && bounds[0] > 0 {
		bounds = append([]time.Duration{0}, bounds...)
	}
	out := make([]HistBucket, len(bounds))
	for i, b := range bounds {
		out[i] = HistBucket{From: b, To: time.Duration(math.MaxInt64)}
		if i+1 < len(bounds) {
			out[i].To = bounds[i+1]
		}
	}
	if h == nil {
		return out
	}
	for _, bar := range h.Distribution() {
		if bar.Count == 0 {
			continue
		}
		v := time.Duration(bar.From)
		for i := len(out) - 1; i >= 0; i-- {
			if v >= out[i].From {
				out[i].Count += bar.Count
				break
			}
		}
	}
	return out
}

// WriteHist writes, per plan, scenario and operation (the scenario's
// total first, then each operation when there are several), how many
// operations took a latency in each bucket, with their share and a bar,
// as vegeta's report -type=hist does. Latency is from the intended start
// in open models. Notes under the table say what qualifies the counts:
// dropped iterations counted at their lateness (lower bounds), failed
// operations (counted too), a saturated runner, a target that failed to
// start, a run interrupted or aborted.
func WriteHist(w io.Writer, d *Document, bounds []time.Duration) error {
	const barWidth = 40
	for i := range d.Plans {
		p := &d.Plans[i]
		if _, err := fmt.Fprintf(w, "plan %s\n", p.Name); err != nil {
			return fmt.Errorf("write hist: %w", err)
		}
		if p.Error != "" {
			fmt.Fprintf(w, "  could not run: %s\n", p.Error)
			continue
		}
		t := NewTable(w, []string{"scenario", "op", "bucket", "#", "%", "histogram"},
			[]tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignLeft}, 0).Keys(2)
		var notes []string
		if p.Interrupted {
			notes = append(notes, "interrupted by a signal: partial results")
		}
		for _, s := range p.Scenarios {
			notes = append(notes, histScenarioNotes(&s)...)
			ops := []OpDoc{s.Total}
			if len(s.Ops) > 1 {
				ops = append(ops, s.Ops...)
			}
			for j, o := range ops {
				name := o.Name
				if j == 0 {
					name = "(all)"
				}
				h, err := o.LatencyHist()
				if err != nil {
					return fmt.Errorf("write hist: scenario %s: %w", s.Name, err)
				}
				bs := Buckets(h, bounds)
				var total int64
				if h != nil {
					total = h.TotalCount()
				}
				if o.Omitted > 0 {
					notes = append(notes, fmt.Sprintf("%s %s: %d dropped iterations are counted at their lateness when dropped (lower bounds)", s.Name, name, o.Omitted))
				}
				if o.Errors > 0 {
					notes = append(notes, fmt.Sprintf("%s %s: %d of the %d operations failed; their latencies are in the buckets too", s.Name, name, o.Errors, o.Ops))
				}
				for k, b := range bs {
					share := 0.0
					if total > 0 {
						share = float64(b.Count) / float64(total)
					}
					sc, op := "", ""
					if k == 0 {
						op = name
						if j == 0 {
							sc = s.Name
						}
					}
					if err := t.Append([]string{sc, op, bucketLabel(b), fmt.Sprint(b.Count), Percent(share),
						strings.Repeat("#", int(math.Round(share*barWidth)))}); err != nil {
						return fmt.Errorf("write hist: %w", err)
					}
				}
			}
		}
		if err := t.Render(); err != nil {
			return fmt.Errorf("write hist: %w", err)
		}
		for _, n := range notes {
			fmt.Fprintln(w, "  "+n)
		}
	}
	return nil
}

// histScenarioNotes say what qualifies scenario s's buckets: a target
// that failed to start (no operations), a run cut short, a saturated
// runner (its lateness is in the latencies).
func histScenarioNotes(s *ScenarioDoc) []string {
	var notes []string
	if s.TargetFailure != "" {
		notes = append(notes, fmt.Sprintf("%s: the target failed to start: %s", s.Name, s.TargetFailure))
	}
	if s.Interrupted {
		notes = append(notes, s.Name+": interrupted by a signal: partial results")
	}
	if s.Aborted {
		notes = append(notes, s.Name+": stopped early by an abort_on_fail assertion")
	}
	if s.RunnerSaturated != "" {
		notes = append(notes, fmt.Sprintf("%s: the runner was saturated (%s): its own lateness is in the latencies", s.Name, s.RunnerSaturated))
	}
	return notes
}

// bucketLabel is "[1ms, 5ms)" or "[10ms, +Inf)".
func bucketLabel(b HistBucket) string {
	to := "+Inf"
	if b.To != time.Duration(math.MaxInt64) {
		to = Duration(b.To)
	}
	return fmt.Sprintf("[%s, %s)", Duration(b.From), to)
}
