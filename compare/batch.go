package compare

import (
	"fmt"
	"math"

	"github.com/aclements/go-moremath/stats"

	"github.com/perfplan/perfplan/compare/paired"
)

// Batch-means parameters, chosen by simulating A/A and A/B pairs of AR(1)
// series (phi 0 to 0.95, with and without white noise on top, 30 to 600
// intervals) to keep false verdicts near or below 5 % while declining as
// rarely as possible; the package doc gives the measured rates.
const (
	// minBatches is the fewest batches per side the method accepts; with
	// fewer it declines.
	minBatches = 5
	// maxBatches caps the final number of batches per side: once the
	// batches look uncorrelated they are made at least n/maxBatches
	// intervals long, which guards against correlation that reaches further
	// than the lag-1 check sees.
	maxBatches = 10
	// maxLag1 is the bias-corrected lag-1 autocorrelation of the batch
	// means (r1 + 1/k for k batches) below which batches count as
	// uncorrelated.
	maxLag1 = 0.3
	// maxInflation bounds the correlation used to widen the variance.
	maxInflation = 0.9
)

// nextBatchSize is the batch-size ladder 1, 2, 3, 4, 6, 8, 12, 16, 24, …:
// doubling, with a step of about 1.5 in between, so that a series is not
// declined only because the next power of two leaves too few batches.
func nextBatchSize(b int) int {
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
// the remainder from the start of the series (nearer the warm-up).
func batchMeans(xs []float64, b int) []float64 {
	k := len(xs) / b
	off := len(xs) - k*b
	out := make([]float64, k)
	for i := range out {
		var sum float64
		for _, x := range xs[off+i*b : off+(i+1)*b] {
			sum += x
		}
		out[i] = sum / float64(b)
	}
	return out
}

// batching is the outcome of choosing batches for two series.
type batching struct {
	// Size is the batch length in intervals; Base and New the batch means.
	Size      int
	Base, New []float64
	// R1 is the pooled lag-1 autocorrelation of the final batch means.
	R1 float64
	// Residual is the lag-1 correlation the test allows for: the larger of
	// R1 and the bias-corrected estimate at the size that passed the check,
	// scaled down by the ratio of the sizes.
	Residual float64
	// Declined says no batch size left enough uncorrelated batches;
	// Reason says why.
	Declined bool
	Reason   string
}

// chooseBatches picks a batch size for the two series: the first size b on
// the ladder whose batch means have a bias-corrected lag-1 autocorrelation
// r1 + 1/k below maxLag1 with at least minBatches batches per side; then
// twice that, and at least n/maxBatches, as long as minBatches batches
// remain.
//
// The lag-1 correlation of batch means of a short-memory series falls
// about as 1/b, so the correlation left at the final size B is estimated as
// (r1 + 1/k)·b/B from the check, which has more batches; the final batches'
// own r1 is used when it is larger.
func chooseBatches(base, next []float64) batching {
	n := min(len(base), len(next))
	if n < minBatches {
		return batching{Declined: true, Reason: fmt.Sprintf("%d intervals per side, fewer than the %d batches needed", n, minBatches)}
	}
	var last batching
	for b := 1; n/b >= minBatches; b = nextBatchSize(b) {
		bb, nb := batchMeans(base, b), batchMeans(next, b)
		r := paired.Lag1(bb, nb)
		corrected := r + 1/float64(min(len(bb), len(nb)))
		last = batching{Size: b, Base: bb, New: nb, R1: r, Residual: corrected}
		if corrected >= maxLag1 {
			continue
		}
		final := max(2*b, (n+maxBatches-1)/maxBatches)
		if n/final < minBatches {
			final = n / minBatches
		}
		if final > b {
			bb, nb = batchMeans(base, final), batchMeans(next, final)
			r = paired.Lag1(bb, nb)
			last = batching{Size: final, Base: bb, New: nb, R1: r,
				Residual: math.Max(r, corrected*float64(b)/float64(final))}
		}
		return last
	}
	last.Declined = true
	last.Reason = fmt.Sprintf("%d intervals per side are too few for %d uncorrelated batches (lag-1 r=%.2f at %d batches of %d)",
		n, minBatches, last.R1, min(len(last.Base), len(last.New)), last.Size)
	return last
}

// inflation is the factor (1+r)/(1−r) by which residual lag-1 correlation r
// of the batch means widens the variance of their mean (an AR(1) model of
// the batches); 1 when r ≤ 0.
func inflation(r float64) float64 {
	if r <= 0 {
		return 1
	}
	r = math.Min(r, maxInflation)
	return (1 + r) / (1 - r)
}

// tQuantile returns the q quantile of Student's t with df degrees of
// freedom.
func tQuantile(q, df float64) float64 {
	return stats.InvCDF(stats.TDist{V: df})(q)
}

// batchSummary summarises one side's batch means: their mean with a
// t-interval whose variance is widened by f and whose degrees of freedom
// are those of the effective number of batches k/f.
func batchSummary(bm []float64, f, confidence float64) Summary {
	k := float64(len(bm))
	m := paired.Mean(bm)
	s := Summary{N: len(bm), Center: m, Lo: m, Hi: m, Confidence: confidence, Stat: "mean", Values: bm}
	v := stats.Sample{Xs: bm}.Variance() * f
	if v > 0 {
		df := math.Max(k/f-1, 1)
		h := tQuantile((1+confidence)/2, df) * math.Sqrt(v/k)
		s.Lo, s.Hi = m-h, m+h
	}
	return s
}

// welch is Welch's t test of the difference of the means of the batch
// means, each variance widened by f, with the conservative degrees of
// freedom of the side with fewer effective batches. It returns p and the
// confidence interval of new − base.
func welch(base, next []float64, f, confidence float64) (p, lo, hi float64) {
	kb, kn := float64(len(base)), float64(len(next))
	vb := stats.Sample{Xs: base}.Variance() * f
	vn := stats.Sample{Xs: next}.Variance() * f
	d := paired.Mean(next) - paired.Mean(base)
	se := math.Sqrt(vb/kb + vn/kn)
	if se == 0 {
		if d == 0 {
			return 1, 0, 0
		}
		return 0, d, d
	}
	df := math.Max(math.Min(kb, kn)/f-1, 1)
	t := d / se
	p = 2 * (1 - stats.TDist{V: df}.CDF(math.Abs(t)))
	h := tQuantile((1+confidence)/2, df) * se
	return p, d - h, d + h
}
