package history

import (
	"math"
	"sort"

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
	// (Matteson & James's min.size; Otava uses 1). A few points of noise
	// that happen to sit together otherwise pass the t-test after being
	// chosen as the most divergent split.
	MinSize int
}

// DefaultChangePointOptions are Otava's defaults.
func DefaultChangePointOptions() ChangePointOptions {
	return ChangePointOptions{Window: 50, MaxP: 0.001, MinSize: 5}
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
				if math.Abs(cps[i].Magnitude) < math.Abs(cps[weakest].Magnitude) {
					weakest = i
				}
			}
			if math.Abs(cps[weakest].Magnitude) >= opts.MinMagnitude {
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
	if len(left) < 2 || len(right) < 2 {
		return cp
	}
	// With no variance on either side the t-test is undefined: a shift
	// between two constant runs is certain, equal runs are no change.
	if stats.Variance(left) == 0 && stats.Variance(right) == 0 {
		if cp.MeanBefore != cp.MeanAfter {
			cp.P = 0
		}
		return cp
	}
	res, err := stats.TwoSampleTTest(stats.Sample{Xs: left}, stats.Sample{Xs: right}, stats.LocationDiffers)
	if err != nil || math.IsNaN(res.P) {
		return cp
	}
	cp.P = res.P
	return cp
}
