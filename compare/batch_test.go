package compare

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchmath"

	"github.com/perfplan/perfplan/compare/paired"
	"github.com/perfplan/perfplan/report"
)

// ar1Run returns a one-run document whose per-second series follow an
// autocorrelated level: z_t = phi·z_{t−1} + √(1−phi²)·ε_t (an AR(1) series
// of unit variance), level_t = scale·(1 + sigma·z_t). Each metric is the
// level times its own 1 % per-interval sampling noise: p50 in milliseconds,
// p90 twice and p99 four times p50, throughput 500/s divided by the level.
// The series has intervals full intervals between a partial first and last
// one, as a real run's.
func ar1Run(rng *rand.Rand, intervals int, phi, sigma, scale float64) *report.Document {
	const noise = 0.01
	jitter := func() float64 { return 1 + noise*rng.NormFloat64() }
	s := report.ScenarioDoc{Name: "steady", Executor: "constant-vus"}
	z := rng.NormFloat64()
	for i := 0; i < intervals+2; i++ {
		z = phi*z + math.Sqrt(1-phi*phi)*rng.NormFloat64()
		level := scale * (1 + sigma*z)
		p50 := float64(time.Millisecond) * level * jitter()
		s.Series = append(s.Series, report.SeriesDoc{OffsetNS: int64(i) * int64(time.Second), Ops: 500,
			Throughput: 500 / (level * jitter()),
			P50NS:      int64(p50), P90NS: int64(2 * p50 * jitter()), P99NS: int64(4 * p50 * jitter())})
	}
	s.Total = report.OpDoc{Name: "(all)", Ops: int64(500 * intervals), Throughput: 500 / scale,
		Latency: report.LatencyDoc{P50: int64(scale * float64(time.Millisecond))}}
	s.Ops = []report.OpDoc{s.Total}
	return &report.Document{SchemaVersion: report.SchemaVersion, Plans: []report.PlanDoc{{Name: "ar1", Scenarios: []report.ScenarioDoc{s}}}}
}

// oldIntervalUTest is the method compare used before batch means: a U test
// over the per-interval p50 values as if they were independent.
func oldIntervalUTest(a, b *report.Document) float64 {
	bs := benchmath.NewSample(intervalSamples([]*report.PlanDoc{&a.Plans[0]}, "steady", "p50"), &benchmath.DefaultThresholds)
	ns := benchmath.NewSample(intervalSamples([]*report.PlanDoc{&b.Plans[0]}, "steady", "p50"), &benchmath.DefaultThresholds)
	return benchmath.AssumeNothing.Compare(bs, ns).P
}

// TestBatchMeansAutocorrelatedAA compares 40 seeded A/A pairs of runs
// whose per-second series are AR(1) with phi 0.8 and no true change. The
// old U test over intervals calls a large share of them significant; batch
// means must give a false verdict (any significant row, either direction)
// in at most 5 % of pairs.
func TestBatchMeansAutocorrelatedAA(t *testing.T) {
	t.Parallel()
	const pairs = 40
	for _, intervals := range []int{60, 120, 240} {
		t.Run(fmt.Sprint(intervals), func(t *testing.T) {
			t.Parallel()
			falseVerdicts, oldFlagged, declined, rows := 0, 0, 0, 0
			for i := 0; i < pairs; i++ {
				rng := rand.New(rand.NewPCG(uint64(i), 0xa1))
				a := ar1Run(rng, intervals, 0.8, 0.04, 1)
				b := ar1Run(rng, intervals, 0.8, 0.04, 1)
				res, err := Compare(a, b, DefaultOptions())
				if err != nil {
					t.Fatal(err)
				}
				flagged := false
				for _, r := range res.Rows {
					rows++
					switch {
					case r.Declined:
						declined++
					case r.Source != "intervals" || r.Method.Name != MethodBatchMeans:
						t.Fatalf("row %s: source %s, method %s", r.Metric.Name, r.Source, r.Method.Name)
					case r.Significant:
						flagged = true
					}
				}
				if flagged {
					falseVerdicts++
				}
				if oldIntervalUTest(a, b) <= 0.05 {
					oldFlagged++
				}
			}
			t.Logf("%d intervals: A/A pairs with a false verdict: batch means %d of %d, old interval U test (p50) %d of %d; rows without verdict %d of %d",
				intervals, falseVerdicts, pairs, oldFlagged, pairs, declined, rows)
			if falseVerdicts > pairs/20 {
				t.Errorf("false verdicts in %d of %d A/A pairs, want at most %d", falseVerdicts, pairs, pairs/20)
			}
			// The series must be autocorrelated enough to fool the old
			// method, or this test proves nothing.
			if oldFlagged < pairs/4 {
				t.Errorf("the old interval U test flagged only %d of %d A/A pairs: the synthetic series are not autocorrelated enough", oldFlagged, pairs)
			}
		})
	}
}

