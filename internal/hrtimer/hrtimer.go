// Package hrtimer waits until absolute times with microsecond precision and
// without spinning a core.
//
// # Why
//
// Go's timers are precise while the process is busy, but an idle process
// waits for its next timer in epoll_wait, whose timeout is in whole
// milliseconds: a 300µs sleep then lasts about 1ms, and a 1.5ms sleep about
// 2ms. perfplan needs better in two places: an open-model worker that waits
// for its iteration's intended start (a late start is charged to the target
// as latency), and the sleep calibration target (a 1.0ms against 1.1ms
// comparison must show +10%). Spinning on the clock is precise but burns a
// core, and on a 2-core machine that core belongs to the target under test.
//
// # How
//
// A wait has up to three phases, chosen by the time left, d:
//
//  1. d > Window: a Go timer (interruptible by the cancel channel) until
//     Window before the deadline; being up to a millisecond late here does
//     not matter.
//  2. Lead < d ≤ Window: the calling goroutine's thread sleeps in the kernel
//     until Lead before the deadline, in futex(FUTEX_WAIT_BITSET) with an
//     absolute CLOCK_MONOTONIC timeout and the thread's timer slack lowered
//     from the kernel's default of 50µs to 1ns (prctl PR_SET_TIMERSLACK).
//     The goroutine wakes on its own thread, so a wait costs one kernel
//     wake-up and no hand-off between threads. A thread blocked here is one
//     OS thread, so at most Slots goroutines use this phase at once; the
//     others use a Go timer, which is precise whenever the process is busy
//     (and with that many waiters it is).
//  3. d ≤ Lead: the goroutine spins, yielding the processor (runtime.Gosched)
//     on every round.
//
// Lead adapts: each kernel sleep measures how late it woke, and Lead follows
// the mean lateness plus LeadDeviations mean absolute deviations (an
// exponentially weighted estimate), capped at MaxLead. With LeadDeviations
// 0 a wait ends about on time on average at almost no spinning cost; with 2,
// most waits end within a microsecond at the cost of spinning for about the
// wake-up jitter.
//
// Go's monotonic clock (time.Now, time.Since) reads CLOCK_MONOTONIC, the
// clock of the futex timeout, so deadlines given as time.Time convert
// exactly: a Sleeper reads both clocks once when it is made and keeps the
// offset.
//
// On systems other than Linux phase 2 is skipped.
package hrtimer

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Options configure a Sleeper. Zero fields take the defaults.
type Options struct {
	// Slots bounds the goroutines that sleep in the kernel at once (each
	// holds an OS thread). Default 16.
	Slots int
	// Window is the longest kernel sleep; longer waits first use a Go
	// timer. Default 20ms.
	Window time.Duration
	// LeadDeviations sets how early a kernel sleep ends, in mean absolute
	// deviations of the measured wake-up lateness above its mean. 0 aims
	// at the deadline on average; 2 makes nearly every wait end by spinning.
	LeadDeviations float64
	// MaxLead caps the spin before a deadline. Default 200µs.
	MaxLead time.Duration
}

// Sleeper waits until deadlines. It is safe for concurrent use; each waiting
// goroutine needs its own Waiter.
type Sleeper struct {
	word    atomic.Uint32 // futex word, bumped by Interrupt
	slots   atomic.Int32
	max     int32
	window  time.Duration
	k       float64
	maxLead time.Duration

	// late and dev estimate the kernel wake-up lateness (ns) and its mean
	// absolute deviation; updates may race, which only loses a sample.
	late, dev atomic.Int64

	base     time.Time
	baseMono int64
	precise  bool // the kernel phase is available
}

// New returns a Sleeper.
func New(o Options) *Sleeper {
	if o.Slots <= 0 {
		o.Slots = 16
	}
	if o.Window <= 0 {
		o.Window = 20 * time.Millisecond
	}
	if o.MaxLead <= 0 {
		o.MaxLead = 200 * time.Microsecond
	}
	s := &Sleeper{max: int32(o.Slots), window: o.Window, k: max(o.LeadDeviations, 0), maxLead: o.MaxLead}
	s.base, s.baseMono, s.precise = monoBase()
	// A first guess of the wake-up lateness, replaced by measurements.
	s.late.Store(int64(20 * time.Microsecond))
	s.dev.Store(int64(10 * time.Microsecond))
	return s
}

