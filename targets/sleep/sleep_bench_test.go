package sleep

import (
	"context"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSleepPrecision measures one worker's calls of a fixed latency,
// back to back: how much longer than the latency a call lasts (its median
// and 99th percentile overshoot, in µs) and the process's CPU over the
// calls (cores):
//
//	go test -run '^$' -bench SleepPrecision -benchtime 2000x ./targets/sleep
func BenchmarkSleepPrecision(b *testing.B) {
	for _, lat := range []time.Duration{50 * time.Microsecond, 300 * time.Microsecond, time.Millisecond} {
		b.Run(fmt.Sprintf("latency=%v", lat), func(b *testing.B) {
			tg, err := New(cfgOf(map[string]any{"latency": lat}))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if err := tg.Open(ctx); err != nil {
				b.Fatal(err)
			}
			defer tg.Close()
			w, _ := tg.NewWorker(0)
			over := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			c0, t0 := cpuTime(), time.Now()
			for range b.N {
				s := time.Now()
				if err := w.Do(ctx, nil); err != nil {
					b.Fatal(err)
				}
				over = append(over, time.Since(s)-lat)
			}
			c1, wall := cpuTime(), time.Since(t0)
			b.StopTimer()
			slices.Sort(over)
			b.ReportMetric(float64(over[len(over)/2])/1e3, "over-p50-µs")
			b.ReportMetric(float64(over[len(over)*99/100])/1e3, "over-p99-µs")
			b.ReportMetric(float64(c1-c0)/float64(wall), "cores")
		})
	}
}

// cpuTime returns the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
