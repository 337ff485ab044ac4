//go:build linux

package hrtimer

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// futex(2) operations (linux/futex.h).
const (
	futexWake         = 1
	futexWaitBitset   = 9
	futexPrivateFlag  = 128
	futexBitsetAnyBit = 0xffffffff
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

// futexWaitUntil sleeps until the CLOCK_MONOTONIC time at (ns), unless *word
// is no longer seq or another thread wakes it. It first lowers the calling
// thread's timer slack to 1ns; the slack is per thread, and the setting is
// harmless for whichever goroutine runs on the thread later.
func futexWaitUntil(word *atomicWord, seq uint32, at int64) {
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	ts := unix.NsecToTimespec(at)
	// EINTR, ETIMEDOUT and EAGAIN (the word changed) all mean: look again.
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWaitBitset|futexPrivateFlag,
		uintptr(seq), uintptr(unsafe.Pointer(&ts)), 0, futexBitsetAnyBit)
}

// futexWakeAll wakes every thread sleeping on word.
func futexWakeAll(word *atomicWord) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWake|futexPrivateFlag, 1<<31-1, 0, 0, 0)
}
