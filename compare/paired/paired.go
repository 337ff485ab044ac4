// Package paired computes the relative difference between two variants
// measured side by side, pair by pair: the intervals of two scenarios that
// ran at the same time (a duet), or the slices of two variants that ran in
// alternation. It imports nothing of perfplan, so that the executor (duet
// scenarios), compare and the CLI (perfplan ab) share one implementation.
//
// # Method: a t interval on batch means of log ratios
//
// Each pair i gives the log ratio d_i = ln(B_i / A_i). Interference that
// hits both variants alike (a neighbour's CPU burst, a GC of the runner,
// frequency scaling) multiplies both figures of a pair by about the same
// factor, so it cancels in the ratio; that is what duet benchmarking
// (Bulej et al., ICPE 2020) buys. The logarithm makes the change
// multiplicative and symmetric (a 2× slowdown and a 2× speed-up are ±ln 2)
// and tames the right tail of latency figures.
//
// Consecutive pairs are still autocorrelated (a slow patch outlasts an
// interval), so the log ratios are grouped into batches, as compare's batch
// means do: the batch size climbs 1, 2, 3, 4, 6, 8, 12, … until the lag-1
// autocorrelation of the batch means, corrected for its small-sample bias
// (r1 + 1/k), is below 0.3 with at least 5 batches. The variance of the
// mean is widened by (1+r)/(1−r) for the correlation r the batches may
// still carry, and the interval is Student's t with k/f − 1 degrees of
// freedom (f that factor). The change is exp(mean) − 1 with the interval
// exp(mean ± t·se) − 1, a geometric-mean ratio; it is significant when the
// interval excludes 0. Fewer than 5 usable pairs, or no batch size that
// passes, give no verdict (Declined).
//
// The method is a deterministic function of the pairs (no resampling), so
// its output is reproducible and its tests exact. A t interval rather than
// a rank test: the batch means of log ratios are close to normal by the
// central limit theorem, the interval is what the report shows, and a
// Wilcoxon signed-rank test would need the pairs to be independent and
// symmetric, which autocorrelated intervals are not.
package paired

import (
	"fmt"
	"math"

	"github.com/aclements/go-moremath/stats"
)

// Method names the method, for reports.
const Method = "paired t interval on batch means of log ratios"

const (
	minBatches   = 5
	maxLag1      = 0.3
	maxInflation = 0.9
)

// Result is the paired relative difference of B against A.
type Result struct {
	// Pairs is the number of pairs used: both figures positive and finite.
	Pairs int
	// Change is the geometric mean ratio B/A minus 1 (0.05 is 5 % higher);
	// Low and High bound its confidence interval. NaN when Declined.
	Change, Low, High float64
	// Confidence is the interval's level.
	Confidence float64
	// BatchSize is the number of pairs per batch, Batches the number of
	// batches; R1 their lag-1 autocorrelation and NEff the effective
	// number of batches, k·(1−r)/(1+r).
	BatchSize, Batches int
	R1, NEff           float64
	// P is the two-sided p-value of "no change"; NaN when Declined.
	P float64
	// Declined means there is no verdict; Reason says why.
	Declined bool
	Reason   string
}

// Significant reports whether the interval excludes no change.
func (r Result) Significant() bool {
	return !r.Declined && (r.Low > 0 || r.High < 0)
}

// String describes the result in a few words, e.g.
// "+5.1% [+3.2%, +7.0%] from 60 pairs (6 batches of 10)".
func (r Result) String() string {
	if r.Declined {
		return "no verdict: " + r.Reason
	}
	return fmt.Sprintf("%+.1f%% [%+.1f%%, %+.1f%%] from %d pairs (%d batches of %d)",
		100*r.Change, 100*r.Low, 100*r.High, r.Pairs, r.Batches, r.BatchSize)
}

// Compare returns the relative difference of b against a, pair by pair:
// a[i] and b[i] are the same interval (or slice) of the two variants.
// Pairs beyond the shorter series, and pairs with a figure that is not
// positive and finite, are left out. confidence is the interval's level,
// in (0, 1).
func Compare(a, b []float64, confidence float64) Result {
	var d []float64
	for i := 0; i < min(len(a), len(b)); i++ {
		x, y := a[i], b[i]
		if x > 0 && y > 0 && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
			d = append(d, math.Log(y/x))
		}
	}
	res := Result{Pairs: len(d), Confidence: confidence, Change: math.NaN(), Low: math.NaN(), High: math.NaN(), P: math.NaN()}
	if len(d) < minBatches {
		res.Declined = true
		res.Reason = fmt.Sprintf("%d usable pairs, fewer than %d", len(d), minBatches)
		return res
	}
	var bm []float64
	var r float64
	found := false
	for size := 1; len(d)/size >= minBatches; size = nextSize(size) {
		bm = batchMeans(d, size)
		r = Lag1(bm)
		res.BatchSize, res.Batches, res.R1 = size, len(bm), r
		if r+1/float64(len(bm)) < maxLag1 {
			found = true
			break
		}
	}
	if !found {
		res.Declined = true
		res.Reason = fmt.Sprintf("%d pairs are too few for %d uncorrelated batches (lag-1 r=%.2f at %d batches of %d)",
			len(d), minBatches, res.R1, res.Batches, res.BatchSize)
		return res
	}
	f := inflation(r)
	k := float64(len(bm))
	res.NEff = k / f
	m := Mean(bm)
	v := stats.Sample{Xs: bm}.Variance() * f
	if v == 0 {
		res.Change, res.Low, res.High = math.Expm1(m), math.Expm1(m), math.Expm1(m)
		res.P = 1
		if m != 0 {
			res.P = 0
		}
		return res
	}
	df := math.Max(k/f-1, 1)
	se := math.Sqrt(v / k)
	h := stats.InvCDF(stats.TDist{V: df})((1+confidence)/2) * se
	res.Change, res.Low, res.High = math.Expm1(m), math.Expm1(m-h), math.Expm1(m+h)
	res.P = 2 * (1 - stats.TDist{V: df}.CDF(math.Abs(m/se)))
	return res
}

// nextSize is the batch-size ladder 1, 2, 3, 4, 6, 8, 12, 16, …
func nextSize(b int) int {
	switch {
	case b <= 1:
		return 2
	case b&(b-1) == 0:
		return b * 3 / 2
	default:
		return b * 4 / 3
	}
}

// batchMeans returns the means of consecutive batches of size b, dropping
// the remainder from the start (nearer the warm-up).
func batchMeans(xs []float64, b int) []float64 {
	k := len(xs) / b
	off := len(xs) - k*b
	out := make([]float64, k)
	for i := range out {
		out[i] = Mean(xs[off+i*b : off+(i+1)*b])
	}
	return out
}

// Lag1 returns the lag-1 autocorrelation of series pooled across sides,
// each side centred on its own mean, or 0 when they do not vary. compare's
// batch means use it too.
func Lag1(sides ...[]float64) float64 {
	var num, den float64
	for _, xs := range sides {
		m := Mean(xs)
		for i, x := range xs {
			d := x - m
			den += d * d
			if i > 0 {
				num += d * (xs[i-1] - m)
			}
		}
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// Mean is the arithmetic mean of xs (NaN when empty).
func Mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// inflation is (1+r)/(1−r) for residual lag-1 correlation r > 0, else 1.
func inflation(r float64) float64 {
	if r <= 0 {
		return 1
	}
	r = math.Min(r, maxInflation)
	return (1 + r) / (1 - r)
}
