package hrtimer

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeClock records what an alarm sets.
type fakeClock struct {
	sets   []time.Duration
	closed bool
}

func (c *fakeClock) set(at time.Duration) bool { c.sets = append(c.sets, at); return true }
func (c *fakeClock) close()                    { c.closed = true }

// TestAlarmKeepsEarliest: the alarm is set for the earliest pending
// deadline ahead, moves to the next when the wait it was set for ends, and
// is left alone when a later wait ends.
func TestAlarmKeepsEarliest(t *testing.T) {
	t.Parallel()
	c := &fakeClock{}
	a := &alarm{clock: c, base: time.Now(), pending: make([]time.Duration, 0, 4)}
	h := time.Hour
	steps := []struct {
		name  string
		do    func()
		armed time.Duration
		sets  int
	}{
		{"first wait sets it", func() { a.add(2*h, false) }, 2 * h, 1},
		{"a later wait leaves it", func() { a.add(3*h, false) }, 2 * h, 1},
		{"an earlier wait moves it", func() { a.add(h, false) }, h, 2},
		{"a later wait ending leaves it", func() { a.done(3*h, false) }, h, 2},
		{"its wait ending moves it to the next", func() { a.done(h, false) }, 2 * h, 3},
		{"the last wait ending leaves it", func() { a.done(2*h, false) }, 2 * h, 3},
	}
	for _, st := range steps {
		st.do()
		if a.armed != st.armed || len(c.sets) != st.sets {
			t.Fatalf("%s: armed %v after %d sets, want %v after %d", st.name, a.armed, len(c.sets), st.armed, st.sets)
		}
	}
	if len(a.pending) != 0 {
		t.Fatalf("%d deadlines still pending", len(a.pending))
	}
}

// TestAlarmBounded: beyond its capacity an alarm registers no wait (the
// wait then uses its Go timer alone), after dropping deadlines already
// past; a closed alarm registers none.
func TestAlarmBounded(t *testing.T) {
	t.Parallel()
	c := &fakeClock{}
	a := &alarm{clock: c, base: time.Now(), pending: make([]time.Duration, 0, 2)}
	if !a.add(time.Nanosecond, false) || !a.add(time.Hour, false) {
		t.Fatal("a wait below capacity was not registered")
	}
	// The first deadline is past, and its wait's done could not take the
	// lock: it is purged to make room.
	a.stale.Add(1)
	if !a.add(2*time.Hour, false) {
		t.Fatal("a wait was refused although a past deadline could be dropped")
	}
	if a.add(3*time.Hour, false) || a.overflow != 1 {
		t.Fatalf("a wait beyond capacity was registered (overflow %d)", a.overflow)
	}
	a.close()
	if !c.closed || a.add(time.Hour, false) {
		t.Fatal("a closed alarm registered a wait")
	}
}

// TestDefaultNeverSpins: in the default mode no wait spins, short or long,
// one goroutine or many, and waits still never end early.
func TestDefaultNeverSpins(t *testing.T) {
	t.Parallel()
	s := New(Options{Window: 2 * time.Millisecond, Spinners: 4})
	defer s.Close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := s.NewWaiter()
			for _, d := range []time.Duration{time.Microsecond, 10 * time.Microsecond, 50 * time.Microsecond, 500 * time.Microsecond} {
				deadline := time.Now().Add(d)
				if at, ok := w.Until(deadline, nil); !ok || at.Before(deadline) {
					t.Errorf("wait of %v ended at %v, %v early", d, at, deadline.Sub(at))
				}
				if err := w.Sleep(context.Background(), d); err != nil {
					t.Error(err)
				}
			}
			if w.Spun != 0 {
				t.Errorf("%d waits spun in the default mode", w.Spun)
			}
			if s.alarm != nil && w.Precise == 0 {
				t.Error("no wait used the alarm")
			}
		}()
	}
	wg.Wait()
}

// TestSpinOptIn: with Spin, short waits spin (when more than one P may
// run goroutines).
func TestSpinOptIn(t *testing.T) {
	t.Parallel()
	s := New(Options{Spin: true, Spinners: 1})
	defer s.Close()
	w := s.NewWaiter()
	for range 20 {
		w.Until(time.Now().Add(5*time.Microsecond), nil)
	}
	if w.Spun == 0 {
		t.Fatal("no wait spun with Spin set")
	}
}

// TestFullAlarmSleepsOnce: while the alarm keeps as many waits as it can
// and every timer file is in use (a busy process), a wait sleeps on a Go
// timer for its deadline itself, without the alarm or a timer file, and
// still never ends early.
func TestFullAlarmSleepsOnce(t *testing.T) {
	t.Parallel()
	s := New(Options{Window: time.Millisecond})
	defer s.Close()
	if s.alarm == nil {
		t.Skip("no timer files on this system")
	}
	s.alarm.n.Store(maxPending)
	s.max.Store(0)
	w := s.NewWaiter()
	for _, d := range []time.Duration{200 * time.Microsecond, 3 * time.Millisecond} {
		deadline := time.Now().Add(d)
		if at, ok := w.Until(deadline, nil); !ok || at.Before(deadline) {
			t.Fatalf("wait of %v ended at %v, %v early", d, at, deadline.Sub(at))
		}
		if err := w.Sleep(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	if w.Precise != 0 || w.Direct != 0 || s.alarm.arms != 0 {
		t.Fatalf("%d waits used a full alarm (%d arms), %d a timer file", w.Precise, s.alarm.arms, w.Direct)
	}
}
