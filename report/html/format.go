package html

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/perfplan/perfplan/report"
)

// chartValue prints a chart's value v of a unit (Axis.Unit) with
// the formats of the tables: "ns" a duration, "/s" a rate, "B", "B/s" and
// "B/min" bytes, "%" a percentage, "ratio" a fraction as a percentage, "p"
// the percentile p of 1/(1−p), "s" seconds as a duration, "min" minutes,
// "run" a run number, "date" Unix seconds as a UTC time; any other unit a
// plain number.
func chartValue(unit string, v float64) string {
	switch unit {
	case "ns":
		return report.Duration(time.Duration(math.Round(v)))
	case "s":
		return report.Duration(time.Duration(math.Round(v * 1e9)))
	case "/s":
		return report.Rate(v)
	case "B":
		return report.Bytes(int64(math.Round(v)))
	case "B/s", "B/min":
		return report.Bytes(int64(math.Round(v))) + strings.TrimPrefix(unit, "B")
	case "%":
		return report.Percent(v / 100)
	case "ratio":
		return report.Percent(v)
	case "p":
		return percentileLabel(v)
	case "min":
		return report.Number(math.Round(v*100)/100) + "min"
	case "run":
		return "#" + report.Number(v)
	case "date":
		return time.Unix(int64(v), 0).UTC().Format("2006-01-02 15:04")
	}
	return report.Number(v)
}

// percentileLabel labels the percentile spectrum's x, 1/(1−p): 10 is 90%,
// 1000 is 99.9%.
func percentileLabel(x float64) string {
	p := 100 * (1 - 1/x)
	if p <= 0 {
		return "0%"
	}
	digits := max(0, int(math.Ceil(-math.Log10(100-p)-1e-6)))
	s := strconv.FormatFloat(p, 'f', min(digits, 6), 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + "%"
}
