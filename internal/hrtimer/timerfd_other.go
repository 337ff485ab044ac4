//go:build !linux

package hrtimer

import "time"

// monoBase reports that phase 2 is not available.
func monoBase() (time.Time, int64, bool) { return time.Now(), 0, false }

type timerFile struct{}

func newTimerFile() (*timerFile, error)        { return &timerFile{}, nil }
func (t *timerFile) arm(int64, time.Time) bool { return false }
func (t *timerFile) wait() bool                { return false }
func (t *timerFile) wake()                     {}
func (t *timerFile) close()                    {}