// TestBatchMeansDetectsShift compares 40 seeded pairs where the new run's
// level is 10 % higher (slower latencies, lower throughput), on the same
// AR(1) series: the p50 regression must be found in at least 90 % of pairs
// from three minutes of intervals on. With two minutes (about 13
// independent intervals per side at phi 0.8) it is found in about 90 %
// (simulated over 400 pairs), so the bar there is lower.
func TestBatchMeansDetectsShift(t *testing.T) {
	t.Parallel()
	const pairs = 40
	for _, tc := range []struct{ intervals, want int }{{120, 32}, {180, 36}, {240, 36}} {
		intervals := tc.intervals
		t.Run(fmt.Sprint(intervals), func(t *testing.T) {
			t.Parallel()
			detected, failed := 0, 0
			for i := 0; i < pairs; i++ {
				rng := rand.New(rand.NewPCG(uint64(i), 0xb2))
				a := ar1Run(rng, intervals, 0.8, 0.04, 1)
				b := ar1Run(rng, intervals, 0.8, 0.04, 1.10)
				res, err := Compare(a, b, DefaultOptions())
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range res.Rows {
					if r.Metric.Name == "p50" && r.Regression {
						detected++
						if !(r.DeltaLo <= r.Delta && r.Delta <= r.DeltaHi) {
							t.Errorf("pair %d: delta %v outside its interval [%v, %v]", i, r.Delta, r.DeltaLo, r.DeltaHi)
						}
					}
					if r.Metric.Name == "throughput" && r.Improvement {
						t.Errorf("pair %d: throughput fell but is called an improvement", i)
					}
				}
				if res.Failed() {
					failed++
				}
			}
			t.Logf("%d intervals: 10%% shift found (p50) in %d of %d pairs; comparison failed in %d", intervals, detected, pairs, failed)
			if detected < tc.want {
				t.Errorf("10%% shift found in %d of %d pairs, want at least %d", detected, pairs, tc.want)
			}
		})
	}
}

// seriesRun is a one-run document whose per-second p50 (in microseconds)
// and throughput follow f(i) for the full intervals i = 0 … n−1.
func seriesRun(n int, f func(i int) float64) *report.Document {
	s := report.ScenarioDoc{Name: "steady", Executor: "constant-vus"}
	for i := -1; i <= n; i++ {
		v := f(max(0, min(i, n-1)))
		s.Series = append(s.Series, report.SeriesDoc{OffsetNS: int64(i+1) * int64(time.Second), Ops: 100,
			Throughput: 1e6 / v, P50NS: int64(v * 1e3), P90NS: int64(2 * v * 1e3), P99NS: int64(3 * v * 1e3)})
	}
	s.Total = report.OpDoc{Name: "(all)", Ops: int64(100 * n), Throughput: 100}
	return &report.Document{SchemaVersion: report.SchemaVersion, Plans: []report.PlanDoc{{Name: "p", Scenarios: []report.ScenarioDoc{s}}}}
}

