package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stats are the median of a figure over the runs and its range.
type stats struct{ med, lo, hi float64 }

func statsOf(v []float64) stats {
	if len(v) == 0 {
		return stats{math.NaN(), math.NaN(), math.NaN()}
	}
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	med := v[n/2]
	if n%2 == 0 {
		med = (v[n/2-1] + v[n/2]) / 2
	}
	return stats{med, v[0], v[n-1]}
}

// fig returns a figure of each result.
func fig(rs []result, f func(result) float64) []float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	return v
}

// text is "median (min–max)", or the median alone when every run gave
// the same; unit follows the median.
func (s stats) text(f func(float64) string, unit string) string {
	if math.IsNaN(s.med) {
		return "—"
	}
	if s.lo == s.hi {
		return f(s.med) + unit
	}
	return f(s.med) + unit + " (" + f(s.lo) + "–" + f(s.hi) + ")"
}

// decimals returns a formatter with n decimals.
func decimals(n int) func(float64) string {
	return func(v float64) string { return strconv.FormatFloat(v, 'f', n, 64) }
}

// ratio is a paired ratio: a figure of one measurement over the same
// figure of another, taken within each run.
type ratio struct {
	label    string
	num, den string
	f        func(result) float64
	// goal, when set, is what the median must meet: "≥ 0.7", "≤ 1.0".
	goal string
}

var (
	rps    = func(r result) float64 { return r.rps }
	cpu    = func(r result) float64 { return r.cpuUS }
	p99    = func(r result) float64 { return r.p99 }
	svcP50 = func(r result) float64 {
		if r.svcP50 > 0 {
			return r.svcP50
		}
		return r.p50 // vegeta: its latency is from each request's actual start
	}
)

// ratios lists the ratios printed, and the goals of issue 23 among them.
func (b *bench) ratios() []ratio {
	r, hr := fmtInt(b.o.rate), fmtInt(b.o.highRate)
	return []ratio{
		{label: "HTTP/1.1 full speed, req/s, perfplan ÷ hey", num: kPerfplan, den: kHey, f: rps, goal: "≥ 1.0"},
		{label: "HTTP/1.1 full speed, CPU per request, perfplan ÷ hey", num: kPerfplan, den: kHey, f: cpu, goal: "≤ 1.0"},
		{label: "HTTP/1.1 full speed, req/s, perfplan ÷ wrk", num: kPerfplan, den: kWrk, f: rps},
		{label: r + "/s, CPU per request, perfplan ÷ hey -q", num: kPPRate, den: kHeyRate, f: cpu, goal: "≤ 1.0"},
		{label: r + "/s, CPU per request, perfplan ÷ vegeta", num: kPPRate, den: kVegRate, f: cpu},
		{label: r + "/s, CPU per request, the runner alone (noop) ÷ perfplan http", num: kNoopRate, den: kPPRate, f: cpu},
		{label: r + "/s, p99, perfplan (from the intended start) ÷ vegeta", num: kPPRate, den: kVegRate, f: p99},
		{label: hr + "/s, service time p50, perfplan ÷ vegeta", num: kPPHigh, den: kVegHigh, f: svcP50, goal: "≤ 2.0"},
		{label: hr + "/s, CPU per request, perfplan ÷ vegeta", num: kPPHigh, den: kVegHigh, f: cpu},
		{label: "HTTP/2 h2c, req/s, perfplan ÷ h2load", num: kPPH2C, den: kH2loadH2C, f: rps, goal: "≥ 0.7"},
		{label: "HTTP/2 h2c, CPU per request, perfplan ÷ h2load", num: kPPH2C, den: kH2loadH2C, f: cpu},
		{label: "HTTP/2 h2c, req/s, perfplan h2 client ÷ net/http client", num: kPPH2C, den: kPPH2CStd, f: rps},
		{label: "HTTP/2 h2c, CPU per request, perfplan h2 client ÷ net/http client", num: kPPH2C, den: kPPH2CStd, f: cpu},
		{label: "HTTP/2 over TLS, req/s, perfplan ÷ h2load", num: kPPTLS, den: kH2loadTLS, f: rps, goal: "≥ 0.7"},
		{label: "HTTP/2 over TLS, CPU per request, perfplan ÷ h2load", num: kPPTLS, den: kH2loadTLS, f: cpu},
		{label: "HTTP/2 h2c (perfplan), req/s ÷ HTTP/1.1 (hey)", num: kPPH2C, den: kHey, f: rps, goal: "≥ 1.5"},
		{label: "HTTP/2 over TLS (perfplan), req/s ÷ HTTP/1.1 (hey)", num: kPPTLS, den: kHey, f: rps},
		// The server's ceiling for the goal above: what the C client
		// gets from the same nginx worker, over hey's.
		{label: "HTTP/2 h2c (h2load), req/s ÷ HTTP/1.1 (hey): nginx's ceiling for the row above", num: kH2loadH2C, den: kHey, f: rps},
	}
}

// paired returns the ratio in each run where both sides were measured.
func (b *bench) paired(q ratio) []float64 {
	ns, ds := b.results[q.num], b.results[q.den]
	var v []float64
	for i := range min(len(ns), len(ds)) {
		if d := q.f(ds[i]); d != 0 {
			v = append(v, q.f(ns[i])/d)
		}
	}
	return v
}

