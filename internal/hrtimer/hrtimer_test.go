package hrtimer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestUntilNeverEarly: a wait that reports success has reached its
// deadline, whichever phase ended it (kernel, spin or Go timer).
func TestUntilNeverEarly(t *testing.T) {
	t.Parallel()
	s := New(Options{Window: 2 * time.Millisecond})
	w := s.NewWaiter()
	for _, d := range []time.Duration{0, time.Microsecond, 50 * time.Microsecond, 300 * time.Microsecond, 3 * time.Millisecond} {
		for range 20 {
			deadline := time.Now().Add(d)
			at, ok := w.Until(deadline, nil)
			if !ok {
				t.Fatalf("wait of %v: cancelled without a cancel channel", d)
			}
			if at.Before(deadline) || time.Now().Before(deadline) {
				t.Fatalf("wait of %v ended %v early", d, deadline.Sub(at))
			}
		}
	}
	if s.precise && w.Precise+w.Direct == 0 {
		t.Error("no wait used the timer file")
	}
}

// TestCancel: a closed cancel channel ends a long wait (in its Go-timer
// phase) and is seen before a wait starts.
func TestCancel(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	w := s.NewWaiter()
	cancel := make(chan struct{})
	done := make(chan bool)
	go func() {
		_, ok := w.Until(time.Now().Add(time.Hour), cancel)
		done <- ok
	}()
	close(cancel)
	if <-done {
		t.Fatal("a cancelled wait reported its deadline reached")
	}
	if _, ok := w.Until(time.Now().Add(time.Hour), cancel); ok {
		t.Fatal("a wait on a closed channel reported its deadline reached")
	}
}

// activeWaits returns how many goroutines wait on a timer file.
func (s *Sleeper) activeWaits() int { return int(s.busy.Load()) }

// fileCount returns how many timer files were made.
func (s *Sleeper) fileCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.files)
}

// interruptedWaits starts n waits of half an hour on s, and once all n are
// registered closes their cancel channel and interrupts s. It fails the
// test when a wait reports its deadline reached, and returns the waits'
// Waiters when all have ended.
func interruptedWaits(t *testing.T, s *Sleeper, n int) []*Waiter {
	t.Helper()
	cancel := make(chan struct{})
	var wg sync.WaitGroup
	results := make(chan *Waiter, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := s.NewWaiter()
			if _, ok := w.Until(time.Now().Add(30*time.Minute), cancel); ok {
				t.Error("an interrupted, cancelled wait reported its deadline reached")
			}
			results <- w
		}()
	}
	for s.activeWaits() < n {
		time.Sleep(time.Millisecond)
	}
	close(cancel)
	s.Interrupt()
	wg.Wait()
	close(results)
	var ws []*Waiter
	for w := range results {
		ws = append(ws, w)
	}
	return ws
}

// TestInterruptWakesPreciseWaits: Interrupt ends phase 2 at once, so a
// goroutine waiting there sees its closed cancel channel without waiting out
// its window (an hour here, so the test would time out).
func TestInterruptWakesPreciseWaits(t *testing.T) {
	t.Parallel()
	s := New(Options{Window: time.Hour, MaxLead: time.Nanosecond, Spin: true})
	if !s.precise {
		t.Skip("no timer files on this system")
	}
	for _, w := range interruptedWaits(t, s, 4) {
		if w.Precise != 1 {
			t.Errorf("a wait used the alarm %d times; want 1", w.Precise)
		}
	}
	if n := s.activeWaits(); n != 0 {
		t.Fatalf("%d waits still registered", n)
	}
}

