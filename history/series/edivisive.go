package series

import (
	"math"
	"sort"

	"github.com/aclements/go-moremath/mathx"
	"github.com/aclements/go-moremath/stats"
)

// ChangePointOptions tune change-point detection. The defaults are Apache
// Otava's: a window of 50 points and p ≤ 0.001.
type ChangePointOptions struct {
	// Window is the length of the sliding windows of the split step.
	Window int
	// MaxP is the largest p-value of an accepted change point.
	MaxP float64
	// MinMagnitude is the smallest accepted relative change of the mean
	// (0.05 = 5 %); 0 accepts any significant change.
	MinMagnitude float64
	// MinSize is the fewest points on either side of a candidate split
	// (Matteson & James's min.size; perfplan history --min-run). Otava
	// uses 1, the default, so a step in the last run or two can be
	// reported; a larger value guards against a few points of noise
	// that happen to sit together.
	MinSize int
}

// DefaultChangePointOptions are Otava's defaults: a window of 50, p ≤
// 0.001, no minimum magnitude, and splits with one point or more on either
// side (the split range of Otava's PairDistanceCalculator).
func DefaultChangePointOptions() ChangePointOptions {
	return ChangePointOptions{Window: 50, MaxP: 0.001, MinSize: 1}
}

// ChangePoint is a point of a series where its distribution shifted: the
// first index of the new regime.
type ChangePoint struct {
	Index int
	// MeanBefore and MeanAfter are the means of the segments on either side
	// (up to the neighbouring change points).
	MeanBefore, MeanAfter float64
	// Magnitude is MeanAfter/MeanBefore − 1.
	Magnitude float64
	// P is the two-sided Student's t-test p-value between the segments.
	P float64
	// QHat is the E-divisive divergence that chose the split (0 after the
	// merge step recomputes neighbours).
	QHat float64
}

// ChangePoints finds change points in series with E-Divisive means
// (Matteson & James, "A Nonparametric Approach for Multiple Change Point
// Analysis of Multivariate Data", JASA 2014, with α = 1), in the windowed
// form of Apache Otava (formerly Hunter; Fleming et al., "Hunter: Using
// Change Point Detection to Hunt for Performance Regressions", ICPE 2023):
//
// Candidate splits leave at least opts.MinSize points on either side.
//
//  1. Split: over sliding windows of opts.Window points, advancing by half a
//     window (or to the last change point found), E-divisive bisects the
//     window recursively: within each current segment it finds the split τ
//     and end κ maximising the divergence
//     Q̂(X, Y) = 2/(n+m)·Σ|Xi−Yj| − 2m/((n+m)(n−1))·Σi<k|Xi−Xk| − 2n/((n+m)(m−1))·Σj<k|Yj−Yk|
//     for X = x[start:τ], Y = x[τ:κ], takes the best candidate over the
//     segments and accepts it when a two-sided Student's t-test between the
//     two sides (within the neighbouring change points) gives p below a
//     relaxed first-pass level (10 × MaxP while MaxP < 0.05, as Otava does).
//     The union of the windows' points are the weak change points.
//  2. Merge: repeatedly drop the weakest point, the one with the largest
//     p-value while any exceeds MaxP, then the one with the smallest
//     relative change while any is below MinMagnitude, recomputing its
//     neighbours' statistics after each removal.
//
// Otava replaced the original permutation test with the t-test, which is
// deterministic and works with few points; this implementation does the
// same (t-test from github.com/aclements/go-moremath/stats).
func ChangePoints(series []float64, opts ChangePointOptions) []ChangePoint {
	if opts.Window < 2 {
		opts.Window = 50
	}
	if opts.MaxP <= 0 {
		opts.MaxP = 0.001
	}
	n := len(series)
	if n < 4 {
		return nil
	}
	firstP := opts.MaxP
	switch {
	case opts.MaxP < 0.05:
		firstP = opts.MaxP * 10
	case opts.MaxP < 0.5:
		firstP = opts.MaxP * 2
	}
	// Split step.
	var weak []int
	seen := map[int]bool{}
	step := opts.Window / 2
	if step < 1 {
		step = 1
	}
	for start := 0; start < n; {
		end := min(start+opts.Window, n)
		found := detectWindow(series[start:end], firstP, max(opts.MinSize, 1))
		last := 0
		for _, cp := range found {
			idx := cp + start
			last = max(last, idx)
			if !seen[idx] {
				seen[idx] = true
				weak = append(weak, idx)
			}
		}
		start = max(last, start+step)
	}
	sort.Ints(weak)
	// Merge step.
	cps := make([]ChangePoint, len(weak))
	for i, idx := range weak {
		cps[i] = ChangePoint{Index: idx}
	}
	recompute := func() {
		for i := range cps {
			lo, hi := 0, n
			if i > 0 {
				lo = cps[i-1].Index
			}
			if i+1 < len(cps) {
				hi = cps[i+1].Index
			}
			cps[i] = sideStats(series, lo, cps[i].Index, hi, cps[i].QHat)
		}
	}
	recompute()
	for len(cps) > 0 {
		weakest := 0
		for i := range cps {
			if cps[i].P > cps[weakest].P {
				weakest = i
			}
		}
		if cps[weakest].P <= opts.MaxP {
			weakest = 0
			for i := range cps {
				if changeMagnitude(cps[i]) < changeMagnitude(cps[weakest]) {
					weakest = i
				}
			}
			if changeMagnitude(cps[weakest]) > opts.MinMagnitude {
				break
			}
		}
		cps = append(cps[:weakest], cps[weakest+1:]...)
		recompute()
	}
	return cps
}

