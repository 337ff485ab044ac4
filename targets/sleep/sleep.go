// Package sleep provides the sleep calibration target: every operation sleeps
// for a latency drawn from a configured distribution, optionally fails at a
// configured rate, optionally queues behind a concurrency limit, and is held
// by scheduled stalls. Because its behaviour is known in advance, it is used to
// check the runner's own measurements: percentiles against the distribution,
// error accounting against error_rate, capacity against concurrency and
// latency, and freedom from coordinated omission against stalls.
//
// Sleeping uses the precise sleeper of package internal/hrtimer, which
// never spins: the last few milliseconds of a call wait on a Go timer, with
// the sleeper's alarm (one timer file, a kernel hrtimer with an absolute
// deadline) waking the process on time, where Go's timers alone would round
// a sub-millisecond sleep up to a whole millisecond in an idle process. A
// call lasts its drawn latency plus the wake-up's lateness: on a 2-core VM
// about 10–15µs at the median (BenchmarkSleepPrecision), where a spinning
// wait was within a microsecond but kept up to a core busy (95 % of one at
// 50µs). The lateness is about the same for every latency, so it shifts a
// comparison's two sides alike. With busy = true a call spins on the CPU
// for its latency instead, so the target competes with the runner for the
// cores, as every in-process target does.
package sleep

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfplan/perfplan/internal/hrtimer"
	"github.com/perfplan/perfplan/targets"
)

// ErrInjected is the error returned by calls that fail because of error_rate.
var ErrInjected = errors.New("sleep: injected error")

// Distribution names accepted by the distribution attribute.
const (
	Fixed     = "fixed"
	Uniform   = "uniform"
	Normal    = "normal"
	LogNormal = "lognormal"
)

// z99 is the 99th percentile of the standard normal distribution.
const z99 = 2.3263478740408408

func ptr(f float64) *float64 { return &f }

// Kind is the sleep target kind. Its operations "op", "get" and "set" all
// sleep for a drawn latency.
//
// Attributes:
//   - latency (duration, default "1ms"): the fixed latency; the default
//     mean of normal and the default median of lognormal.
//   - distribution ("fixed", "uniform", "normal" or "lognormal"; default
//     "fixed").
//   - min, max (durations, uniform only, both required): the bounds.
//   - mean, stddev (durations, normal only): mean defaults to latency, stddev
//     to 0. Draws below zero are clamped to zero.
//   - median, p99 (durations, lognormal only): median defaults to latency;
//     p99 is required and must exceed median. The distribution is
//     exp(N(ln median, σ)) with σ = ln(p99/median)/2.3263.
//   - error_rate (number in [0,1], default 0): the probability that a call
//     fails with ErrInjected after its latency.
//   - seed (whole number, default 0): seeds each worker's random source
//     together with the worker id, so runs are reproducible.
//   - concurrency (whole number, default 0 = unlimited): at most this many
//     calls are in progress at once; the others queue (the queueing time is
//     part of their latency). The target's capacity is concurrency/mean.
//   - busy (bool, default false): spin on the CPU for the latency instead of
//     sleeping, as a CPU-bound in-process target would. Each call in
//     progress then keeps a core busy.
//   - stall { at, duration } (repeatable): from offset at after Open, for
//     duration, the target is frozen: a call that starts during the window
//     waits until it ends, and a call in progress when it begins is paused
//     and resumes with its remaining latency when it ends.
//
// Statistics: calls, errors, stalled (calls held by a stall) and
// in_flight_max (the most calls in progress at once, queued calls excluded).
func Kind() targets.Kind {
	return targets.Kind{
		Name: "sleep",
		Doc:  "sleeps for a latency drawn from a distribution; calibrates the runner",
		Schema: targets.Schema{
			Attrs: []targets.Attr{
				{Name: "latency", Type: targets.Duration, Default: time.Millisecond, Min: ptr(0),
					Doc: "fixed latency; default mean (normal) and median (lognormal)"},
				{Name: "distribution", Type: targets.String, Default: Fixed,
					OneOf: []string{Fixed, Uniform, Normal, LogNormal}, Doc: "latency distribution"},
				{Name: "min", Type: targets.Duration, Min: ptr(0), Doc: "uniform: lower bound"},
				{Name: "max", Type: targets.Duration, Min: ptr(0), Doc: "uniform: upper bound"},
				{Name: "mean", Type: targets.Duration, Min: ptr(0), Doc: "normal: mean (default latency)"},
				{Name: "stddev", Type: targets.Duration, Min: ptr(0), Doc: "normal: standard deviation (default 0)"},
				{Name: "median", Type: targets.Duration, Min: ptr(0), Doc: "lognormal: median (default latency)"},
				{Name: "p99", Type: targets.Duration, Min: ptr(0), Doc: "lognormal: 99th percentile (required, > median)"},
				{Name: "error_rate", Type: targets.Number, Default: 0.0, Min: ptr(0),
					Doc: "probability in [0,1] that a call fails"},
				{Name: "seed", Type: targets.Int, Default: int64(0), Doc: "random seed, combined with the worker id"},
				{Name: "concurrency", Type: targets.Int, Default: int64(0), Min: ptr(0),
					Doc: "most calls in progress at once; 0 is unlimited"},
				{Name: "busy", Type: targets.Bool, Default: false,
					Doc: "spin on the CPU for the latency instead of sleeping (a CPU-bound target)"},
				{Name: "leak_bytes_per_call", Type: targets.Int, Default: int64(0), Min: ptr(0),
					Doc: "test aid: bytes each call allocates and retains until Close (a deliberate leak)"},
			},
			Blocks: []targets.BlockSpec{{
				Type:  "stall",
				Multi: true,
				Doc:   "a window, as an offset from Open, during which the target holds every call",
				Schema: targets.Schema{Attrs: []targets.Attr{
					{Name: "at", Type: targets.Duration, Required: true, Min: ptr(0), Doc: "offset from Open"},
					{Name: "duration", Type: targets.Duration, Required: true, Min: ptr(0), Doc: "length of the stall"},
				}},
			}},
		},
		Ops: []targets.OpSpec{
			{Name: "op", Doc: "sleep for a drawn latency"},
			{Name: "get", Doc: "sleep for a drawn latency"},
			{Name: "set", Doc: "sleep for a drawn latency"},
		},
		Stats:    []string{"calls", "errors", "stalled", "in_flight_max"},
		Gauges:   []string{"in_flight_max"},
		Validate: Validate,
		New:      func(cfg targets.Config) (targets.Target, error) { return New(cfg) },
	}
}

