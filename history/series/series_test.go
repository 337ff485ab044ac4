package series

import (
	"math"
	"math/rand/v2"
	"testing"
)

// noise is n normal values of mean and sd, seeded.
func noise(seed uint64, n int, mean, sd float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 99))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = mean + sd*rng.NormFloat64()
	}
	return xs
}

func TestChangePointFound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		n, at int
		shift float64
	}{
		{"middle", 100, 60, 1.2},
		{"early", 80, 15, 1.3},
		{"late", 120, 110, 1.5},
		{"drop", 60, 30, 0.8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			xs := noise(uint64(tc.n+tc.at), tc.n, 10, 0.3)
			for i := tc.at; i < tc.n; i++ {
				xs[i] *= tc.shift
			}
			cps := ChangePoints(xs, DefaultChangePointOptions())
			if len(cps) != 1 || cps[0].Index != tc.at {
				t.Fatalf("got %+v, want one change point at %d", cps, tc.at)
			}
			if math.Abs(cps[0].Magnitude-(tc.shift-1)) > 0.05 || cps[0].P > 0.001 {
				t.Errorf("magnitude %v (want %v), p %v", cps[0].Magnitude, tc.shift-1, cps[0].P)
			}
		})
	}
}

func TestChangePointsTwoShifts(t *testing.T) {
	t.Parallel()
	xs := noise(5, 150, 10, 0.3)
	for i := 50; i < 150; i++ {
		xs[i] += 3
	}
	for i := 100; i < 150; i++ {
		xs[i] -= 5
	}
	cps := ChangePoints(xs, DefaultChangePointOptions())
	if len(cps) != 2 || cps[0].Index != 50 || cps[1].Index != 100 {
		t.Fatalf("got %+v, want change points at 50 and 100", cps)
	}
}

// TestFlatNoiseHasNoChangePoints runs with --min-run 5: with Otava's
// default of 1, a few neighbouring points of pure noise can pass the
// t-test after being picked as the most divergent split, as they do in
// Otava itself (seed 17; TestOtavaGolden).
func TestFlatNoiseHasNoChangePoints(t *testing.T) {
	t.Parallel()
	opts := DefaultChangePointOptions()
	opts.MinSize = 5
	for seed := uint64(0); seed < 20; seed++ {
		xs := noise(seed, 120, 10, 0.5)
		if cps := ChangePoints(xs, opts); len(cps) != 0 {
			t.Errorf("seed %d: flat noise gave %+v", seed, cps)
		}
	}
	if cps := ChangePoints([]float64{1, 1, 1, 1, 1, 1, 1}, DefaultChangePointOptions()); len(cps) != 0 {
		t.Errorf("constant series gave %+v", cps)
	}
	if cps := ChangePoints([]float64{1, 2}, DefaultChangePointOptions()); len(cps) != 0 {
		t.Errorf("short series gave %+v", cps)
	}
}

func TestMinMagnitude(t *testing.T) {
	t.Parallel()
	xs := noise(11, 100, 10, 0.05)
	for i := 50; i < 100; i++ {
		xs[i] *= 1.02
	}
	opts := DefaultChangePointOptions()
	if cps := ChangePoints(xs, opts); len(cps) != 1 {
		t.Fatalf("a clean 2%% shift: %+v", cps)
	}
	opts.MinMagnitude = 0.05
	if cps := ChangePoints(xs, opts); len(cps) != 0 {
		t.Errorf("min magnitude 5%% kept %+v", cps)
	}
}

func TestFitTrend(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ys   []float64
		dir  string
	}{
		{"rising", []float64{10, 11, 12, 13, 14, 15}, "rising"},
		{"falling", []float64{10, 9, 8, 7, 6}, "falling"},
		{"flat", []float64{10, 10.01, 9.99, 10, 10.01}, "flat"},
		{"one", []float64{3}, "flat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := FitTrend(tc.ys)
			if tr.Direction != tc.dir {
				t.Errorf("got %+v, want %s", tr, tc.dir)
			}
		})
	}
	tr := FitTrend([]float64{1, 3, 5, 7})
	if math.Abs(tr.Slope-2) > 1e-9 || math.Abs(tr.Intercept-1) > 1e-9 || math.Abs(tr.R2-1) > 1e-9 {
		t.Errorf("exact line: %+v", tr)
	}
}
