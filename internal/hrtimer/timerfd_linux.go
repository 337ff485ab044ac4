//go:build linux

package hrtimer

import (
	"errors"
	"os"
	"syscall"
	"time"
	"unsafe"

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
	s   *Sleeper
	f   *os.File
	fd  int
	buf [8]byte
	// rc and readFn read the file for waitDirect (readRaw), and spec
	// arms it; they are made once, so a wait allocates nothing.
	rc     syscall.RawConn
	readFn func(fd uintptr) bool
	spec   unix.ItimerSpec
	req    chan fileWait // waitOff's waits; nil until the first; closed by close
	done   chan [2]bool  // the end of each: armed, and whether the file expired
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
	t := &timerFile{s: s, f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}
	rc, err := t.f.SyscallConn()
	if err != nil {
		_ = t.f.Close()
		return nil, err
	}
	t.rc, t.readFn = rc, t.readRaw
	return t, nil
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

// waitDirect arms the file for r.wake, with no read deadline, and reads
// it: the goroutine parks in the poller until the file expires or wake is
// called. It reports whether the file could be armed.
//
// Both system calls are raw (no entersyscall): neither blocks (the file is
// non-blocking; the wait is the poller's), and a system call entered the
// runtime's way while every P is idle wakes its monitor thread (sysmon),
// which then polls every 20µs until the process is idle again. An
// open-model worker's wake-up is such a moment, once an iteration at
// moderate rates, and the monitor's wake-ups were a seventh of perfplan's
// CPU at 5,000 requests a second (bench/http).
func (t *timerFile) waitDirect(r fileWait) bool {
	if !t.armRaw(r.wake) {
		return false
	}
	if t.s.gen.Load() != r.gen {
		t.wake() // an Interrupt came before the file was armed
	}
	if err := t.rc.Read(t.readFn); err != nil {
		// Woken by wake (a past read deadline), or the file was closed.
		_ = t.f.SetReadDeadline(time.Time{})
	}
	return true
}

// armRaw sets the file to expire at wake with a raw system call.
func (t *timerFile) armRaw(wake time.Duration) bool {
	t.spec = unix.ItimerSpec{Value: unix.NsecToTimespec(t.s.baseMono + int64(wake))}
	_, _, errno := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, uintptr(t.fd), unix.TFD_TIMER_ABSTIME,
		uintptr(unsafe.Pointer(&t.spec)), 0, 0, 0)
	return errno == 0
}

// readRaw reads the file's expiration count with a raw system call; it
// reports false (wait for the poller) while the file has not expired.
func (t *timerFile) readRaw(fd uintptr) bool {
	_, _, errno := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&t.buf[0])), uintptr(len(t.buf)))
	return errno != unix.EAGAIN && errno != unix.EINTR
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