// Validate checks the combinations of attributes that the schema cannot
// express. It returns *targets.AttrError values joined with errors.Join.
func Validate(cfg targets.Config) error {
	_, err := parse(cfg)
	return err
}

// sampler draws latencies. It is immutable; the random source is passed in.
type sampler struct {
	dist     string
	fixed    time.Duration
	min, max time.Duration
	mean, sd float64 // normal (ns)
	mu, sig  float64 // lognormal (ln ns)
}

func (s *sampler) sample(r *rand.Rand) time.Duration {
	switch s.dist {
	case Uniform:
		if s.max <= s.min {
			return s.min
		}
		return s.min + time.Duration(r.Int64N(int64(s.max-s.min)+1))
	case Normal:
		v := s.mean + s.sd*r.NormFloat64()
		if v < 0 {
			return 0
		}
		return time.Duration(v)
	case LogNormal:
		v := math.Exp(s.mu + s.sig*r.NormFloat64())
		if v > math.MaxInt64/2 {
			v = math.MaxInt64 / 2
		}
		return time.Duration(v)
	}
	return s.fixed
}

// window is a stall window as offsets from Open.
type window struct{ start, end time.Duration }

type config struct {
	sampler     sampler
	errorRate   float64
	seed        uint64
	concurrency int
	leak        int
	busy        bool
	stalls      []window // sorted, merged
}

