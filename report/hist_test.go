package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/executor/metrics"
)

func TestParseHistFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    []time.Duration
		isHist  bool
		wantErr string
	}{
		{"hist[0,1ms,5ms]", []time.Duration{0, time.Millisecond, 5 * time.Millisecond}, true, ""},
		{"hist[ 250us , 2s ]", []time.Duration{250 * time.Microsecond, 2 * time.Second}, true, ""},
		{"table", nil, false, ""},
		{"histogram", nil, false, ""},
		{"hist[]", nil, true, "want hist[B0,B1,...]"},
		{"hist[0,1ms", nil, true, "want hist[B0,B1,...]"},
		{"hist[0,abc]", nil, true, `bound "abc" is not a duration`},
		{"hist[5ms,1ms]", nil, true, "ascending; 1ms is not"},
		{"hist[1ms,1ms]", nil, true, "ascending; 1ms is not"},
		{"hist[-1ms]", nil, true, "0 or more"},
	} {
		got, isHist, err := ParseHistFormat(tc.in)
		switch {
		case isHist != tc.isHist:
			t.Errorf("%q: hist %v, want %v", tc.in, isHist, tc.isHist)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.wantErr)
		case tc.wantErr == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.wantErr == "" && !slices.Equal(got, tc.want):
			t.Errorf("%q: %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestWriteHist checks the buckets' counts against known latencies (none
// near a bound, where HdrHistogram's 0.1 % resolution decides), a bucket
// [0, B0) for the values below the first bound, the dropped iterations'
// lateness counted and noted, the shares and bars, and the notes on
// failures, a saturated runner, a target that failed and an interruption.
func TestWriteHist(t *testing.T) {
	t.Parallel()
	lat, omit := metrics.NewHist(), metrics.NewHist()
	for _, v := range []struct {
		d time.Duration
		n int64
	}{{50 * time.Microsecond, 5}, {500 * time.Microsecond, 10}, {2 * time.Millisecond, 20}, {20 * time.Millisecond, 5}} {
		if err := lat.RecordValues(int64(v.d), v.n); err != nil {
			t.Fatal(err)
		}
	}
	if err := omit.RecordValues(int64(30*time.Millisecond), 10); err != nil {
		t.Fatal(err)
	}
	o := OpDoc{Name: "get", Histogram: encodeHist(lat), OmitHistogram: encodeHist(omit), Omitted: 10}
	bounds := []time.Duration{100 * time.Microsecond, time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond}
	h, err := o.LatencyHist()
	if err != nil {
		t.Fatal(err)
	}
	var counts []int64
	for _, b := range Buckets(h, bounds) {
		counts = append(counts, b.Count)
	}
	if want := []int64{5, 10, 20, 0, 15}; !slices.Equal(counts, want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	o.Ops, o.Errors = 45, 3
	d := &Document{Plans: []PlanDoc{{Name: "p", Scenarios: []ScenarioDoc{
		{Name: "s", Total: o, RunnerSaturated: "schedule lag p99 40ms"},
		{Name: "t", TargetFailure: "dial tcp: refused", Interrupted: true},
	}}, {Name: "down", Error: "dial tcp: refused"}}}
	var b bytes.Buffer
	if err := WriteHist(&b, d, bounds); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, w := range []string{
		"[0, 100µs)       │  5 │ 10.0% │ ####             ",
		"[100µs, 1.00ms)  │ 10 │ 20.0% │ ########         ",
		"[1.00ms, 5.00ms) │ 20 │ 40.0% │ ################ ",
		"[10.0ms, +Inf)   │ 15 │ 30.0% │ ############     ",
		"s (all): 10 dropped iterations are counted at their lateness when dropped (lower bounds)",
		"s (all): 3 of the 45 operations failed; their latencies are in the buckets too",
		"s: the runner was saturated (schedule lag p99 40ms): its own lateness is in the latencies",
		"t: the target failed to start: dial tcp: refused",
		"t: interrupted by a signal: partial results",
		"plan down\n  could not run: dial tcp: refused",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}
