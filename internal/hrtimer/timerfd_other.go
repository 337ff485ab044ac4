//go:build !linux

package hrtimer

import (
	"errors"
	"time"
)

// monoBase reports that phase 2 is not available.
func monoBase() (time.Time, int64, bool) { return time.Now(), 0, false }

type timerFile struct{}

func newTimerFile(*Sleeper) (*timerFile, error) {
	return nil, errors.New("hrtimer: no timer files on this system")
}

type fileWait struct {
	wake time.Duration
	gen  uint64
}

func (t *timerFile) waitHere(fileWait) (bool, bool) { return false, false }
func (t *timerFile) waitOff(fileWait) (bool, bool)  { return false, false }
func (t *timerFile) waitDirect(fileWait) bool       { return false }
func (t *timerFile) wake()                          {}
func (t *timerFile) close()                         {}