func parse(cfg targets.Config) (*config, error) {
	var errs []error
	c := &config{
		errorRate:   cfg.Float("error_rate"),
		seed:        uint64(cfg.Int("seed")),
		concurrency: int(cfg.Int("concurrency")),
		leak:        int(cfg.Int("leak_bytes_per_call")),
		busy:        cfg.Bool("busy"),
	}
	latency := cfg.Duration("latency")
	if !cfg.Has("latency") {
		latency = time.Millisecond
	}
	dist := cfg.String("distribution")
	if dist == "" {
		dist = Fixed
	}
	s := sampler{dist: dist, fixed: latency}
	only := map[string]string{"min": Uniform, "max": Uniform, "mean": Normal, "stddev": Normal, "median": LogNormal, "p99": LogNormal}
	for _, a := range []string{"min", "max", "mean", "stddev", "median", "p99"} {
		if cfg.Has(a) && only[a] != dist {
			errs = append(errs, targets.Errorf(a, "applies only to distribution %q, not %q", only[a], dist))
		}
	}
	for _, a := range []string{"latency", "min", "max", "mean", "stddev", "median", "p99"} {
		if cfg.Duration(a) < 0 {
			errs = append(errs, targets.Errorf(a, "must not be negative"))
		}
	}
	switch dist {
	case Fixed:
	case Uniform:
		if !cfg.Has("min") {
			errs = append(errs, targets.Errorf("min", "required for distribution %q", Uniform))
		}
		if !cfg.Has("max") {
			errs = append(errs, targets.Errorf("max", "required for distribution %q", Uniform))
		}
		s.min, s.max = cfg.Duration("min"), cfg.Duration("max")
		if cfg.Has("min") && cfg.Has("max") && s.max < s.min {
			errs = append(errs, targets.Errorf("max", "must be at least min (%s), got %s", s.min, s.max))
		}
	case Normal:
		mean := latency
		if cfg.Has("mean") {
			mean = cfg.Duration("mean")
		}
		s.mean, s.sd = float64(mean), float64(cfg.Duration("stddev"))
	case LogNormal:
		median := latency
		if cfg.Has("median") {
			median = cfg.Duration("median")
		}
		p99 := cfg.Duration("p99")
		switch {
		case median <= 0:
			errs = append(errs, targets.Errorf("median", "must be positive for distribution %q", LogNormal))
		case !cfg.Has("p99"):
			errs = append(errs, targets.Errorf("p99", "required for distribution %q", LogNormal))
		case p99 <= median:
			errs = append(errs, targets.Errorf("p99", "must exceed median (%s), got %s", median, p99))
		default:
			s.mu = math.Log(float64(median))
			s.sig = math.Log(float64(p99)/float64(median)) / z99
		}
	default:
		errs = append(errs, targets.Errorf("distribution", "unknown distribution %q", dist))
	}
	c.sampler = s
	if c.errorRate < 0 || c.errorRate > 1 || math.IsNaN(c.errorRate) {
		errs = append(errs, targets.Errorf("error_rate", "must be between 0 and 1, got %g", c.errorRate))
	}
	if c.leak < 0 {
		errs = append(errs, targets.Errorf("leak_bytes_per_call", "must not be negative, got %d", c.leak))
	}
	if c.concurrency < 0 {
		errs = append(errs, targets.Errorf("concurrency", "must not be negative, got %d", c.concurrency))
	}
	for i, b := range cfg.BlocksOf("stall") {
		at, d := b.Config.Duration("at"), b.Config.Duration("duration")
		if at < 0 {
			errs = append(errs, &targets.AttrError{Path: []string{"stall"}, Attr: "at",
				Err: fmt.Errorf("stall %d: must not be negative, got %s", i+1, at)})
		}
		if d <= 0 {
			errs = append(errs, &targets.AttrError{Path: []string{"stall"}, Attr: "duration",
				Err: fmt.Errorf("stall %d: must be positive, got %s", i+1, d)})
		}
		if at >= 0 && d > 0 {
			c.stalls = append(c.stalls, window{at, at + d})
		}
	}
	c.stalls = mergeWindows(c.stalls)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// mergeWindows sorts windows by start and merges overlapping ones.
func mergeWindows(ws []window) []window {
	slices.SortFunc(ws, func(a, b window) int {
		if a.start < b.start {
			return -1
		}
		if a.start > b.start {
			return 1
		}
		return 0
	})
	out := ws[:0]
	for _, w := range ws {
		if n := len(out); n > 0 && w.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, w.end)
			continue
		}
		out = append(out, w)
	}
	return out
}

// finish returns when a call that starts at offset start with service time
// lat ends, given the sorted, merged stall windows, and whether a stall held
// it. A stall freezes the target: a call starting in a window waits for its
// end; a call in progress when a window begins resumes with its remaining
// service time when the window ends.
func finish(stalls []window, start, lat time.Duration) (time.Duration, bool) {
	t, rem, held := start, lat, false
	for _, w := range stalls {
		if w.end <= t {
			continue
		}
		if w.start <= t {
			t, held = w.end, true
			continue
		}
		if w.start < t+rem {
			rem -= w.start - t
			t, held = w.end, true
			continue
		}
		break
	}
	return t + rem, held
}

// Target is an opened sleep target.
type Target struct {
	cfg     *config
	opened  time.Time
	sem     chan struct{} // nil when unlimited
	sleeper *hrtimer.Sleeper

	calls, errs, stalled atomic.Int64
	inFlight, inFlightMx atomic.Int64

	leakMu sync.Mutex
	leaked [][]byte // leak_bytes_per_call: retained until Close
}