// TestInterruptWakesDirectWaits: in the default mode, Interrupt ends the
// waits that read timer files of their own (within their window: an hour
// here, so the test would time out), and a wait whose cancel channel was
// closed and the Sleeper interrupted before it armed its file does not
// wait either.
func TestInterruptWakesDirectWaits(t *testing.T) {
	t.Parallel()
	s := New(Options{Window: time.Hour})
	defer s.Close()
	if !s.precise {
		t.Skip("no timer files on this system")
	}
	for _, w := range interruptedWaits(t, s, 4) {
		if w.Direct != 1 || w.Precise != 0 || w.Spun != 0 {
			t.Errorf("a wait read %d timer files, used the alarm %d times and spun %d times; want 1, 0, 0", w.Direct, w.Precise, w.Spun)
		}
	}
	// The race Interrupt's generation covers: the wait looked at its
	// generation before the Interrupt, which found no timer file to wake
	// (a new Sleeper has none), so it wakes once armed.
	s2 := New(Options{Window: time.Hour})
	defer s2.Close()
	w := s2.NewWaiter()
	gen := s2.gen.Load()
	s2.Interrupt()
	done := make(chan bool)
	go func() {
		var now time.Duration
		done <- w.direct(time.Since(s2.base)+30*time.Minute, gen, &now)
	}()
	select {
	case armed := <-done:
		if !armed {
			t.Fatal("no timer file was armed")
		}
	case <-time.After(time.Minute):
		t.Fatal("a wait interrupted before it armed its file did not end")
	}
}

// TestSlotsBounded: no more than Slots goroutines wait on timer files at
// once (and no more files exist); the others fall back to Go timers and
// still end after their deadline.
func TestSlotsBounded(t *testing.T) {
	t.Parallel()
	s := New(Options{Slots: 2, Window: time.Hour, Spin: true})
	deadline := time.Now().Add(20 * time.Millisecond)
	var wg sync.WaitGroup
	var mu sync.Mutex
	peak := int32(0)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			peak = max(peak, int32(s.activeWaits()))
			mu.Unlock()
			if at, ok := s.NewWaiter().Until(deadline, nil); !ok || at.Before(deadline) {
				t.Errorf("ended at %v, deadline %v, ok %v", at, deadline, ok)
			}
			mu.Lock()
			peak = max(peak, int32(s.activeWaits()))
			mu.Unlock()
		}()
	}
	wg.Wait()
	if peak > 2 || s.fileCount() > 2 {
		t.Fatalf("%d goroutines waited on timer files at once (%d files), want at most 2", peak, s.fileCount())
	}
}

// TestLeadFollowsLateness: the lead estimate follows the measured wake-up
// lateness, and an outlier moves it by at most MaxLead/16.
func TestLeadFollowsLateness(t *testing.T) {
	t.Parallel()
	s := New(Options{LeadDeviations: 0, MaxLead: 200 * time.Microsecond})
	for range 200 {
		s.observe(30 * time.Microsecond)
	}
	if l := s.Lead(); l < 29*time.Microsecond || l > 31*time.Microsecond {
		t.Fatalf("lead %v after steady 30µs lateness", l)
	}
	before := s.Lead()
	s.observe(time.Second)
	if d := s.Lead() - before; d > 200*time.Microsecond/16+time.Microsecond {
		t.Fatalf("one outlier moved the lead by %v", d)
	}
}

// TestUntilAllocs: a wait (Until or Sleep) allocates nothing once its
// Waiter's timer exists.
func TestUntilAllocs(t *testing.T) {
	s := New(Options{Window: time.Millisecond})
	w := s.NewWaiter()
	w.Until(time.Now().Add(2*time.Millisecond), nil) // creates the timer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := testing.AllocsPerRun(20, func() {
		w.Until(time.Now().Add(100*time.Microsecond), nil)
		w.Until(time.Now().Add(1500*time.Microsecond), nil)
		_ = w.Sleep(ctx, 100*time.Microsecond)
		_ = w.Sleep(ctx, 2500*time.Microsecond)
	})
	if a != 0 {
		t.Fatalf("%v allocations per wait", a)
	}
}

// TestManyAtOnce: a thousand goroutines whose waits end together all end
// after their deadline, and Close releases every file.
func TestManyAtOnce(t *testing.T) {
	t.Parallel()
	s := New(Options{Window: 5 * time.Millisecond})
	end := time.Now().Add(50 * time.Millisecond)
	var wg sync.WaitGroup
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if at, ok := s.NewWaiter().Until(end, nil); !ok || at.Before(end) {
				t.Errorf("ended at %v, deadline %v, ok %v", at, end, ok)
			}
		}()
	}
	wg.Wait()
	s.Close()
	if s.activeWaits() != 0 || len(s.idle) != 0 {
		t.Fatalf("%d active, %d idle files after Close", s.activeWaits(), len(s.idle))
	}
}

