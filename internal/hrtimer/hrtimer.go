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
// # How (the default: timer files read through the poller, no spinning)
//
// A wait of d:
//
//  1. d > Window: a Go timer (interruptible by the cancel channel) until
//     Window before the deadline; being up to a millisecond late here does
//     not matter.
//  2. d ≤ Window, in Until: the goroutine reads a timer file of the
//     Sleeper's (a non-blocking timerfd on CLOCK_MONOTONIC with an
//     absolute deadline, a kernel hrtimer with no slack) through Go's
//     network poller, with no read deadline. When the file expires the
//     poller's epoll_wait returns that goroutine itself, and the thread
//     that polled runs it: no Go timer, no hand-over to another thread.
//     Both system calls (arming and reading the file) are raw, without
//     the runtime's entersyscall, because neither blocks and a system call
//     entered the runtime's way while every P is idle wakes the runtime's
//     monitor thread, which then polls every 20µs until the process is
//     idle again; a Go timer wakes it too. At a moderate rate of waits
//     (5,000 a second, each followed by a network round trip) those
//     wake-ups were a third of the process's context switches and a
//     seventh of its CPU. Such a wait notices its cancel channel when it
//     starts and when Interrupt is called: a caller that closes the
//     channel then calls Interrupt. The timer files are taken from a pool
//     (at most Slots); with none free, the wait uses the alarm below.
//  3. d ≤ Window, in Sleep (and in Until without a free timer file): a Go
//     timer for the deadline itself, with the Sleeper's alarm set for it.
//     The alarm is one timer file per Sleeper registered with the poller
//     and never read. It is kept set for the earliest pending deadline:
//     when it expires, the poller's epoll_wait returns at once whatever
//     its millisecond timeout, and the runtime runs the Go timers that are
//     due, the waiting goroutine's among them. A wait costs one Go timer
//     and, when its deadline is the earliest pending, one
//     timerfd_settime; it keeps the waiting goroutine's stack small (see
//     Sleep). Measured on a shared 2-core VM, such a wait wakes about 13µs
//     late at the median (Go's timer alone: 540µs), at 1.3× the CPU of a
//     time.Sleep loop.
//
// Nothing spins in this mode, whatever the rate or GOMAXPROCS. Interrupt
// is not needed to end its waits: they wait on Go timers and the cancel
// channel.
//
// # Opt-in spinning (Options.Spin)
//
// With Spin set, the last microseconds of a wait spin, for callers that
// prefer the last few microseconds of precision to a core's worth of CPU.
// A wait then has up to three phases, chosen by the time left, d:
//
//  1. d > Window: a Go timer, as above.
//  2. Lead < d ≤ Window: the goroutine waits on a timerfd of its own armed
//     for Lead before the deadline, read through Go's network poller, and
//     on a Go timer for the same instant (the file's read deadline).
//     Whichever fires first wakes it. Each waiting goroutine holds one file
//     descriptor (at most Slots at once; the others use a Go timer alone).
//     For Sleep, which must keep the waiting goroutine's stack small, a
//     goroutine of the file's own arms and reads it, and the waiting
//     goroutine blocks on a channel.
//  3. d ≤ Lead: the goroutine spins, yielding the processor (runtime.Gosched)
//     on every round. At most Spinners goroutines spin at once (beyond the
//     last 25µs, which any goroutine spins); the others wait in phase 2 for
//     the deadline itself rather than burn another core. With a single P
//     (GOMAXPROCS=1) nothing spins: a goroutine that yields in a loop keeps
//     the only P busy, and the network poller is then polled only every
//     10ms, which would delay every network response in the process.
//     Waiter.Spun counts the waits that spun.
//
// When every timer file is in use, Slots waits end within the next Window:
// the process is busy, and Go's timers are on time. A wait then sleeps on a
// Go timer until its deadline itself, whatever its phase.
//
// Lead adapts: each phase-2 wait measures how late it woke, and Lead follows
// the mean lateness plus LeadDeviations mean absolute deviations (an
// exponentially weighted estimate, each observation capped at MaxLead),
// capped at MaxLead.
//
// (A first version slept in futex(2) on the goroutine's own thread. It was
// as precise for one waiter, but a goroutine blocked in a system call keeps
// its P until the runtime's monitor takes it back, so with a few waiters at
// once on a 2-core machine the whole process crawled.)
//
// Go's monotonic clock (time.Now, time.Since) reads CLOCK_MONOTONIC, the
// timerfd's clock, so deadlines given as time.Time convert exactly: a
// Sleeper reads both clocks once when it is made and keeps the offset.
//
// On systems other than Linux there are no timer files: waits use Go
// timers (and, with Spin, a spin).
package hrtimer