// New builds an unopened sleep target from a configuration.
func New(cfg targets.Config) (*Target, error) {
	c, err := parse(cfg)
	if err != nil {
		return nil, fmt.Errorf("sleep target: %w", err)
	}
	// The last sleepWindow of every call waits with the sleeper's alarm
	// (see package hrtimer); nothing spins.
	t := &Target{cfg: c, sleeper: hrtimer.New(hrtimer.Options{Window: sleepWindow})}
	if c.concurrency > 0 {
		t.sem = make(chan struct{}, c.concurrency)
	}
	return t, nil
}

// sleepWindow is how long before a call's end its wait uses the alarm.
const sleepWindow = 5 * time.Millisecond

// Open records the time from which stall offsets count.
func (t *Target) Open(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("open sleep target: %w", err)
	}
	t.opened = time.Now()
	return nil
}

// Close releases the memory retained by leak_bytes_per_call and the precise
// sleeper's timer file.
func (t *Target) Close() error {
	t.sleeper.Close()
	t.leakMu.Lock()
	t.leaked = nil
	t.leakMu.Unlock()
	return nil
}

// NewWorker returns a worker with its own random source, seeded from the
// configured seed and the worker id.
func (t *Target) NewWorker(id int) (targets.Worker, error) {
	return &worker{
		t:    t,
		rng:  rand.New(rand.NewPCG(t.cfg.seed, uint64(id)*0x9e3779b97f4a7c15+1)),
		wait: t.sleeper.NewWaiter(),
	}, nil
}

// Stats reports calls, errors, stalled and in_flight_max.
func (t *Target) Stats() map[string]float64 {
	return map[string]float64{
		"calls":         float64(t.calls.Load()),
		"errors":        float64(t.errs.Load()),
		"stalled":       float64(t.stalled.Load()),
		"in_flight_max": float64(t.inFlightMx.Load()),
	}
}

type worker struct {
	t    *Target
	rng  *rand.Rand
	wait *hrtimer.Waiter
}

// Do sleeps for a drawn latency (held by any stall), then fails with
// ErrInjected at the configured rate. It returns ctx.Err() if ctx ends
// first, which a sleep notices within hrtimer.PollEvery (100ms).
//
// Do keeps a small frame and sleeps with hrtimer's Sleep: an executor
// worker parks inside it, and the frames from its loop down to the
// runtime's park must fit the smallest goroutine stack (2 KiB), or each of
// thousands of workers would need twice that. The bookkeeping before the
// wait is in begin, which has returned by then.
func (w *worker) Do(ctx context.Context, _ *targets.Request) error {
	t := w.t
	if t.sem != nil {
		if err := t.acquire(ctx); err != nil {
			return err
		}
	}
	lat, fail := w.begin()
	var err error
	switch {
	case lat <= 0:
		err = ctx.Err()
	case t.cfg.busy:
		err = spin(ctx, lat)
	default:
		err = w.wait.Sleep(ctx, lat)
	}
	t.inFlight.Add(-1)
	if t.sem != nil {
		<-t.sem
	}
	if err != nil {
		return err
	}
	if fail {
		t.errs.Add(1)
		return ErrInjected
	}
	return nil
}

// acquire takes one of the concurrency slots, waiting for one.
func (t *Target) acquire(ctx context.Context) error {
	select {
	case t.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// begin counts a call in progress and draws its latency (held by any
// stall) and whether it fails.
//
//go:noinline
func (w *worker) begin() (lat time.Duration, fail bool) {
	t := w.t
	t.calls.Add(1)
	n := t.inFlight.Add(1)
	for {
		m := t.inFlightMx.Load()
		if n <= m || t.inFlightMx.CompareAndSwap(m, n) {
			break
		}
	}
	if t.cfg.leak > 0 {
		t.leak()
	}
	lat = t.cfg.sampler.sample(w.rng)
	fail = t.cfg.errorRate > 0 && w.rng.Float64() < t.cfg.errorRate
	if len(t.cfg.stalls) > 0 {
		now := time.Since(t.opened)
		end, held := finish(t.cfg.stalls, now, lat)
		if held {
			t.stalled.Add(1)
		}
		lat = end - now
	}
	return lat, fail
}

// leak allocates leak_bytes_per_call and keeps it until Close.
func (t *Target) leak() {
	b := make([]byte, t.cfg.leak)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1 // touch every page so that RSS grows too
	}
	t.leakMu.Lock()
	t.leaked = append(t.leaked, b)
	t.leakMu.Unlock()
}

// spin keeps the CPU busy for d, or until ctx ends.
func spin(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for i := 0; time.Now().Before(deadline); i++ {
		if i&1023 == 1023 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}