// Interrupt wakes every goroutine sleeping in the kernel phase, so that it
// sees a closed cancel channel at once rather than at the end of its sleep.
func (s *Sleeper) Interrupt() {
	if s.precise {
		s.word.Add(1)
		futexWakeAll(&s.word)
	}
}

// Lead returns how long before a deadline the kernel phase ends.
func (s *Sleeper) Lead() time.Duration {
	l := time.Duration(float64(s.late.Load()) + s.k*float64(s.dev.Load()))
	return min(max(l, 0), s.maxLead)
}

// observe adds one measured wake-up lateness to the estimates.
func (s *Sleeper) observe(late time.Duration) {
	const w = 1.0 / 16
	m := float64(s.late.Load())
	d := float64(s.dev.Load())
	// An outlier (the thread was descheduled) must not drag the estimate:
	// observations count at most MaxLead.
	x := min(float64(late), float64(s.maxLead))
	s.late.Store(int64(m + w*(x-m)))
	s.dev.Store(int64(d + w*(abs(x-m)-d)))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Waiter is one goroutine's handle on a Sleeper; it keeps a reusable Go
// timer, so waits allocate nothing. A Waiter is used by one goroutine at a
// time.
type Waiter struct {
	s     *Sleeper
	timer *time.Timer
	// Kernel counts the waits that used the kernel phase; Spun counts
	// those that ended by spinning. They are for tests and benchmarks.
	Kernel, Spun int64
}

// NewWaiter returns a Waiter on s.
func (s *Sleeper) NewWaiter() *Waiter { return &Waiter{s: s} }

// Until waits until deadline, or until cancel is closed. It returns the time
// at which it stopped waiting, and whether the deadline was reached (false
// when cancelled). A nil cancel never fires.
func (w *Waiter) Until(deadline time.Time, cancel <-chan struct{}) (time.Time, bool) {
	s := w.s
	for {
		now := time.Now()
		d := deadline.Sub(now)
		if d <= 0 {
			return now, true
		}
		select {
		case <-cancel:
			return now, false
		default:
		}
		lead := s.Lead()
		if d <= lead+2*time.Microsecond {
			return w.spin(deadline, cancel)
		}
		if s.precise && d <= s.window && s.acquire() {
			seq := s.word.Load()
			wake := deadline.Add(-lead)
			futexWaitUntil(&s.word, seq, s.baseMono+int64(wake.Sub(s.base)))
			s.slots.Add(-1)
			w.Kernel++
			if late := time.Since(wake); s.word.Load() == seq {
				// Woken by the timeout, not by Interrupt.
				s.observe(late)
			}
			continue
		}
		sleep := d - s.window
		if sleep <= 0 {
			sleep = d - lead
		}
		if !w.timerWait(sleep, cancel) {
			return time.Now(), false
		}
	}
}

// acquire takes a kernel-phase slot.
func (s *Sleeper) acquire() bool {
	for {
		n := s.slots.Load()
		if n >= s.max {
			return false
		}
		if s.slots.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// spin spins until deadline, yielding on every round.
func (w *Waiter) spin(deadline time.Time, cancel <-chan struct{}) (time.Time, bool) {
	w.Spun++
	for i := 0; ; i++ {
		now := time.Now()
		if !now.Before(deadline) {
			return now, true
		}
		if i&63 == 63 {
			select {
			case <-cancel:
				return now, false
			default:
			}
		}
		runtime.Gosched()
	}
}

// timerWait sleeps d on the Waiter's Go timer; it returns false when cancel
// fired first.
func (w *Waiter) timerWait(d time.Duration, cancel <-chan struct{}) bool {
	if w.timer == nil {
		w.timer = time.NewTimer(d)
	} else {
		w.timer.Reset(d)
	}
	select {
	case <-w.timer.C:
		return true
	case <-cancel:
		w.timer.Stop()
		return false
	}
}

// atomicWord is the futex word's type: the kernel reads it as a uint32.
type atomicWord = atomic.Uint32
