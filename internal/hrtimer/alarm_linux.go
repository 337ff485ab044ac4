//go:build linux

package hrtimer

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// fileClock is an alarm's timer file: a non-blocking timerfd on
// CLOCK_MONOTONIC, registered with Go's network poller by os.NewFile and
// never read. Setting it resets its expiration count, so each expiry is a
// new edge for the poller's edge-triggered epoll.
type fileClock struct {
	f        *os.File
	fd       int
	baseMono int64
}

func newAlarmClock(baseMono int64) (alarmClock, error) {
	if baseMono == 0 {
		return nil, os.ErrInvalid
	}
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// A non-blocking descriptor is registered with the poller.
	return &fileClock{f: os.NewFile(uintptr(fd), "hrtimer-alarm"), fd: fd, baseMono: baseMono}, nil
}

func (c *fileClock) set(at time.Duration) bool {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(c.baseMono + int64(at))}
	return unix.TimerfdSettime(c.fd, unix.TFD_TIMER_ABSTIME, &spec, nil) == nil
}

func (c *fileClock) close() { _ = c.f.Close() }
