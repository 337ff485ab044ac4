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
//  2. Lead < d ≤ Window: the goroutine waits on a timerfd armed for Lead
//     before the deadline (an absolute CLOCK_MONOTONIC time, a kernel
//     hrtimer with no slack), read through Go's network poller, and on a Go
//     timer for the same instant (the file's read deadline). Whichever fires
//     first wakes it. The timerfd wakes an idle process on time, because
//     epoll_wait returns when a file is ready whatever its millisecond
//     timeout; the Go timer is on time whenever the process is busy, when
//     the poller may not be polled for a while. The goroutine holds no OS
//     thread and no P while it waits, so any number of goroutines can wait
//     at once; each holds one file descriptor (at most Slots at once; the
//     others use a Go timer alone).
//  3. d ≤ Lead: the goroutine spins, yielding the processor (runtime.Gosched)
//     on every round. At most Spinners goroutines spin at once (beyond the
//     last 25µs, which any goroutine spins); the others wait in phase 2 for
//     the deadline itself rather than burn another core. That happens at
//     high rates, when many goroutines are close to their deadlines at once.
//     With a single P (GOMAXPROCS=1) nothing spins: a goroutine that yields
//     in a loop keeps the only P busy, and the network poller is then
//     polled only every 10ms, which would delay every network response
//     (and every timer file) in the process.
//
// (A first version slept in futex(2) on the goroutine's own thread. It was
// as precise for one waiter, but a goroutine blocked in a system call keeps
// its P until the runtime's monitor takes it back, so with a few waiters at
// once on a 2-core machine the whole process crawled.)
//
// Lead adapts: each phase-2 wait measures how late it woke, and Lead follows
// the mean lateness plus LeadDeviations mean absolute deviations (an
// exponentially weighted estimate, each observation capped at MaxLead),
// capped at MaxLead. With LeadDeviations 0 a wait ends about on time on
// average at almost no spinning cost; with 1 or 2, most waits end by
// spinning the last microseconds, at the cost of spinning for about the
// wake-up jitter.
//
// Go's monotonic clock (time.Now, time.Since) reads CLOCK_MONOTONIC, the
// timerfd's clock, so deadlines given as time.Time convert exactly: a
// Sleeper reads both clocks once when it is made and keeps the offset.
//
// On systems other than Linux phase 2 is skipped.
package hrtimer

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Sleeper. Zero fields take the defaults.
type Options struct {
	// Slots bounds the goroutines in phase 2 at once (each holds a file
	// descriptor). Default 1024.
	Slots int
	// Window is the longest phase-2 wait; longer waits first use a Go
	// timer. Default 20ms.
	Window time.Duration
	// LeadDeviations sets how early phase 2 ends, in mean absolute
	// deviations of the measured wake-up lateness above its mean.
	LeadDeviations float64
	// MaxLead caps the spin before a deadline. Default 200µs.
	MaxLead time.Duration
	// Spinners bounds the goroutines that spin at once. Default
	// GOMAXPROCS/2: none with a single P.
	Spinners int
}

// Sleeper waits until deadlines. It is safe for concurrent use; each waiting
// goroutine needs its own Waiter. Close releases its file descriptors.
type Sleeper struct {
	window  time.Duration
	k       float64
	maxLead time.Duration

	// late and dev estimate the phase-2 wake-up lateness (ns) and its mean
	// absolute deviation; updates may race, which only loses a sample.
	late, dev atomic.Int64

	base     time.Time
	baseMono int64
	precise  bool // phase 2 is available

	spinners, maxSpin atomic.Int32

	mu     sync.Mutex
	free   []*timerFile // idle timer files
	open   int          // timer files in existence (≤ max)
	max    int
	active map[*Waiter]struct{} // waiters in phase 2
	closed bool
	gen    uint64 // bumped by Interrupt
}

// New returns a Sleeper.
func New(o Options) *Sleeper {
	if o.Slots <= 0 {
		o.Slots = 1024
	}
	if o.Window <= 0 {
		o.Window = 20 * time.Millisecond
	}
	if o.MaxLead <= 0 {
		o.MaxLead = 200 * time.Microsecond
	}
	s := &Sleeper{max: o.Slots, window: o.Window, k: max(o.LeadDeviations, 0), maxLead: o.MaxLead,
		active: map[*Waiter]struct{}{}}
	if o.Spinners <= 0 {
		o.Spinners = runtime.GOMAXPROCS(0) / 2
	}
	s.maxSpin.Store(int32(o.Spinners))
	s.base, s.baseMono, s.precise = monoBase()
	// A first guess of the wake-up lateness, replaced by measurements.
	s.late.Store(int64(20 * time.Microsecond))
	s.dev.Store(int64(10 * time.Microsecond))
	return s
}

