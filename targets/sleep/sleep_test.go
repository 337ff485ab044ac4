package sleep

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/perfplan/perfplan/targets"
)

func cfgOf(attrs map[string]any, stalls ...[2]time.Duration) targets.Config {
	c := targets.Config{Attrs: attrs}
	for _, s := range stalls {
		c.Blocks = append(c.Blocks, targets.Block{Type: "stall", Config: targets.Config{
			Attrs: map[string]any{"at": s[0], "duration": s[1]}}})
	}
	return c
}

func TestKindRegisters(t *testing.T) {
	t.Parallel()
	if err := targets.NewRegistry().Register(Kind()); err != nil {
		t.Fatal(err)
	}
}

func TestDistributions(t *testing.T) {
	t.Parallel()
	ms := float64(time.Millisecond)
	tests := []struct {
		name       string
		attrs      map[string]any
		wantMean   float64 // ns
		wantSD     float64 // ns
		wantMin    float64
		wantMax    float64
		wantMedian float64
		wantP99    float64
	}{
		{name: "fixed", attrs: map[string]any{"latency": 2 * time.Millisecond},
			wantMean: 2 * ms, wantMin: 2 * ms, wantMax: 2 * ms},
		{name: "uniform", attrs: map[string]any{"distribution": Uniform, "min": time.Millisecond, "max": 3 * time.Millisecond},
			wantMean: 2 * ms, wantSD: 2 * ms / math.Sqrt(12), wantMin: ms, wantMax: 3 * ms},
		{name: "normal", attrs: map[string]any{"distribution": Normal, "mean": 10 * time.Millisecond, "stddev": time.Millisecond},
			wantMean: 10 * ms, wantSD: ms},
		{name: "normal mean defaults to latency", attrs: map[string]any{"distribution": Normal, "latency": 5 * time.Millisecond, "stddev": time.Millisecond},
			wantMean: 5 * ms, wantSD: ms},
		{name: "normal clamped at zero", attrs: map[string]any{"distribution": Normal, "mean": time.Millisecond, "stddev": 10 * time.Millisecond},
			wantMin: 0},
		{name: "lognormal", attrs: map[string]any{"distribution": LogNormal, "median": time.Millisecond, "p99": 10 * time.Millisecond},
			wantMedian: ms, wantP99: 10 * ms},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := parse(cfgOf(tc.attrs))
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			const n = 200000
			xs := make([]float64, n)
			var sum float64
			for i := range xs {
				xs[i] = float64(c.sampler.sample(r))
				sum += xs[i]
			}
			mean := sum / n
			var ss float64
			for _, x := range xs {
				ss += (x - mean) * (x - mean)
			}
			sd := math.Sqrt(ss / n)
			slices.Sort(xs)
			near := func(what string, got, want, tol float64) {
				t.Helper()
				if math.Abs(got-want) > tol {
					t.Errorf("%s = %.0f ns, want %.0f ± %.0f", what, got, want, tol)
				}
			}
			if tc.wantMean != 0 {
				near("mean", mean, tc.wantMean, 0.01*tc.wantMean)
			}
			if tc.wantSD != 0 {
				near("stddev", sd, tc.wantSD, 0.02*tc.wantSD)
			}
			if tc.wantMin != 0 || tc.name == "normal clamped at zero" {
				if xs[0] < tc.wantMin || (tc.wantMin > 0 && xs[0] > tc.wantMin*1.001) {
					t.Errorf("min = %.0f, want %.0f", xs[0], tc.wantMin)
				}
			}
			if tc.wantMax != 0 && (xs[n-1] > tc.wantMax || xs[n-1] < tc.wantMax*0.999) {
				t.Errorf("max = %.0f, want %.0f", xs[n-1], tc.wantMax)
			}
			if tc.wantMedian != 0 {
				near("median", xs[n/2], tc.wantMedian, 0.02*tc.wantMedian)
			}
			if tc.wantP99 != 0 {
				near("p99", xs[n*99/100], tc.wantP99, 0.05*tc.wantP99)
			}
		})
	}
}