import (
	"context"
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
	// Spinners bounds the goroutines that spin at once, with Spin.
	// Default GOMAXPROCS/2: none with a single P.
	Spinners int
	// Spin opts in to the spinning mode (see the package's
	// documentation); the other fields but Window apply to it only.
	// Without it, nothing spins.
	Spin bool
}

// Sleeper waits until deadlines. It is safe for concurrent use; each waiting
// goroutine needs its own Waiter. Close releases its file descriptors and
// the goroutines that read them.
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

	// busy counts the waits in phase 2, max the timer files there may be
	// (see saturated).
	busy, max atomic.Int32
	gen       atomic.Uint64 // bumped by Interrupt
	closed    atomic.Bool

	// idle holds the timer files that no wait uses. A wait takes one
	// without a lock (and without a deep call chain, see wait).
	idle chan *timerFile

	mu    sync.Mutex   // guards files
	files []*timerFile // every timer file made, for Interrupt and Close

	// directOff is the offset from base until which direct waits are
	// off (see noteDirect).
	directOff atomic.Int64

	// alarm wakes the process for waits in the default mode; nil with
	// Spin, or without timer files.
	alarm *alarm
	spin  bool // Options.Spin
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
	s := &Sleeper{window: o.Window, k: max(o.LeadDeviations, 0), maxLead: o.MaxLead,
		idle: make(chan *timerFile, o.Slots)}
	s.max.Store(int32(o.Slots))
	if o.Spinners <= 0 {
		o.Spinners = runtime.GOMAXPROCS(0) / 2
	}
	s.maxSpin.Store(int32(o.Spinners))
	s.base, s.baseMono, s.precise = monoBase()
	s.spin = o.Spin
	if !o.Spin {
		s.maxSpin.Store(0)
		if s.precise {
			s.alarm = newAlarm(s.base, s.baseMono)
		}
	}
	// A first guess of the wake-up lateness, replaced by measurements.
	s.late.Store(int64(20 * time.Microsecond))
	s.dev.Store(int64(10 * time.Microsecond))
	return s
}

// Close releases the Sleeper's file descriptors. Waits in phase 2 end at
// once (their files are closed as they end); later waits use Go timers
// only.
func (s *Sleeper) Close() {
	s.closed.Store(true)
	if s.alarm != nil {
		s.alarm.close()
	}
	s.mu.Lock()
	for _, f := range s.files {
		f.wake()
	}
	s.mu.Unlock()
	s.closeIdle()
}

// closeIdle closes the idle timer files of a closed Sleeper.
func (s *Sleeper) closeIdle() {
	for {
		select {
		case f := <-s.idle:
			f.close()
		default:
			return
		}
	}
}

