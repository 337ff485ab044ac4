//go:build !linux

package hrtimer

import "time"

// monoBase reports that the kernel phase is not available.
func monoBase() (time.Time, int64, bool) { return time.Now(), 0, false }

func futexWaitUntil(*atomicWord, uint32, int64) {}

func futexWakeAll(*atomicWord) {}
