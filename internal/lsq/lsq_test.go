package lsq

import (
	"math"
	"testing"
)

func TestLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		xs, ys []float64
		a, b   float64
		ok     bool
	}{
		{"exact", []float64{0, 1, 2, 3}, []float64{1, 3, 5, 7}, 1, 2, true},
		{"noisy", []float64{1, 2, 3, 4, 5}, []float64{2.1, 3.9, 6.2, 7.8, 10.1}, 0.05, 1.99, true},
		{"far from zero", []float64{1e9, 1e9 + 1, 1e9 + 2}, []float64{5, 6, 7}, 5 - 1e9, 1, true},
		{"flat", []float64{0, 1, 2}, []float64{4, 4, 4}, 4, 0, true},
		{"one point", []float64{1}, []float64{1}, 0, 0, false},
		{"no spread in x", []float64{2, 2, 2}, []float64{1, 2, 3}, 0, 0, false},
		{"lengths differ", []float64{1, 2}, []float64{1}, 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a, b, ok := Line(c.xs, c.ys)
			if ok != c.ok || math.Abs(a-c.a) > 1e-6*math.Max(1, math.Abs(c.a)) || math.Abs(b-c.b) > 1e-9 {
				t.Errorf("Line = %v, %v, %v; want %v, %v, %v", a, b, ok, c.a, c.b, c.ok)
			}
		})
	}
}
