package series

import (
	"math"

	"github.com/aclements/go-moremath/stats"

	"github.com/perfplan/perfplan/internal/lsq"
)

// Trend is a least-squares line through a series against its run index.
type Trend struct {
	// Slope is the change per run, Intercept the fitted first value.
	Slope, Intercept float64
	// RelSlope is Slope over the series' mean: the relative change per run.
	RelSlope float64
	// R2 is the share of the variance the line explains.
	R2 float64
	// Direction is "rising", "falling" or "flat": flat when the line moves
	// less than FlatTolerance of the mean over the whole series, or explains
	// less than a tenth of its variance.
	Direction string
}

// FlatTolerance is the relative change over a whole series below which its
// trend is called flat.
const FlatTolerance = 0.02

// FitTrend fits a line through ys against 0, 1, 2, … by least squares
// (package lsq).
func FitTrend(ys []float64) Trend {
	if len(ys) < 2 {
		return Trend{Direction: "flat"}
	}
	xs := make([]float64, len(ys))
	for i := range xs {
		xs[i] = float64(i)
	}
	a, b, _ := lsq.Line(xs, ys)
	t := Trend{Intercept: a, Slope: b}
	mean := stats.Mean(ys)
	if mean != 0 {
		t.RelSlope = t.Slope / math.Abs(mean)
	}
	var ssRes, ssTot float64
	for i, y := range ys {
		d := y - (a + b*xs[i])
		ssRes += d * d
		ssTot += (y - mean) * (y - mean)
	}
	if ssTot > 0 {
		t.R2 = 1 - ssRes/ssTot
	}
	total := math.Abs(t.RelSlope) * float64(len(ys)-1)
	switch {
	case total < FlatTolerance || (ssTot > 0 && t.R2 < 0.1) || math.IsNaN(t.Slope):
		t.Direction = "flat"
	case t.Slope > 0:
		t.Direction = "rising"
	default:
		t.Direction = "falling"
	}
	return t
}