// meets reports whether v meets goal ("≥ 0.7", "≤ 1.0").
func meets(v float64, goal string) bool {
	op, num, _ := strings.Cut(goal, " ")
	g, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) {
		return false
	}
	if op == "≥" {
		return v >= g
	}
	return v <= g
}

// print writes the table, the ratios and the goals, and returns how many
// goals were missed.
func (b *bench) print(w io.Writer) int {
	host, _ := os.Hostname()
	fmt.Fprintf(w, "\n%s, %s (%d cores, %s), Linux %s, %s; nginx %s; wrk %s, hey %s, h2load %s, vegeta v12.13.0; host %s\n",
		time.Now().Format("2006-01-02"), cpuModel(), runtime.NumCPU(), memTotal(), kernel(), runtime.Version(),
		pkgVersion("nginx"), pkgVersion("wrk"), pkgVersion("hey"), pkgVersion("nghttp2-client"), host)
	fmt.Fprintf(w, "%d connections (HTTP/2: streams), %s per measurement, %d interleaved runs; nginx: 1 worker, 13-byte file kept open, loopback\n", b.o.conns, b.o.duration, b.o.runs)
	fmt.Fprintf(w, "figures: median over the runs (min–max)\n\n")
	fmt.Fprintln(w, "| tool, mode | req/s | p50 / p99 ms | service p50 ms | CPU µs per request | peak RSS | notes |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, m := range b.measurements() {
		rs := b.results[m.key]
		lat := "—"
		if statsOf(fig(rs, p99)).med > 0 {
			lat = fmt.Sprintf("%.2f / %.2f", statsOf(fig(rs, func(r result) float64 { return r.p50 })).med, statsOf(fig(rs, p99)).med)
		}
		svc := "—"
		if s := statsOf(fig(rs, func(r result) float64 { return r.svcP50 })); s.med > 0 {
			svc = fmt.Sprintf("%.3f", s.med)
		}
		note := m.note
		if m.tool == "perfplan" && m.rate > 0 {
			note += fmt.Sprintf("; %.0f dropped", statsOf(fig(rs, func(r result) float64 { return float64(r.dropped) })).med)
		}
		if e := statsOf(fig(rs, func(r result) float64 { return float64(r.errors) })).med; e > 0 {
			note += fmt.Sprintf("; %.0f errors", e)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.1f MB | %s |\n", m.name, statsOf(fig(rs, rps)).text(fmtInt, ""), lat, svc,
			statsOf(fig(rs, cpu)).text(decimals(1), ""), statsOf(fig(rs, func(r result) float64 { return r.rssMB })).med, strings.TrimPrefix(note, "; "))
	}
	return b.printRatios(w)
}

// printRatios writes the paired ratios and the goals, and returns how many
// goals were missed.
func (b *bench) printRatios(w io.Writer) int {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Ratios, taken within each run: median (min–max)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| ratio | median (range) | goal | |")
	fmt.Fprintln(w, "|---|---|---|---|")
	var goals, missed []string
	for _, q := range b.ratios() {
		v := b.paired(q)
		if len(v) == 0 {
			continue
		}
		s := statsOf(v)
		verdict := ""
		if q.goal != "" {
			verdict = "MET"
			if !meets(s.med, q.goal) {
				verdict = "**MISSED**"
				missed = append(missed, q.label)
			}
			goals = append(goals, q.label)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", q.label, s.text(decimals(2), "×"), q.goal, verdict)
	}
	// The high rate is held: its rate within 1%, nothing dropped.
	if hs := b.results[kPPHigh]; len(hs) > 0 {
		off := statsOf(fig(hs, func(r result) float64 { return math.Abs(r.rps-b.o.highRate) / b.o.highRate * 100 }))
		dropped := statsOf(fig(hs, func(r result) float64 { return float64(r.dropped) }))
		label := fmt.Sprintf("%s/s held by perfplan: %% off the rate, dropped", fmtInt(b.o.highRate))
		verdict := "MET"
		if off.med > 1 || dropped.med > 0 {
			verdict = "**MISSED**"
			missed = append(missed, label)
		}
		goals = append(goals, label)
		fmt.Fprintf(w, "| %s | %s, %s | ≤ 1%%, 0 | %s |\n", label, off.text(decimals(2), "%"), dropped.text(fmtInt, ""), verdict)
	}
	fmt.Fprintln(w)
	if len(missed) == 0 {
		fmt.Fprintf(w, "Goals (issue 23): all %d met.\n", len(goals))
	} else {
		fmt.Fprintf(w, "Goals (issue 23): %d of %d MISSED:\n", len(missed), len(goals))
		for _, m := range missed {
			fmt.Fprintf(w, "  MISSED: %s\n", m)
		}
	}
	return len(missed)
}

func fmtInt(f float64) string {
	s := strconv.FormatInt(int64(math.Round(f)), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func memTotal() string {
	b, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return fmt.Sprintf("%.0f GiB", kb/1024/1024)
		}
	}
	return "? GiB"
}

func kernel() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return "?"
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

func pkgVersion(pkg string) string {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", pkg).Output()
	if err != nil {
		return "?"
	}
	return string(out)
}
