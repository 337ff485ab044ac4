package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
)

// Duration formats d with three significant figures in a human unit: ns, µs,
// ms, s, or minutes and seconds past a minute.
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return sig3(float64(d)/1e3) + "µs"
	case d < time.Second:
		return sig3(float64(d)/1e6) + "ms"
	case d < time.Minute:
		return sig3(float64(d)/1e9) + "s"
	}
	return d.Round(time.Second).String()
}

// Rate formats an operations-per-second figure: 950/s, 12.3k/s, 1.25M/s.
func Rate(r float64) string {
	switch {
	case math.IsNaN(r) || r <= 0:
		return "0/s"
	case r < 1000:
		return sig3(r) + "/s"
	case r < 1e6:
		return sig3(r/1e3) + "k/s"
	}
	return sig3(r/1e6) + "M/s"
}

// Percent formats a fraction as a percentage: 0.0123 → "1.23%".
func Percent(f float64) string {
	if f == 0 {
		return "0%"
	}
	return sig3(f*100) + "%"
}

// Number formats a plain metric value compactly.
func Number(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// sig3 prints v with three significant figures, without exponent notation.
func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// Bytes formats a byte count with IEC units and three significant figures
// (go-humanize's IBytesN), without the space, like the other units here:
// 512B, 1.50KiB, 52.3MiB. Negative counts (a shrinking heap) keep their
// sign.
func Bytes(n int64) string {
	sign := ""
	u := uint64(n)
	if n < 0 {
		sign, u = "-", uint64(-(n+1))+1 // -MinInt64 does not fit an int64
	}
	return sign + strings.Replace(humanize.IBytesN(u, 3), " ", "", 1)
}

// RSS formats a resident set size as Bytes does, or "not measured" for 0:
// no process has a resident set of 0, and the resource sampler reads 0
// where the system has no /proc (macOS, Windows).
func RSS(b int64) string {
	if b <= 0 {
		return "not measured"
	}
	return Bytes(b)
}
