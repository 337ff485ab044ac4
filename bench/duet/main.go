// Command duet measures what running two variants side by side buys on a
// noisy machine. Beside a CPU hog it starts itself, it compares a sleep
// backend A with a B that is 0 %, 3 %, 5 % and 10 % slower, several times
// each, by three methods that get the same wall-clock load time (the
// budget) per comparison:
//
//   - sequential: A then B, each perfplan run --count 5 over half the
//     budget, compared as perfplan compare does (U test over the runs);
//   - alternating slices: perfplan ab --alternate --slices 10, A and B in
//     ABBA order, each side half the budget;
//   - duet: perfplan ab, A and B at the same time for the whole budget.
//
// It prints, per method and slowdown, how often B was found significantly
// slower on p50 (the detection rate; at 0 % every significant verdict is
// false), the median change found and the median width of its confidence
// interval, and the ratio of the interval widths against the duet's. The
// method behind each verdict is perfplan's own (see docs/duet.md).
//
// It is not part of go test (these are timings):
//
//	go run ./bench/duet                      # about 9 minutes
//	go run ./bench/duet -trials 20 -budget 30s  # rates, about 45 minutes
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perfplan/perfplan/compare"
	"github.com/perfplan/perfplan/report"
)

// nominal is the plan's written duration; --duration-scale sets each run's.
const nominal = 10 * time.Second

const planText = `# bench/duet: one sleep backend; A and B differ in its latency.
variable "latency" {
  default = "10ms"
}

target "sleep" "backend" {
  latency = var.latency
}

workload "w" {
  target = target.sleep.backend
  op "get" {
    weight = 1
  }
}

scenario "steady" {
  workload          = workload.w
  executor          = "constant-arrival-rate"
  rate              = %d
  pre_allocated_vus = 20
  duration          = "10s"
  allow_omitted     = true
}
`

type options struct {
	perfplan  string
	budget    time.Duration
	trials    int
	slowdowns []float64
	latency   time.Duration
	rate      int
	hog       bool
	// methods are the methods run, a subset of allMethods in its order.
	methods []string
}

// verdict is one comparison's outcome on p50.
type verdict struct {
	ok          bool // a verdict was given (not declined, no error)
	significant bool
	change      float64
	width       float64 // high − low of the change's interval
	err         string
}

var allMethods = []string{"sequential (compare --count 5)", "alternating slices (ab --alternate)", "duet (ab)"}

// methodNames are the -methods names of allMethods.
var methodNames = []string{"sequential", "alternate", "duet"}

func main() {
	var o options
	var slow, meth string
	hogChild := flag.Bool("hog-child", false, "internal: be the CPU hog")
	flag.StringVar(&o.perfplan, "perfplan", "", "perfplan binary (default: build ./cmd/perfplan)")
	flag.DurationVar(&o.budget, "budget", 20*time.Second, "wall-clock load time of one comparison, the same for every method")
	flag.IntVar(&o.trials, "trials", 2, "comparisons per method and slowdown")
	flag.StringVar(&slow, "slowdowns", "0,3,5,10", "B's slowdowns in percent")
	flag.DurationVar(&o.latency, "latency", 10*time.Millisecond, "A's sleep latency")
	flag.IntVar(&o.rate, "rate", 200, "arrivals per second of each side")
	flag.BoolVar(&o.hog, "hog", true, "start a CPU hog beside the runs")
	flag.StringVar(&meth, "methods", strings.Join(methodNames, ","), "methods to run: sequential, alternate, duet")
	flag.Parse()
	for i, n := range methodNames {
		if slices.Contains(strings.Split(meth, ","), n) {
			o.methods = append(o.methods, allMethods[i])
		}
	}
	if len(o.methods) == 0 {
		fmt.Fprintln(os.Stderr, "bench/duet: -methods names none of", strings.Join(methodNames, ", "))
		os.Exit(2)
	}
	if *hogChild {
		hog()
		return
	}
	for _, s := range strings.Split(slow, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || v < 0 {
			fmt.Fprintln(os.Stderr, "bench/duet: bad -slowdowns:", s)
			os.Exit(2)
		}
		o.slowdowns = append(o.slowdowns, v)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := runBench(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/duet:", err)
		os.Exit(1)
	}
}

// hog burns every core in bursts of 20 to 300ms with pauses of up to 200ms,
// so that the interference comes and goes as a noisy neighbour's does.
func hog() {
	var wg sync.WaitGroup
	for i := range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			x := 0.0
			for {
				end := time.Now().Add(time.Duration(20+rng.IntN(280)) * time.Millisecond)
				for time.Now().Before(end) {
					for j := range 1000 {
						x += math.Sqrt(float64(j))
					}
				}
				time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
			}
		}()
	}
	wg.Wait()
}