func TestErrorRate(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{0, 0.01, 0.25, 1} {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			tg, err := New(cfgOf(map[string]any{"latency": time.Duration(0), "error_rate": rate, "seed": int64(42)}))
			if err != nil {
				t.Fatal(err)
			}
			if err := tg.Open(context.Background()); err != nil {
				t.Fatal(err)
			}
			w, _ := tg.NewWorker(0)
			const n = 100000
			fails := 0
			for range n {
				if err := w.Do(context.Background(), &targets.Request{}); err != nil {
					if !errors.Is(err, ErrInjected) {
						t.Fatalf("unexpected error %v", err)
					}
					fails++
				}
			}
			got := float64(fails) / n
			// Binomial: 4 standard deviations, plus a floor.
			tol := 4*math.Sqrt(rate*(1-rate)/n) + 1e-9
			if math.Abs(got-rate) > tol {
				t.Errorf("error rate %.4f, want %.4f ± %.4f", got, rate, tol)
			}
			st := tg.Stats()
			if st["calls"] != n || st["errors"] != float64(fails) {
				t.Errorf("stats %v, want calls %d errors %d", st, n, fails)
			}
		})
	}
}

func TestFinish(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	stalls := []window{{10 * ms, 20 * ms}, {30 * ms, 35 * ms}}
	tests := []struct {
		name       string
		start, lat time.Duration
		want       time.Duration
		held       bool
	}{
		{"before any stall", 0, 5 * ms, 5 * ms, false},
		{"ends exactly at stall start", 5 * ms, 5 * ms, 10 * ms, false},
		{"starts in stall", 12 * ms, 1 * ms, 21 * ms, true},
		{"in progress when stall begins", 8 * ms, 4 * ms, 22 * ms, true},
		{"spans two stalls", 8 * ms, 14 * ms, 37 * ms, true},
		{"after stalls", 40 * ms, 1 * ms, 41 * ms, false},
		{"between stalls", 20 * ms, 5 * ms, 25 * ms, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, held := finish(stalls, tc.start, tc.lat)
			if got != tc.want || held != tc.held {
				t.Errorf("finish(%s, %s) = %s, %v; want %s, %v", tc.start, tc.lat, got, held, tc.want, tc.held)
			}
		})
	}
}

func TestStallHoldsCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		delay time.Duration // when the call starts, after Open
		lat   time.Duration
	}{
		{"starts during stall", 30 * time.Millisecond, time.Millisecond},
		{"in progress when stall begins", 0, 40 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			at, d := 20*time.Millisecond, 80*time.Millisecond
			tg, err := New(cfgOf(map[string]any{"latency": tc.lat}, [2]time.Duration{at, d}))
			if err != nil {
				t.Fatal(err)
			}
			if err := tg.Open(context.Background()); err != nil {
				t.Fatal(err)
			}
			w, _ := tg.NewWorker(0)
			time.Sleep(tc.delay)
			if err := w.Do(context.Background(), &targets.Request{}); err != nil {
				t.Fatal(err)
			}
			// A lower bound only: the call cannot end before the stall does.
			if el := time.Since(tg.opened); el < at+d {
				t.Errorf("call ended %s after Open, before the stall ended at %s", el, at+d)
			}
			if got := tg.Stats()["stalled"]; got != 1 {
				t.Errorf("stalled = %v, want 1", got)
			}
		})
	}
}