// detectWindow runs E-divisive on one window: recursive bisection with a
// t-test at level maxP. It returns the accepted indices, relative to x.
func detectWindow(x []float64, maxP float64, minSize int) []int {
	n := len(x)
	if n < 4 {
		return nil
	}
	// Prefix sums of the pairwise distance matrix: P[i][j] = Σ_{a<i, b<j} |x_a − x_b|.
	P := make([][]float64, n+1)
	for i := range P {
		P[i] = make([]float64, n+1)
	}
	for i := 1; i <= n; i++ {
		row := 0.0
		for j := 1; j <= n; j++ {
			row += math.Abs(x[i-1] - x[j-1])
			P[i][j] = P[i-1][j] + row
		}
	}
	block := func(a, b, c, d int) float64 { // Σ_{a≤i<b, c≤j<d} |x_i − x_j|
		return P[b][d] - P[a][d] - P[b][c] + P[a][c]
	}
	var cps []int
	for {
		bounds := append(append([]int{0}, cps...), n)
		bestQ, bestTau, bestSeg := math.Inf(-1), -1, -1
		for s := 0; s+1 < len(bounds); s++ {
			lo, hi := bounds[s], bounds[s+1]
			if hi-lo < 2*minSize {
				continue
			}
			for tau := lo + minSize; tau+minSize <= hi; tau++ {
				nx := float64(tau - lo)
				withinX := block(lo, tau, lo, tau) / 2
				for kappa := tau + minSize; kappa <= hi; kappa++ {
					my := float64(kappa - tau)
					between := block(lo, tau, tau, kappa)
					withinY := block(tau, kappa, tau, kappa) / 2
					q := 2 / (nx + my) * between
					if nx > 1 {
						q -= 2 * my / ((nx + my) * (nx - 1)) * withinX
					}
					if my > 1 {
						q -= 2 * nx / ((nx + my) * (my - 1)) * withinY
					}
					if q > bestQ {
						bestQ, bestTau, bestSeg = q, tau, s
					}
				}
			}
		}
		if bestTau < 0 {
			return cps
		}
		cp := sideStats(x, bounds[bestSeg], bestTau, bounds[bestSeg+1], bestQ)
		if cp.P > maxP {
			return cps
		}
		cps = append(cps, bestTau)
		sort.Ints(cps)
	}
}

// sideStats compares x[lo:idx] with x[idx:hi] by a two-sided Student's
// t-test.
func sideStats(x []float64, lo, idx, hi int, qhat float64) ChangePoint {
	left, right := x[lo:idx], x[idx:hi]
	cp := ChangePoint{Index: idx, P: 1, QHat: qhat, MeanBefore: stats.Mean(left), MeanAfter: stats.Mean(right)}
	if cp.MeanBefore != 0 {
		cp.Magnitude = cp.MeanAfter/cp.MeanBefore - 1
	} else if cp.MeanAfter != 0 {
		cp.Magnitude = math.Inf(1)
	}
	cp.P = otavaTTest(left, right)
	return cp
}

// otavaTTest is the p-value of Apache Otava's TTestSignificanceTester.compare
// (otava/analysis.py): a two-sided Student's t-test with pooled variance
// (scipy's ttest_ind_from_stats, equal_var=True) fed with the population
// standard deviations of the two sides (numpy.std, ddof=0; 0 for a side of
// one point), so its p-values are smaller than a textbook t-test's on
// the same points. With two points in all there is no test (p = 1). With
// no spread on either side, a shift between two constant runs is certain
// (p = 0) and equal runs are no change (p = 1; scipy gives NaN, which
// Otava never accepts).
func otavaTTest(left, right []float64) float64 {
	n1, n2 := float64(len(left)), float64(len(right))
	if n1 == 0 || n2 == 0 || n1+n2 <= 2 {
		return 1
	}
	m1, m2 := stats.Mean(left), stats.Mean(right)
	v1, v2 := popVariance(left, m1), popVariance(right, m2)
	df := n1 + n2 - 2
	pooled := ((n1-1)*v1 + (n2-1)*v2) / df
	denom := math.Sqrt(pooled * (1/n1 + 1/n2))
	if denom == 0 {
		if m1 != m2 {
			return 0
		}
		return 1
	}
	t := (m1 - m2) / denom
	// The two-sided tail of Student's t, 2·sf(|t|) = I_{df/(df+t²)}(df/2, 1/2),
	// from the regularized incomplete beta function: 1 − CDF would lose
	// every digit of a p-value below about 1e-16.
	p := mathx.BetaInc(df/(df+t*t), df/2, 0.5)
	if math.IsNaN(p) {
		return 1
	}
	return max(0, min(1, p))
}

// popVariance is the population variance (divided by n, not n−1) of xs
// about their mean m.
func popVariance(xs []float64, m float64) float64 {
	var s float64
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return s / float64(len(xs))
}

// changeMagnitude is Otava's TTestStats.change_magnitude: the larger of the
// relative changes forward (after/before − 1) and backward (before/after
// − 1), each 0 when its divisor is 0. The merge step compares it with
// MinMagnitude, so a drop to half counts as much as a doubling.
func changeMagnitude(cp ChangePoint) float64 {
	var fwd, back float64
	if cp.MeanBefore != 0 {
		fwd = cp.MeanAfter/cp.MeanBefore - 1
	}
	if cp.MeanAfter != 0 {
		back = cp.MeanBefore/cp.MeanAfter - 1
	}
	return max(math.Abs(fwd), math.Abs(back))
}