func runBench(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "bench-duet")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.perfplan == "" {
		o.perfplan = filepath.Join(dir, "perfplan")
		build := exec.CommandContext(ctx, "go", "build", "-o", o.perfplan, "./cmd/perfplan")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build perfplan (run from the repository's root): %w", err)
		}
	}
	planPath := filepath.Join(dir, "sleep.hcl")
	if err := os.WriteFile(planPath, []byte(fmt.Sprintf(planText, o.rate)), 0o644); err != nil {
		return err
	}
	fmt.Printf("bench/duet %s on %s, %d cores (load average %s)\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), cpuModel(), runtime.NumCPU(), loadAvg())
	fmt.Printf("sleep backend A %v at %d/s; B 0..10%% slower; budget %v of load per comparison; %d trials per cell; CPU hog: %v\n\n",
		o.latency, o.rate, o.budget, o.trials, o.hog)
	if o.hog {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		h := exec.Command(self, "-hog-child")
		if err := h.Start(); err != nil {
			return fmt.Errorf("start the CPU hog: %w", err)
		}
		defer func() { _ = h.Process.Kill(); _ = h.Wait() }()
	}
	b := &bench{o: o, plan: planPath, dir: dir}
	results := map[string]map[float64][]verdict{}
	for _, m := range o.methods {
		results[m] = map[float64][]verdict{}
	}
	start := time.Now()
	// Trials outermost and methods innermost, so that a change in the
	// machine's load over the run weighs on every method alike.
	for t := range o.trials {
		for _, d := range o.slowdowns {
			for _, m := range o.methods {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				v := b.compare(ctx, m, d, t)
				results[m][d] = append(results[m][d], v)
				fmt.Fprintf(os.Stderr, "%6.0fs trial %d, B +%g%%, %s: %s\n", time.Since(start).Seconds(), t+1, d, m, v)
			}
		}
	}
	printTable(o, results)
	fmt.Printf("\ntotal %v; load average at the end %s\n", time.Since(start).Round(time.Second), loadAvg())
	return nil
}

func (v verdict) String() string {
	switch {
	case v.err != "":
		return "error: " + v.err
	case !v.ok:
		return "no verdict"
	}
	s := "~"
	if v.significant {
		s = "significant"
	}
	return fmt.Sprintf("%+.2f%% (interval width %.2f%%) %s", 100*v.change, 100*v.width, s)
}

type bench struct {
	o    options
	plan string
	dir  string
}

func (b *bench) latencies(d float64) (string, string) {
	a := b.o.latency
	bl := time.Duration(float64(a) * (1 + d/100))
	return fmt.Sprintf("%dus", a.Microseconds()), fmt.Sprintf("%dus", bl.Microseconds())
}

// compare runs one comparison of B (d % slower) against A by method m.
func (b *bench) compare(ctx context.Context, m string, d float64, trial int) verdict {
	la, lb := b.latencies(d)
	out := filepath.Join(b.dir, fmt.Sprintf("t%d-%g-%d", trial, d, slices.Index(allMethods, m)))
	scale := func(x time.Duration) string { return strconv.FormatFloat(x.Seconds()/nominal.Seconds(), 'f', 4, 64) }
	switch m {
	case allMethods[0]:
		per := b.o.budget / 2 / 5
		for _, side := range []struct{ name, lat string }{{"a", la}, {"b", lb}} {
			if err := b.perfplan(ctx, "run", "--quiet", "--no-color", "--no-history", "--no-abort", "--count", "5",
				"--duration-scale", scale(per), "--var", "latency="+side.lat, "--out", "json="+out+side.name+".json", b.plan); err != nil {
				return verdict{err: err.Error()}
			}
		}
		base, err := report.ReadDocumentFile(out + "a.json")
		if err != nil {
			return verdict{err: err.Error()}
		}
		next, err := report.ReadDocumentFile(out + "b.json")
		if err != nil {
			return verdict{err: err.Error()}
		}
		res, err := compare.Compare(base, next, compare.DefaultOptions())
		if err != nil {
			return verdict{err: err.Error()}
		}
		for _, r := range res.Rows {
			if r.Metric.Name == "p50" && r.Op == "(all)" {
				if r.Declined || math.IsNaN(r.DeltaLo) || math.IsNaN(r.DeltaHi) {
					return verdict{}
				}
				return verdict{ok: true, significant: r.Significant, change: r.Delta, width: r.DeltaHi - r.DeltaLo}
			}
		}
		return verdict{err: "no p50 row"}
	case allMethods[1]:
		return b.ab(ctx, out+".json", la, lb, "--alternate", "--slices", "10", "--duration-scale", scale(b.o.budget/2))
	default:
		return b.ab(ctx, out+".json", la, lb, "--duration-scale", scale(b.o.budget))
	}
}