// Close releases the Sleeper's file descriptors. Waits in phase 2 end at
// once; later waits use Go timers only.
func (s *Sleeper) Close() {
	s.mu.Lock()
	s.closed = true
	free := s.free
	s.free = nil
	for w := range s.active {
		w.tf.wake()
	}
	s.mu.Unlock()
	for _, f := range free {
		f.close()
	}
}

// Interrupt ends every wait in phase 2 at once, so that its goroutine sees
// a closed cancel channel without waiting out its deadline.
func (s *Sleeper) Interrupt() {
	s.mu.Lock()
	s.gen++
	for w := range s.active {
		w.tf.wake()
	}
	s.mu.Unlock()
}

// Lead returns how long before a deadline phase 2 ends.
func (s *Sleeper) Lead() time.Duration {
	l := time.Duration(float64(s.late.Load()) + s.k*float64(s.dev.Load()))
	return min(max(l, 0), s.maxLead)
}

// observe adds one measured wake-up lateness to the estimates.
func (s *Sleeper) observe(late time.Duration) {
	const w = 1.0 / 16
	m := float64(s.late.Load())
	d := float64(s.dev.Load())
	// An outlier (the process was descheduled) must not drag the estimate:
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
	tf    *timerFile // held during phase 2
	// Precise counts the waits that used phase 2; Spun counts those that
	// ended by spinning. They are for tests and benchmarks.
	Precise, Spun int64
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
			if d <= shortSpin && s.maxSpin.Load() > 0 {
				return w.spin(deadline, cancel, false)
			}
			if s.acquireSpin() {
				return w.spin(deadline, cancel, true)
			}
			// No spinning slot: phase 2 for the deadline itself.
			lead = 0
		}
		if s.precise && d <= s.window {
			wake := deadline.Add(-lead)
			if gen, ok := w.acquire(wake); ok {
				fired := w.tf.wait()
				late := time.Since(wake)
				if s.release(w, gen) && fired {
					s.observe(late)
				}
				w.Precise++
				continue
			}
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

// acquire gives w a timer file for phase 2, armed for wake, and registers it
// for Interrupt; it returns the interrupt generation, and false when every
// slot is taken. Arming under the lock that Interrupt takes means an
// interrupt either comes first (and the wait is not started) or finds the
// file armed and wakes it.
func (w *Waiter) acquire(wake time.Time) (uint64, bool) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, false
	}
	if n := len(s.free); n > 0 {
		w.tf = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		if s.open >= s.max {
			return 0, false
		}
		tf, err := newTimerFile()
		if err != nil {
			s.max = s.open // out of descriptors: stay with what works
			return 0, false
		}
		s.open++
		w.tf = tf
	}
	if !w.tf.arm(s.baseMono+int64(wake.Sub(s.base)), wake) {
		s.free = append(s.free, w.tf)
		w.tf = nil
		return 0, false
	}
	s.active[w] = struct{}{}
	return s.gen, true
}

// release returns w's timer file; it reports whether no Interrupt came in
// the meantime (gen is acquire's).
func (s *Sleeper) release(w *Waiter, gen uint64) bool {
	s.mu.Lock()
	delete(s.active, w)
	tf := w.tf
	w.tf = nil
	quiet := s.gen == gen
	if s.closed {
		s.mu.Unlock()
		tf.close()
		return quiet
	}
	s.free = append(s.free, tf)
	s.mu.Unlock()
	return quiet
}

// shortSpin: a wait this short spins without a spinning slot; a kernel
// wake-up would take longer.
const shortSpin = 25 * time.Microsecond

// acquireSpin takes a spinning slot.
func (s *Sleeper) acquireSpin() bool {
	for {
		n := s.spinners.Load()
		if n >= s.maxSpin.Load() {
			return false
		}
		if s.spinners.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// spin spins until deadline, yielding on every round. It releases the
// spinning slot that acquireSpin took, if slot.
func (w *Waiter) spin(deadline time.Time, cancel <-chan struct{}, slot bool) (time.Time, bool) {
	if slot {
		defer w.s.spinners.Add(-1)
	}
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