// TestBatchMeansDeclines checks that series too short, or too
// autocorrelated, for five uncorrelated batches per side get no verdict,
// however large the change, and that the output says to use --count.
func TestBatchMeansDeclines(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		base, new *report.Document
	}{
		{"4 intervals", seriesRun(4, func(int) float64 { return 1000 }), seriesRun(4, func(int) float64 { return 2000 })},
		{"ramp", seriesRun(40, func(i int) float64 { return 1000 + 10*float64(i) }), seriesRun(40, func(i int) float64 { return 1500 + 10*float64(i) })},
		// A drift slower than the run: consecutive batches stay alike at
		// every batch size.
		{"drift", seriesRun(60, func(i int) float64 { return 1000 + 300*math.Sin(float64(i)/15) }),
			seriesRun(60, func(i int) float64 { return 1500 + 300*math.Cos(float64(i)/15) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Compare(tc.base, tc.new, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) == 0 {
				t.Fatal("no rows")
			}
			for _, r := range res.Rows {
				if r.Metric.Name == "error_rate" {
					continue
				}
				if !r.Declined || r.Significant || r.Regression || r.Improvement || r.Method.Name != MethodDeclined || !math.IsNaN(r.P) {
					t.Errorf("%s: declined %v significant %v method %q p %v", r.Metric.Name, r.Declined, r.Significant, r.Method, r.P)
				}
			}
			if res.Failed() {
				t.Error("a comparison without verdicts failed")
			}
			var b bytes.Buffer
			if err := res.Write(&b); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, want := range []string{"no verdict", "--count", "NO VERDICT", "uncorrelated batches"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestChooseBatches(t *testing.T) {
	t.Parallel()
	iid := make([]float64, 100)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range iid {
		iid[i] = rng.NormFloat64()
	}
	ramp := make([]float64, 100)
	for i := range ramp {
		ramp[i] = float64(i)
	}
	for _, tc := range []struct {
		name       string
		base, next []float64
		declined   bool
		size       int
	}{
		// Independent: the check passes at size 1, and the final batches
		// are max(2·1, ⌈100/10⌉) = 10 intervals long.
		{"iid", iid, iid, false, 10},
		{"ramp", ramp, ramp, true, 0},
		{"short", iid[:4], iid[:4], true, 0},
		// Uneven lengths: the shorter side sets the sizes.
		{"uneven", iid, iid[:50], false, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bt := chooseBatches(tc.base, tc.next)
			if bt.Declined != tc.declined {
				t.Fatalf("declined %v (%s), want %v", bt.Declined, bt.Reason, tc.declined)
			}
			if tc.declined {
				if bt.Reason == "" {
					t.Error("declined without a reason")
				}
				return
			}
			if bt.Size != tc.size || len(bt.Base) != len(tc.base)/tc.size || len(bt.New) != len(tc.next)/tc.size {
				t.Errorf("size %d with %d+%d batches, want size %d", bt.Size, len(bt.Base), len(bt.New), tc.size)
			}
		})
	}
}

func TestBatchHelpers(t *testing.T) {
	t.Parallel()
	var ladder []int
	for b := 1; b <= 64; b = nextBatchSize(b) {
		ladder = append(ladder, b)
	}
	if got := fmt.Sprint(ladder); got != "[1 2 3 4 6 8 12 16 24 32 48 64]" {
		t.Errorf("ladder %s", got)
	}
	// The remainder is dropped from the start.
	if got := fmt.Sprint(batchMeans([]float64{9, 1, 3, 5, 7}, 2)); got != "[2 6]" {
		t.Errorf("batchMeans = %s", got)
	}
	if got := paired.Lag1([]float64{1, -1, 1, -1}); got != -0.75 {
		t.Errorf("lag1 of an alternating series = %v, want -0.75", got)
	}
	if got := paired.Lag1([]float64{3, 3, 3}); got != 0 {
		t.Errorf("lag1 of a constant = %v", got)
	}
	for _, tc := range []struct {
		r, want float64
	}{{-0.5, 1}, {0, 1}, {0.2, 1.5}, {0.99, 19}} {
		if got := inflation(tc.r); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("inflation(%v) = %v, want %v", tc.r, got, tc.want)
		}
	}
	if p, lo, hi := welch([]float64{1, 1, 1}, []float64{1, 1, 1}, 1, 0.95); p != 1 || lo != 0 || hi != 0 {
		t.Errorf("welch of equal constants: p %v [%v, %v]", p, lo, hi)
	}
	if p, lo, _ := welch([]float64{1, 1, 1}, []float64{2, 2, 2}, 1, 0.95); p != 0 || lo != 1 {
		t.Errorf("welch of different constants: p %v, lo %v", p, lo)
	}
	// Against a t table: t(0.975, 4) = 2.776.
	if got := tQuantile(0.975, 4); math.Abs(got-2.776) > 0.001 {
		t.Errorf("tQuantile(0.975, 4) = %v", got)
	}
}

// TestMethodStated checks that every row and the output name the method,
// with its effective sample size.
func TestMethodStated(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(9, 9))
	for _, tc := range []struct {
		name      string
		base, new *report.Document
		want      []string
	}{
		{"one run", ar1Run(rng, 120, 0.8, 0.04, 1), ar1Run(rng, 120, 0.8, 0.04, 1.2),
			[]string{"samples: intervals of one run per side", "batch means: ", "intervals, lag-1 r=", "n_eff", "Welch t test on batch means"}},
		{"runs", sleepRun(rng, time.Millisecond, 4*time.Millisecond, 1, 10, 200, 6), sleepRun(rng, time.Millisecond, 4*time.Millisecond, 1.2, 10, 200, 6),
			[]string{"samples: repetitions", "U test: 6 runs per side"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Compare(tc.base, tc.new, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Rows {
				if r.Method.Name == "" || r.Method.NEff <= 0 {
					t.Errorf("%s %s: method %+v", r.Op, r.Metric.Name, r.Method)
				}
			}
			var b bytes.Buffer
			// Wide enough that no cell wraps: the test reads whole cells.
			if err := res.WriteStyled(&b, Style{Width: 1000}); err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.want {
				if !strings.Contains(b.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, b.String())
				}
			}
		})
	}
}