// TestSleep: Sleep lasts its duration (never less), returns the context's
// error when the context ends first, whether before or during the sleep,
// and allocates nothing.
func TestSleep(t *testing.T) {
	t.Parallel()
	s := New(Options{Window: 2 * time.Millisecond})
	defer s.Close()
	w := s.NewWaiter()
	for _, d := range []time.Duration{0, 10 * time.Microsecond, 500 * time.Microsecond, 3 * time.Millisecond} {
		start := time.Now()
		if err := w.Sleep(context.Background(), d); err != nil {
			t.Fatalf("sleep of %v: %v", d, err)
		}
		if got := time.Since(start); got < d {
			t.Fatalf("sleep of %v lasted %v", d, got)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("sleep on an ended context: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.NewWaiter().Sleep(ctx, time.Hour) }()
	time.Sleep(time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) { // the test's timeout catches a hang
		t.Fatalf("sleep cut by its context: %v", err)
	}
}

// TestSaturatedWaitsEndOnTime: when every timer file is in use, waits sleep
// on Go timers for their deadlines, and still never end early.
func TestSaturatedWaitsEndOnTime(t *testing.T) {
	t.Parallel()
	s := New(Options{Slots: 1, Window: time.Hour, Spin: true})
	defer s.Close()
	if !s.precise {
		t.Skip("no timer files on this system")
	}
	// Hold the only timer file.
	hold, release := make(chan bool), make(chan struct{})
	go func() { _, ok := s.NewWaiter().Until(time.Now().Add(time.Hour), release); hold <- ok }()
	for s.activeWaits() < 1 {
		time.Sleep(time.Millisecond)
	}
	if !s.saturated() {
		t.Fatal("not saturated with the only file in use")
	}
	w := s.NewWaiter()
	for _, d := range []time.Duration{50 * time.Microsecond, 2 * time.Millisecond} {
		deadline := time.Now().Add(d)
		if at, ok := w.Until(deadline, nil); !ok || at.Before(deadline) {
			t.Fatalf("wait of %v ended at %v, %v early", d, at, deadline.Sub(at))
		}
		if err := w.Sleep(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	if w.Precise != 0 {
		t.Errorf("%d waits used a timer file while saturated", w.Precise)
	}
	close(release)
	s.Interrupt()
	<-hold
}

// TestDirectBacksOffWhenLate: a direct wait that woke more than
// directLateLimit late (the poller was not consulted: a saturated
// process) turns direct waits off for directBackoff, and the waits
// meanwhile use the alarm, whose Go timer the runtime runs at every
// scheduling point; a wait on time changes nothing.
func TestDirectBacksOffWhenLate(t *testing.T) {
	t.Parallel()
	s := New(Options{Window: 2 * time.Millisecond})
	defer s.Close()
	ms := time.Millisecond
	steps := []struct {
		late, at, ask time.Duration
		on            bool
	}{
		{late: 20 * time.Microsecond, at: 10 * ms, ask: 10 * ms, on: true},
		{late: directLateLimit, at: 10 * ms, ask: 10 * ms, on: true},
		{late: 3 * ms, at: 20 * ms, ask: 20 * ms, on: false},
		{ask: 20*ms + directBackoff - 1, on: false},
		{ask: 20*ms + directBackoff, on: true},
	}
	for i, st := range steps {
		if st.late > 0 {
			s.noteDirect(st.late, st.at)
		}
		if got := s.directOn(st.ask); got != st.on {
			t.Fatalf("step %d: direct waits on at %v = %v, want %v", i, st.ask, got, st.on)
		}
	}
	if !s.precise {
		return
	}
	// Off: a wait within the window uses the alarm, not a timer file.
	s.noteDirect(3*ms, time.Since(s.base))
	w := s.NewWaiter()
	deadline := time.Now().Add(200 * time.Microsecond)
	if at, ok := w.Until(deadline, nil); !ok || at.Before(deadline) {
		t.Fatalf("wait ended at %v, %v early", at, deadline.Sub(at))
	}
	if w.Direct != 0 || w.Precise != 1 {
		t.Fatalf("while off: %d direct waits and %d on the alarm, want 0 and 1", w.Direct, w.Precise)
	}
}
