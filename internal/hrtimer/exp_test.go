package hrtimer

import (
	"fmt"
	"sort"
	"syscall"
	"testing"
	"time"
)

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func report(name string, lat []time.Duration, c time.Duration, wall time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	fmt.Printf("%-16s n=%d p50=%v p90=%v p99=%v max=%v cpu=%.1f%%\n", name, len(lat), q(.5), q(.9), q(.99), lat[len(lat)-1], 100*c.Seconds()/wall.Seconds())
}

func TestExp(t *testing.T) {
	for _, period := range []time.Duration{time.Millisecond, 200 * time.Microsecond, 10 * time.Microsecond} {
		n := int(time.Second / period)
		base := time.Now()
		lat := make([]time.Duration, 0, n)
		c0 := cpu()
		for i := 0; i < n; i++ {
			due := base.Add(time.Duration(i+1) * period)
			time.Sleep(time.Until(due))
			lat = append(lat, time.Since(due))
		}
		report(fmt.Sprint("gosleep", period), lat, cpu()-c0, time.Since(base))
		for _, k := range []float64{0, 1, 2} {
			s := New(Options{LeadDeviations: k})
			w := s.NewWaiter()
			base = time.Now()
			lat = lat[:0]
			c0 = cpu()
			for i := 0; i < n; i++ {
				due := base.Add(time.Duration(i+1) * period)
				w.Until(due, nil)
				lat = append(lat, time.Since(due))
			}
			report(fmt.Sprint("hrt", k, "-", period), lat, cpu()-c0, time.Since(base))
			fmt.Println("   lead", s.Lead(), "kernel", w.Kernel, "spun", w.Spun)
		}
	}
}