// Interrupt ends every wait in phase 2 at once, so that its goroutine sees
// a closed cancel channel without waiting out its deadline.
func (s *Sleeper) Interrupt() {
	s.gen.Add(1)
	s.mu.Lock()
	for _, f := range s.files {
		f.wake()
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
	// Precise counts the waits that used phase 2 (or the alarm), Direct
	// those that read a timer file of their own in the default mode, and
	// Spun those that ended by spinning. They are for tests and
	// benchmarks.
	Precise, Direct, Spun int64
}

// NewWaiter returns a Waiter on s.
func (s *Sleeper) NewWaiter() *Waiter { return &Waiter{s: s} }

// Until waits until deadline, or until cancel is closed. It returns the time
// at which it stopped waiting, and whether the deadline was reached (false
// when cancelled). A nil cancel never fires.
func (w *Waiter) Until(deadline time.Time, cancel <-chan struct{}) (time.Time, bool) {
	s := w.s
	at, ok := w.wait(deadline.Sub(s.base), time.Since(s.base), cancel, false)
	return s.base.Add(at), ok
}

// PollEvery is the longest a Sleep waits without looking at its context.
const PollEvery = 100 * time.Millisecond

// Sleep waits for d from now, or until ctx is done, and then returns
// ctx.Err(). It notices the end of ctx within PollEvery (and within Window
// in phase 2), not at once as Until notices its cancel channel.
//
// It is Until for a goroutine that must keep the smallest stack, such as
// one of thousands of perfplan workers parked in a target's call. A
// cancellable wait on a Go timer (a select over the timer's channel and
// ctx.Done(), or any receive from a timer's channel) adds the timer to
// the runtime's heap on the waiting goroutine's stack, and with the
// select that takes more than the 2 KiB a goroutine starts with, so every
// worker's stack would double. time.Sleep adds its timer on the system
// stack instead; Sleep waits with it, in steps of at most PollEvery, and
// looks at ctx between them. Its waits are as precise as Until's.
func (w *Waiter) Sleep(ctx context.Context, d time.Duration) error {
	now := time.Since(w.s.base)
	if _, ok := w.wait(now+d, now, ctx.Done(), true); !ok {
		return ctx.Err()
	}
	return nil
}

// wait waits until dl, an offset from s.base on the monotonic clock, from
// now, the current offset. It returns the offset at which it stopped.
// polled makes its Go-timer waits time.Sleep steps of at most PollEvery,
// with cancel looked at between them (see Sleep).
//
// Its frame and those of what it calls on the way to a park are kept
// small for Sleep's sake, and polled waits leave the deep call chains of
// a timer file (arming it, reading it through the poller) to a goroutine
// of its own (see timerFile).
func (w *Waiter) wait(dl, now time.Duration, cancel <-chan struct{}, polled bool) (time.Duration, bool) {
	s := w.s
	if !s.spinMode() {
		return w.defaultWait(dl, now, cancel, polled)
	}
	for {
		d := dl - now
		if d <= 0 {
			return now, true
		}
		gen, cancelled := s.look(cancel)
		if cancelled {
			return now, false
		}
		lead := s.Lead()
		if d <= lead+2*time.Microsecond {
			if d <= shortSpin && s.maxSpin.Load() > 0 {
				return w.spin(dl, cancel, false)
			}
			if s.acquireSpin() {
				return w.spin(dl, cancel, true)
			}
			// No spinning slot: phase 2 for the deadline itself.
			lead = 0
		}
		sleep := d - s.window // phase 1, until the window
		switch {
		case s.saturated():
			// Every timer file is in use, so Slots waits end within
			// the next Window: the process is busy, and a Go timer
			// for the deadline itself is on time. No second wake-up,
			// no spin.
			sleep = d
		case sleep > 0:
		case s.precise && w.precise(dl-lead, gen, polled):
			now = time.Since(s.base)
			continue
		case s.precise:
			// No timer file was free: as when saturated.
			sleep = d
		default:
			// No timer files on this system: a Go timer, then a spin.
			sleep = d - lead
		}
		if polled {
			time.Sleep(min(sleep, PollEvery))
		} else if !w.timerWait(sleep, cancel) {
			return time.Since(s.base), false
		}
		now = time.Since(s.base)
	}
}

// look reads the Sleeper's generation, then looks at cancel, and reports
// whether it was closed. The order matters: an Interrupt that follows a
// cancel this look misses moves the generation, so a timer file armed
// for the wait is woken at once.
func (s *Sleeper) look(cancel <-chan struct{}) (gen uint64, cancelled bool) {
	gen = s.gen.Load()
	select {
	case <-cancel:
		return gen, true
	default:
		return gen, false
	}
}

// spinMode reports whether the Sleeper was made with Spin.
func (s *Sleeper) spinMode() bool { return s.spin }

// defaultWait is wait in the default mode: a Go timer until the window,
// then, for Until, a timer file of its own read through the poller
// (direct), and for Sleep, or without a free timer file, a Go timer for
// the deadline itself with the Sleeper's alarm set for it (see alarm).
// Nothing spins.
func (w *Waiter) defaultWait(dl, now time.Duration, cancel <-chan struct{}, polled bool) (time.Duration, bool) {
	s := w.s
	for {
		d := dl - now
		if d <= 0 {
			return now, true
		}
		gen, cancelled := s.look(cancel)
		if cancelled {
			return now, false
		}
		reg := false
		switch {
		case !polled && d <= s.window && s.precise && s.directOn(now) && w.direct(dl, gen, &now):
			continue
		case s.alarm == nil || s.alarm.full():
			// No alarm, or it keeps as many waits as it can: the
			// process is busy and a Go timer for the deadline itself
			// is on time (one wake-up rather than two).
		case d <= s.window:
			reg = s.alarm.add(dl, polled)
			// The timer must be due when the alarm wakes the poller:
			// setting the alarm took a system call (and maybe a wait
			// for the lock), so the time left is read again.
			d = max(dl-time.Since(s.base), 0)
		default:
			d -= s.window
		}
		ok := true
		if polled {
			time.Sleep(min(d, PollEvery))
		} else {
			ok = w.timerWait(d, cancel)
		}
		if reg {
			s.alarm.done(dl, polled)
			w.Precise++
		}
		now = time.Since(s.base)
		if !ok {
			return now, false
		}
	}
}

// direct waits until dl (an offset from s.base) on a timer file of the
// Sleeper's, read through the poller with no read deadline, unless an
// Interrupt moves the Sleeper's generation past gen, and sets *now to the
// clock's reading when it stopped waiting. It returns false, without
// waiting, when no timer file is free or one could not be armed.
func (w *Waiter) direct(dl time.Duration, gen uint64, now *time.Duration) bool {
	s := w.s
	tf := s.take(false)
	if tf == nil {
		return false
	}
	s.busy.Add(1)
	armed := tf.waitDirect(fileWait{dl, gen})
	s.busy.Add(-1)
	s.put(tf)
	if armed {
		w.Direct++
		*now = time.Since(s.base)
		if s.gen.Load() == gen {
			s.noteDirect(*now-dl, *now)
		}
	}
	return armed
}

// A direct wait is woken by the network poller, which the runtime consults
// only when a P runs out of runnable goroutines (and every 10ms from its
// monitor thread), whereas it runs due Go timers at every scheduling
// point. In a saturated process (more runnable goroutines than Ps, as when
// an open model has spawned workers past the CPU) a direct wait therefore
// wakes up to 10ms late, where the alarm's Go timer is on time. A direct
// wait that wakes more than directLateLimit late turns direct waits off
// for directBackoff: the Sleeper's waits use the alarm meanwhile, and the
// next direct wait after it tries again. On an idle process direct waits
// wake 10-30µs late, so this does not change their cost there.
const (
	directLateLimit = time.Millisecond
	directBackoff   = 100 * time.Millisecond
)

// noteDirect records how late a direct wait woke, at now (offsets from
// the Sleeper's base).
func (s *Sleeper) noteDirect(late, now time.Duration) {
	if late > directLateLimit {
		s.directOff.Store(int64(now + directBackoff))
	}
}

// directOn reports whether a wait at now may read a timer file of its own
// (see noteDirect).
func (s *Sleeper) directOn(now time.Duration) bool {
	return int64(now) >= s.directOff.Load()
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

// precise waits in phase 2 until wake (an offset from s.base) on a timer
// file, unless an Interrupt moves the Sleeper's generation past gen, and
// feeds the lateness of the wake-up to the lead estimate. off
// hands the wait to the file's goroutine (see Sleep). It returns false,
// without waiting, when no timer file is free or one could not be armed.
func (w *Waiter) precise(wake time.Duration, gen uint64, off bool) bool {
	s := w.s
	tf := s.take(off)
	if tf == nil {
		return false
	}
	s.busy.Add(1)
	r := fileWait{wake, gen}
	var armed, fired bool
	if off {
		armed, fired = tf.waitOff(r)
	} else {
		armed, fired = tf.waitHere(r)
	}
	late := time.Since(s.base) - wake
	s.busy.Add(-1)
	s.put(tf)
	if !armed {
		return false
	}
	if fired && s.gen.Load() == r.gen {
		s.observe(late)
	}
	w.Precise++
	return true
}

// saturated reports whether every timer file is in use.
func (s *Sleeper) saturated() bool { return s.busy.Load() >= s.max.Load() }

// take returns an idle timer file, or makes one below the limit; nil when
// there is none, or the Sleeper is closed. small is set for a wait that
// must keep the smallest stack (see grow).
func (s *Sleeper) take(small bool) *timerFile {
	if s.closed.Load() {
		return nil
	}
	select {
	case f := <-s.idle:
		return f
	default:
	}
	return s.grow(small)
}

// grow makes a timer file, below the limit. With small, it gives up when
// another goroutine holds the lock (making a file, which takes system
// calls): a goroutine blocked on a mutex would need more than the smallest
// stack (see wait), so that wait uses a Go timer instead. Other waits
// wait for the lock, so that a burst of waits at start-up all get timer
// files.
func (s *Sleeper) grow(small bool) *timerFile {
	if !small {
		s.mu.Lock()
	} else if !s.mu.TryLock() {
		return nil
	}
	defer s.mu.Unlock()
	if s.closed.Load() || len(s.files) >= int(s.max.Load()) {
		return nil
	}
	f, err := newTimerFile(s)
	if err != nil {
		s.max.Store(int32(len(s.files))) // out of descriptors: stay with what works
		return nil
	}
	s.files = append(s.files, f)
	return f
}

// put returns a timer file after a wait; a closed Sleeper closes it.
func (s *Sleeper) put(f *timerFile) {
	s.idle <- f // never blocks: it holds every file
	if s.closed.Load() {
		s.closeIdle()
	}
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

// spin spins until dl (an offset from s.base), yielding on every round. It
// releases the spinning slot that acquireSpin took, if slot.
func (w *Waiter) spin(dl time.Duration, cancel <-chan struct{}, slot bool) (time.Duration, bool) {
	s := w.s
	if slot {
		defer s.spinners.Add(-1)
	}
	w.Spun++
	for i := 0; ; i++ {
		now := time.Since(s.base)
		if now >= dl {
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