func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	for _, limit := range []int64{1, 3} {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			tg, err := New(cfgOf(map[string]any{"latency": 200 * time.Microsecond, "concurrency": limit}))
			if err != nil {
				t.Fatal(err)
			}
			_ = tg.Open(context.Background())
			var wg sync.WaitGroup
			for id := range 8 {
				w, _ := tg.NewWorker(id)
				wg.Go(func() {
					for range 20 {
						if err := w.Do(context.Background(), &targets.Request{}); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			st := tg.Stats()
			if st["in_flight_max"] > float64(limit) || st["in_flight_max"] < 1 {
				t.Errorf("in_flight_max = %v, limit %d", st["in_flight_max"], limit)
			}
			if st["calls"] != 160 {
				t.Errorf("calls = %v, want 160", st["calls"])
			}
		})
	}
}

func TestContextCancel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		attrs map[string]any
	}{
		{"sleeping", map[string]any{"latency": time.Hour}},
		{"queued", map[string]any{"latency": time.Hour, "concurrency": int64(1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg, err := New(cfgOf(tc.attrs))
			if err != nil {
				t.Fatal(err)
			}
			_ = tg.Open(context.Background())
			ctx, cancel := context.WithCancel(context.Background())
			if tc.attrs["concurrency"] != nil { // occupy the only slot
				tg.sem <- struct{}{}
			}
			done := make(chan error, 1)
			w, _ := tg.NewWorker(0)
			go func() { done <- w.Do(ctx, &targets.Request{}) }()
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Do = %v, want context.Canceled", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		attrs     map[string]any
		stalls    [][2]time.Duration
		wantAttrs []string // attributes named by AttrErrors; empty = valid
	}{
		{"defaults", map[string]any{}, nil, nil},
		{"uniform ok", map[string]any{"distribution": Uniform, "min": time.Millisecond, "max": 2 * time.Millisecond}, nil, nil},
		{"uniform missing bounds", map[string]any{"distribution": Uniform}, nil, []string{"min", "max"}},
		{"uniform max below min", map[string]any{"distribution": Uniform, "min": 2 * time.Millisecond, "max": time.Millisecond}, nil, []string{"max"}},
		{"lognormal missing p99", map[string]any{"distribution": LogNormal}, nil, []string{"p99"}},
		{"lognormal p99 below median", map[string]any{"distribution": LogNormal, "median": 2 * time.Millisecond, "p99": time.Millisecond}, nil, []string{"p99"}},
		{"attribute of another distribution", map[string]any{"stddev": time.Millisecond}, nil, []string{"stddev"}},
		{"error rate above 1", map[string]any{"error_rate": 1.5}, nil, []string{"error_rate"}},
		{"negative concurrency", map[string]any{"concurrency": int64(-1)}, nil, []string{"concurrency"}},
		{"bad distribution", map[string]any{"distribution": "pareto"}, nil, []string{"distribution"}},
		{"zero stall", map[string]any{}, [][2]time.Duration{{time.Second, 0}}, []string{"duration"}},
		{"several at once", map[string]any{"error_rate": -0.1, "distribution": Uniform}, nil, []string{"min", "max", "error_rate"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Validate(cfgOf(tc.attrs, tc.stalls...))
			var got []string
			for _, e := range unjoin(err) {
				var ae *targets.AttrError
				if !errors.As(e, &ae) {
					t.Fatalf("error %v is not an *AttrError", e)
				}
				got = append(got, ae.Attr)
			}
			slices.Sort(got)
			want := slices.Clone(tc.wantAttrs)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("errors on %v, want %v (err: %v)", got, want, err)
			}
			if _, nerr := New(cfgOf(tc.attrs, tc.stalls...)); (nerr == nil) != (len(want) == 0) {
				t.Errorf("New error = %v", nerr)
			}
		})
	}
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestMergeWindows(t *testing.T) {
	t.Parallel()
	got := mergeWindows([]window{{30, 40}, {0, 10}, {5, 20}, {20, 25}})
	want := []window{{0, 25}, {30, 40}}
	if !slices.Equal(got, want) {
		t.Errorf("mergeWindows = %v, want %v", got, want)
	}
}

func TestLeakRetainsBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		leak  int64
		calls int
		want  int
	}{
		{name: "no leak", leak: 0, calls: 5, want: 0},
		{name: "leak", leak: 1000, calls: 5, want: 5000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tt, err := New(cfgOf(map[string]any{"latency": time.Duration(0), "leak_bytes_per_call": tc.leak}))
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.Open(context.Background()); err != nil {
				t.Fatal(err)
			}
			w, _ := tt.NewWorker(0)
			for range tc.calls {
				if err := w.Do(context.Background(), &targets.Request{}); err != nil {
					t.Fatal(err)
				}
			}
			got := 0
			tt.leakMu.Lock()
			for _, b := range tt.leaked {
				got += len(b)
			}
			tt.leakMu.Unlock()
			if got != tc.want {
				t.Fatalf("retained %d bytes, want %d", got, tc.want)
			}
			if err := tt.Close(); err != nil {
				t.Fatal(err)
			}
			if tt.leaked != nil {
				t.Fatal("Close kept the leaked slices")
			}
		})
	}
}
