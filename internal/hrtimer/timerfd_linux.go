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
// network poller.
type timerFile struct {
	f   *os.File
	fd  int
	buf [8]byte
}

func newTimerFile() (*timerFile, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// A non-blocking descriptor is registered with the poller.
	return &timerFile{f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}, nil
}

// arm sets the timer file to expire at mono (CLOCK_MONOTONIC ns) and its
// read deadline, a Go timer, to at, the same instant. Arming resets any
// expiration left from an earlier wait. It reports success.
func (t *timerFile) arm(mono int64, at time.Time) bool {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(mono)}
	if err := unix.TimerfdSettime(t.fd, unix.TFD_TIMER_ABSTIME, &spec, nil); err != nil {
		return false
	}
	return t.f.SetReadDeadline(at) == nil
}

// wait blocks until the armed timer file expires or its read deadline
// passes, whichever comes first, or until wake is called. It reports whether
// the timer file expired.
func (t *timerFile) wait() bool {
	_, err := t.f.Read(t.buf[:])
	// Drop the deadline's Go timer now: left armed, it would wake an idle
	// process once more for nothing.
	_ = t.f.SetReadDeadline(time.Time{})
	return err == nil || !errors.Is(err, os.ErrDeadlineExceeded)
}

// wake ends a wait in progress.
func (t *timerFile) wake() { _ = t.f.SetReadDeadline(time.Now()) }

func (t *timerFile) close() { _ = t.f.Close() }
