// Package lsq fits a straight line by ordinary least squares, in closed
// form: the two degree-1 fits perfplan makes (the soak heap slope and the
// history trend) need nothing more, and a polynomial-regression library
// brought archived matrix packages with it.
package lsq

// Line fits y = a + b·x to the points by least squares and returns the
// intercept a and the slope b. ok is false with fewer than two points or
// no spread in x (every x equal), when no line is defined.
//
// It centres the points on their means before it sums, which keeps the
// sums small for x values far from 0 (Unix times, offsets of an hour in
// nanoseconds): b = Σ(x−x̄)(y−ȳ) / Σ(x−x̄)², a = ȳ − b·x̄.
func Line(xs, ys []float64) (a, b float64, ok bool) {
	n := len(xs)
	if n < 2 || len(ys) != n {
		return 0, 0, false
	}
	var mx, my float64
	for i := range n {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx float64
	for i := range n {
		dx := xs[i] - mx
		sxy += dx * (ys[i] - my)
		sxx += dx * dx
	}
	if sxx == 0 {
		return 0, 0, false
	}
	b = sxy / sxx
	return my - b*mx, b, true
}
