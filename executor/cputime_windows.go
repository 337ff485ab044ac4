package executor

import "syscall"

// cpuTimes returns the process's user and system CPU seconds.
func cpuTimes() (user, sys float64) {
	h, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0, 0
	}
	var created, exited, kernel, usr syscall.Filetime
	if err := syscall.GetProcessTimes(h, &created, &exited, &kernel, &usr); err != nil {
		return 0, 0
	}
	// A FILETIME counts 100-nanosecond intervals.
	ticks := func(f syscall.Filetime) float64 {
		return float64(uint64(f.HighDateTime)<<32|uint64(f.LowDateTime)) / 1e7
	}
	return ticks(usr), ticks(kernel)
}
