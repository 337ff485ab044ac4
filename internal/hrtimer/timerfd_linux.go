//go:build linux

package hrtimer

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// monoBase reads Go's clock and CLOCK_MONOTONIC at one instant.
func monoBase() (time.Time, int64, bool) {
	var ts unix.Timespec
	now := time.Now()
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return now, 0, false
	}
	return now, ts.Nano(), true
}

// timerFile is a non-blocking timerfd on CLOCK_MONOTONIC, read through Go's
// network poller: by the waiting goroutine itself (waitHere), or by a
// goroutine of the file's own, to which the waiting goroutine hands the
// wait and then blocks on a channel (waitOff). Arming and reading take
// deep call chains (system calls, os.File, internal/poll, the runtime's
// netpoll), too deep for a goroutine that must keep the smallest stack
// (see Waiter.Sleep); the hand-over costs two goroutine switches, and
// often the wake-up of an idle thread, about 10µs of CPU a wait.
type timerFile struct {
	s    *Sleeper
	f    *os.File
	fd   int
	buf  [8]byte
	req  chan fileWait // waitOff's waits; nil until the first; closed by close
	done chan [2]bool  // the end of each: armed, and whether the file expired
}

// fileWait is one wait on a timer file: until wake (an offset from the
// Sleeper's base), unless Interrupt moves the Sleeper's generation past gen.
type fileWait struct {
	wake time.Duration
	gen  uint64
}

func newTimerFile(s *Sleeper) (*timerFile, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// A non-blocking descriptor is registered with the poller.
	return &timerFile{s: s, f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}, nil
}

// waitHere arms the file for wake and reads it: it blocks until the file
// expires or its read deadline (the same instant) passes, whichever comes
// first, or until wake is called. It reports whether the file could be
// armed and whether it expired.
func (t *timerFile) waitHere(r fileWait) (armed, fired bool) {
	if !t.arm(r.wake) {
		return false, false
	}
	if t.s.gen.Load() != r.gen {
		t.wake() // an Interrupt came before the file was armed
	}
	_, err := t.f.Read(t.buf[:])
	// Drop the deadline's Go timer now: left armed, it would wake an idle
	// process once more for nothing.
	_ = t.f.SetReadDeadline(time.Time{})
	return true, err == nil || !errors.Is(err, os.ErrDeadlineExceeded)
}

// waitOff is waitHere on the file's own goroutine, started by the first.
func (t *timerFile) waitOff(r fileWait) (armed, fired bool) {
	if t.req == nil {
		t.req, t.done = make(chan fileWait), make(chan [2]bool)
		go t.reader()
	}
	t.req <- r
	res := <-t.done
	return res[0], res[1]
}

// reader performs waitOff's waits, until close.
func (t *timerFile) reader() {
	for r := range t.req {
		armed, fired := t.waitHere(r)
		t.done <- [2]bool{armed, fired}
	}
}

// arm sets the timer file to expire at wake (an offset from the Sleeper's
// base, converted to CLOCK_MONOTONIC) and its read deadline, a Go timer, to
// the same instant. Arming resets any expiration left from an earlier
// wait. It reports success.
func (t *timerFile) arm(wake time.Duration) bool {
	s := t.s
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(s.baseMono + int64(wake))}
	if err := unix.TimerfdSettime(t.fd, unix.TFD_TIMER_ABSTIME, &spec, nil); err != nil {
		return false
	}
	return t.f.SetReadDeadline(s.base.Add(wake)) == nil
}

// wake ends a wait in progress, or the next one if it is being armed.
func (t *timerFile) wake() { _ = t.f.SetReadDeadline(time.Now()) }

// close ends the reader, if any, and closes the file. No wait may be in
// progress.
func (t *timerFile) close() {
	if t.req != nil {
		close(t.req)
	}
	_ = t.f.Close()
}
