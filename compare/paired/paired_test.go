package paired

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestCompareExact checks the method on pairs whose answer is known
// exactly: a constant ratio gives that change with a zero-width interval;
// pairs whose log ratios alternate ±d around ln 1.1 give a 10 % change
// whose interval is the t interval of those batch means.
func TestCompareExact(t *testing.T) {
	t.Parallel()
	a := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	b := make([]float64, len(a))
	for i, x := range a {
		b[i] = 1.2 * x
	}
	r := Compare(a, b, 0.95)
	if r.Declined || math.Abs(r.Change-0.2) > 1e-12 || math.Abs(r.Low-0.2) > 1e-12 || r.Pairs != 10 || r.P != 0 || !r.Significant() {
		t.Errorf("constant ratio 1.2: %+v", r)
	}
	// Log ratios ln(1.1) ± 0.01, alternating: their lag-1 correlation is
	// −1 + 1/k-ish, so batches of one pass; mean ln 1.1, sd √(10/9)·0.01.
	for i := range b {
		d := 0.01
		if i%2 == 1 {
			d = -d
		}
		b[i] = a[i] * math.Exp(math.Log(1.1)+d)
	}
	r = Compare(a, b, 0.95)
	if r.Declined || r.BatchSize != 1 || r.Batches != 10 {
		t.Fatalf("alternating: %+v", r)
	}
	se := math.Sqrt(10.0/9.0) * 0.01 / math.Sqrt(10)
	const t9 = 2.2621571627409915 // t quantile 0.975 with 9 degrees of freedom
	if math.Abs(r.Change-0.1) > 1e-9 || math.Abs(r.High-(1.1*math.Exp(t9*se)-1)) > 1e-9 || math.Abs(r.Low-(1.1*math.Exp(-t9*se)-1)) > 1e-9 {
		t.Errorf("alternating: change %v [%v, %v], want 0.1 [%v, %v]", r.Change, r.Low, r.High, 1.1*math.Exp(-t9*se)-1, 1.1*math.Exp(t9*se)-1)
	}
}

// TestCompareDeclines checks that too few usable pairs, or pairs too
// autocorrelated for five uncorrelated batches, give no verdict.
func TestCompareDeclines(t *testing.T) {
	t.Parallel()
	if r := Compare([]float64{1, 2, 3, 0, -1, 4}, []float64{1, 2, 3, 4, 5, 6, 7}, 0.95); !r.Declined || r.Pairs != 4 || !math.IsNaN(r.Change) || r.Significant() {
		t.Errorf("4 usable pairs: %+v", r)
	}
	// A slow drift of the log ratio: every batch size leaves its batch
	// means correlated.
	var a, b []float64
	for i := range 12 {
		a = append(a, 1)
		b = append(b, math.Exp(float64(i)/100))
	}
	if r := Compare(a, b, 0.95); !r.Declined || r.Reason == "" {
		t.Errorf("drifting ratio: %+v", r)
	}
}

// TestCommonModeCancels checks what pairing buys, with a fixed seed: a
// common interference factor that multiplies both sides' figures of an
// interval (up to ×3) leaves the paired interval of a 3 % change narrow
// and the change found, while the same figures unpaired (A/A against
// shuffled) spread far wider.
func TestCommonModeCancels(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	var a, b, aa []float64
	for range 60 {
		common := 1 + 2*rng.Float64()
		a = append(a, common*(1+0.01*rng.NormFloat64()))
		b = append(b, 1.03*common*(1+0.01*rng.NormFloat64()))
		aa = append(aa, common*(1+0.01*rng.NormFloat64()))
	}
	r := Compare(a, b, 0.95)
	if !r.Significant() || r.Low < 0.02 || r.High > 0.04 {
		t.Errorf("3%% change under common interference: %+v", r)
	}
	if r := Compare(a, aa, 0.95); r.Significant() || r.High-r.Low > 0.02 {
		t.Errorf("A/A under common interference: %+v", r)
	}
	// Unpaired: B's intervals against A's shifted by one, so that the
	// interference no longer lines up.
	shifted := Compare(a[1:], b[:len(b)-1], 0.95)
	if shifted.High-shifted.Low < 5*(r.High-r.Low) {
		t.Errorf("misaligned pairs: width %v, paired %v; want ≥5× wider", shifted.High-shifted.Low, r.High-r.Low)
	}
}