// ab runs perfplan ab and reads its p50 row.
func (b *bench) ab(ctx context.Context, out, la, lb string, args ...string) verdict {
	args = append([]string{"ab", "--quiet", "--no-color", "--var", "latency=" + la, "--b-var", "latency=" + lb, "--out", "json=" + out}, args...)
	if err := b.perfplan(ctx, append(args, b.plan)...); err != nil {
		return verdict{err: err.Error()}
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		return verdict{err: err.Error()}
	}
	var doc struct {
		Rows []struct {
			Metric      string   `json:"metric"`
			Change      *float64 `json:"change"`
			Low         *float64 `json:"low"`
			High        *float64 `json:"high"`
			Significant bool     `json:"significant"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return verdict{err: err.Error()}
	}
	for _, r := range doc.Rows {
		if r.Metric == "p50" {
			if r.Change == nil || r.Low == nil || r.High == nil {
				return verdict{}
			}
			return verdict{ok: true, significant: r.Significant, change: *r.Change, width: *r.High - *r.Low}
		}
	}
	return verdict{err: "no p50 row"}
}

// perfplan runs the binary; exit 1 (an assertion or a regression) is an
// outcome, not an error.
func (b *bench) perfplan(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, b.o.perfplan, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("perfplan %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// printTable prints the detection rates, changes and interval widths, the
// width ratios and the goals.
func printTable(o options, results map[string]map[float64][]verdict) {
	fmt.Printf("| method | B slower | significant (B slower) | no verdict | median change | median interval width |\n")
	fmt.Printf("|---|---|---|---|---|---|\n")
	widths := map[string][]float64{}
	for _, m := range o.methods {
		for _, d := range o.slowdowns {
			vs := results[m][d]
			found, none := 0, 0
			var ch, w []float64
			for _, v := range vs {
				switch {
				case !v.ok:
					none++
				default:
					ch, w = append(ch, v.change), append(w, v.width)
					if v.significant && (d == 0 || v.change > 0) {
						found++
					}
				}
			}
			widths[m] = append(widths[m], w...)
			label := fmt.Sprintf("%d/%d", found, len(vs))
			if d == 0 {
				label += " (false)"
			}
			width := "–"
			if mw := median(w); !math.IsNaN(mw) {
				width = fmt.Sprintf("%.2f%%", 100*mw)
			}
			fmt.Printf("| %s | %g%% | %s | %d | %s | %s |\n", m, d, label, none, pct(median(ch)), width)
		}
	}
	fmt.Println()
	fmt.Println("goals (issue 21, beside a CPU hog, within 60s): A/A false verdicts <= 1%, 5% found >= 90%, 3% found >= 50%; duet's interval >= 3x narrower than sequential's")
	for _, m := range o.methods {
		var parts []string
		for _, g := range []struct {
			d    float64
			what string
			ok   func(r float64) bool
		}{{0, "A/A false", func(r float64) bool { return r <= 0.01 }}, {5, "5% found", func(r float64) bool { return r >= 0.9 }}, {3, "3% found", func(r float64) bool { return r >= 0.5 }}} {
			vs, ok := results[m][g.d]
			if !ok || len(vs) == 0 {
				continue
			}
			n := 0
			for _, v := range vs {
				if v.ok && v.significant && (g.d == 0 || v.change > 0) {
					n++
				}
			}
			r := float64(n) / float64(len(vs))
			mark := "ok"
			if !g.ok(r) {
				mark = "MISS"
			}
			parts = append(parts, fmt.Sprintf("%s %d/%d %s", g.what, n, len(vs), mark))
		}
		fmt.Printf("  %s: %s\n", m, strings.Join(parts, ", "))
	}
	duet, ok := widths[allMethods[2]]
	if !ok {
		return
	}
	for _, m := range o.methods {
		if m != allMethods[2] {
			r := median(widths[m]) / median(duet)
			mark := "ok"
			if !(r >= 3) {
				mark = "MISS"
			}
			fmt.Printf("interval width, %s against duet: %.1f× %s\n", m, r, mark)
		}
	}
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%+.2f%%", 100*v)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
