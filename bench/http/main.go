// Command http measures perfplan's http target beside wrk and hey, in one
// run, against nginx on loopback:
//
//   - it installs nginx, hey and wrk from Debian's packages when they are
//     missing (apt-get, as test.sh installs its servers; with a
//     policy-rc.d that keeps the nginx package from starting its service);
//   - it starts nginx itself, as a child with its own prefix and
//     configuration in a temporary directory: one worker, access log off,
//     serving a 13-byte file on a free port of 127.0.0.1;
//   - it builds perfplan and runs each generator as a child process, so that
//     every figure of CPU and memory comes from the child's own rusage
//     (os.ProcessState.SysUsage) and is comparable: perfplan through its real
//     binary and a plan (full.hcl, rate.hcl and noop.hcl beside this file);
//   - at full speed with 32 connections (wrk -c32 -t2, hey -c32, perfplan
//     constant-vus 32) and at a fixed 5,000/s (perfplan constant-arrival-rate
//     from 32 workers; hey -q, its per-worker rate limit; wrk has no
//     rate in Debian's build, so it is approximated by a Lua delay() between
//     a connection's requests, a closed loop). perfplan pre-allocates 32
//     workers and may add more, up to 256, when iterations come late (a
//     stall of the machine), rather than drop them;
//   - it also runs perfplan's noop target at the fixed rate, the runner's own
//     cost without HTTP;
//   - it prints, per tool and mode, the median over the runs of req/s, p50,
//     p99, CPU µs per request and peak RSS, and perfplan's ratios to each,
//     with the goals of issue 12.
//
// Usage:
//
//	go run ./bench/http                            # 3 runs of 7 measurements of 10s: about 4 minutes
//	go run ./bench/http -runs 1 -duration 3s       # a smoke run
//	go run ./bench/http -around '/tmp/quiet.sh sleep'
//
// -around starts a command before each measurement, with the measurement's
// length in seconds as its last argument, and waits for it after (on a
// shared machine, a script that pauses other heavy processes for that long).
package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/perfplan/perfplan/internal/nettest"
)

//go:embed full.hcl
var fullPlan []byte

//go:embed rate.hcl
var ratePlan []byte

//go:embed noop.hcl
var noopPlan []byte

// body is the file nginx serves: 13 bytes, as in the reference
// figures.
const body = "Hello, world\n"

// Reference figures from issue 12 (the same machine, measured before):
// vegeta's CPU per request at 5,000/s, the figure to beat there.
const vegetaRateCPU = 101.0

type options struct {
	duration time.Duration
	runs     int
	conns    int
	rate     float64
	around   []string
	perfplan string
	install  bool
}

func main() {
	var o options
	var around string
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measurement")
	flag.IntVar(&o.runs, "runs", 3, "runs of every measurement; the table shows their medians")
	flag.IntVar(&o.conns, "conns", 32, "connections (wrk -c, hey -c, perfplan workers)")
	flag.Float64Var(&o.rate, "rate", 5000, "the fixed rate, per second")
	flag.StringVar(&around, "around", "", "command started around each measurement, given its length in seconds (e.g. '/tmp/quiet.sh sleep')")
	flag.StringVar(&o.perfplan, "perfplan", "", "perfplan binary to measure (default: build ./cmd/perfplan)")
	flag.BoolVar(&o.install, "install", true, "install nginx, hey and wrk with apt-get when missing")
	flag.Parse()
	o.around = strings.Fields(around)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/http:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	tools, err := ensureTools(o.install)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "perfplan-bench-http")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// nginx's worker drops root for nobody, which must read the file.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if o.perfplan == "" {
		o.perfplan = filepath.Join(dir, "perfplan")
		fmt.Fprintln(os.Stderr, "== building perfplan")
		build := exec.CommandContext(ctx, "go", "build", "-o", o.perfplan, "./cmd/perfplan")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build perfplan (run from the repository's root): %w", err)
		}
	}
	for name, src := range map[string][]byte{"full.hcl": fullPlan, "rate.hcl": ratePlan, "noop.hcl": noopPlan} {
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			return err
		}
	}
	ngx, err := startNginx(ctx, tools["nginx"], filepath.Join(dir, "nginx"))
	if err != nil {
		return err
	}
	defer ngx.stop()
	fmt.Fprintf(os.Stderr, "== nginx on %s; %d runs of 7 measurements of %s\n", ngx.url, o.runs, o.duration)

	b := &bench{o: o, tools: tools, dir: dir, url: ngx.url, results: map[string][]result{}}
	for r := 1; r <= o.runs; r++ {
		for _, m := range b.measurements() {
			if err := ctx.Err(); err != nil {
				return err
			}
			res, err := b.measure(ctx, m)
			if err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			fmt.Fprintf(os.Stderr, "   run %d %-40s %s\n", r, m.name, res)
			b.results[m.name] = append(b.results[m.name], res)
		}
	}
	b.print(os.Stdout)
	return nil
}

// tool names and the Debian packages that hold them.
var packages = map[string]string{"nginx": "nginx", "hey": "hey", "wrk": "wrk"}

// ensureTools finds nginx, hey and wrk, installing the missing ones from
// Debian's packages.
func ensureTools(install bool) (map[string]string, error) {
	find := func() (map[string]string, []string) {
		found := map[string]string{}
		var missing []string
		for _, name := range slices.Sorted(maps.Keys(packages)) {
			if p, err := exec.LookPath(name); err == nil {
				found[name] = p
			} else if p := "/usr/sbin/" + name; fileExists(p) {
				found[name] = p
			} else {
				missing = append(missing, packages[name])
			}
		}
		return found, missing
	}
	found, missing := find()
	if len(missing) == 0 {
		return found, nil
	}
	if !install {
		return nil, fmt.Errorf("missing %s (and -install=false)", strings.Join(missing, ", "))
	}
	fmt.Fprintf(os.Stderr, "== installing %s (apt-get)\n", strings.Join(missing, " "))
	// policy-rc.d keeps the nginx package from starting its service: the
	// bench runs its own nginx.
	const script = `set -e
created=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created=1
fi
trap '[ -z "$created" ] || rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null`
	args := append([]string{"sh", "-c", script, "sh"}, missing...)
	if os.Geteuid() != 0 {
		args = append([]string{"sudo"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("install %s: %w", strings.Join(missing, " "), err)
	}
	found, missing = find()
	if len(missing) > 0 {
		return nil, fmt.Errorf("still missing after install: %s", strings.Join(missing, ", "))
	}
	return found, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// nginx is the bench's own nginx.
type nginx struct {
	cmd *exec.Cmd
	url string
}

const nginxConf = `# perfplan bench/http: one worker, loopback only, its own prefix.
daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path %[1]s/tmp/body;
  proxy_temp_path %[1]s/tmp/proxy;
  fastcgi_temp_path %[1]s/tmp/fastcgi;
  uwsgi_temp_path %[1]s/tmp/uwsgi;
  scgi_temp_path %[1]s/tmp/scgi;
  # Keep connections for the whole measurement, so that each generator's
  # cost per request is measured, not its reconnections.
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:%[2]d;
    root %[1]s/html;
  }
}
`

// startNginx starts nginx on a free loopback port and waits until it
// serves the file.
func startNginx(ctx context.Context, bin, dir string) (*nginx, error) {
	for _, d := range []string{"html", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "html", "index.html"), []byte(body), 0o644); err != nil {
		return nil, err
	}
	port, err := nettest.FreePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, port), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	// Its own process group, so that stop reaches the worker too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	n := &nginx{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d/", port)}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(n.url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == 200 && string(b) == body {
				// The waiter goroutine keeps reaping; stop signals the
				// process.
				go func() { <-exited }()
				return n, nil
			}
			err = fmt.Errorf("status %d, body %q", resp.StatusCode, b)
		}
		select {
		case e := <-exited:
			n.killGroup()
			return nil, fmt.Errorf("nginx exited: %v\n%s", e, stderr.String())
		case <-ctx.Done():
			n.killGroup()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			n.killGroup()
			return nil, fmt.Errorf("nginx does not serve %s: %v\n%s", n.url, err, stderr.String())
		}
	}
}

// stop asks nginx to quit (SIGQUIT, graceful), and kills its process
// group (master and worker) after two seconds.
func (n *nginx) stop() {
	_ = n.cmd.Process.Signal(syscall.SIGQUIT)
	for range 40 {
		// The group is gone once the worker and the master are.
		if syscall.Kill(-n.cmd.Process.Pid, syscall.Signal(0)) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.killGroup()
}

// killGroup kills nginx's process group.
func (n *nginx) killGroup() { _ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL) }

// result is one measurement of one generator.
type result struct {
	requests int64
	rps      float64
	p50, p99 float64 // milliseconds
	cpuUS    float64 // CPU µs per request
	rssMB    float64
	dropped  int64 // perfplan: dropped iterations
	errors   int64
}

func (r result) String() string {
	return fmt.Sprintf("%8.0f req/s  p50 %.2fms  p99 %.2fms  %5.1f µs/req  %5.1f MB  errors %d dropped %d",
		r.rps, r.p50, r.p99, r.cpuUS, r.rssMB, r.errors, r.dropped)
}

// measurement is one generator in one mode.
type measurement struct {
	name  string // "wrk, 32 connections"
	tool  string // wrk, hey, perfplan
	fixed bool   // at the fixed rate
	plan  string // perfplan: the plan file; default full.hcl or rate.hcl
	note  string
}

type bench struct {
	o       options
	tools   map[string]string
	dir     string
	url     string
	results map[string][]result
}

func (b *bench) measurements() []measurement {
	c := b.o.conns
	r := fmtRate(b.o.rate)
	return []measurement{
		{name: fmt.Sprintf("wrk (C), %d connections", c), tool: "wrk"},
		{name: fmt.Sprintf("hey, %d workers", c), tool: "hey"},
		{name: fmt.Sprintf("perfplan http, %d workers", c), tool: "perfplan"},
		{name: fmt.Sprintf("wrk, %s/s by Lua delay()", r), tool: "wrk", fixed: true, note: "approximate: a closed loop with a pause between a connection's requests (Debian's wrk has no rate)"},
		{name: fmt.Sprintf("hey -q, %s/s", r), tool: "hey", fixed: true, note: "a rate limit per worker (closed loop, no intended start)"},
		{name: fmt.Sprintf("perfplan http, %s/s", r), tool: "perfplan", fixed: true, note: "constant-arrival-rate: latency from the intended start"},
		{name: fmt.Sprintf("perfplan noop target, %s/s", r), tool: "perfplan", plan: "noop.hcl", fixed: true, note: "no HTTP: the runner's own cost at this rate"},
	}
}

// measure runs one generator as a child process and reads its output and
// rusage.
func (b *bench) measure(ctx context.Context, m measurement) (result, error) {
	secs := int(math.Ceil(b.o.duration.Seconds()))
	var args []string
	var jsonOut string
	switch m.tool {
	case "wrk":
		args = []string{b.tools["wrk"], "-t2", fmt.Sprintf("-c%d", b.o.conns), fmt.Sprintf("-d%ds", secs), "--latency"}
		if m.fixed {
			script := filepath.Join(b.dir, "delay.lua")
			per := float64(b.o.conns) / b.o.rate * 1000 // ms between a connection's requests
			lua := fmt.Sprintf("-- wrk has no rate: each connection pauses delay() ms (whole) after each response.\n"+
				"local lo, frac = %d, %.4f\nfunction delay() if math.random() < frac then return lo + 1 end return lo end\n",
				int(per), per-math.Floor(per))
			if err := os.WriteFile(script, []byte(lua), 0o644); err != nil {
				return result{}, err
			}
			args = append(args, "-s", script)
		}
		args = append(args, b.url)
	case "hey":
		args = []string{b.tools["hey"], "-z", fmt.Sprintf("%ds", secs), "-c", strconv.Itoa(b.o.conns)}
		if m.fixed {
			args = append(args, "-q", strconv.FormatFloat(b.o.rate/float64(b.o.conns), 'f', -1, 64))
		}
		args = append(args, b.url)
	case "perfplan":
		plan := "full.hcl"
		if m.fixed {
			plan = "rate.hcl"
		}
		if m.plan != "" {
			plan = m.plan
		}
		jsonOut = filepath.Join(b.dir, "perfplan.json")
		_ = os.Remove(jsonOut)
		args = []string{b.o.perfplan, "run", "--quiet", "--no-history", "--no-color", "--out", "json=" + jsonOut,
			filepath.Join(b.dir, plan),
			"--var", "base_url=" + strings.TrimSuffix(b.url, "/"),
			"--var", fmt.Sprintf("duration=%ds", secs),
			"--var", fmt.Sprintf("workers=%d", b.o.conns),
			"--var", fmt.Sprintf("rate=%g", b.o.rate)}
	}
	var around *exec.Cmd
	if len(b.o.around) > 0 {
		a := append(append([]string(nil), b.o.around...), strconv.Itoa(secs+2))
		around = exec.Command(a[0], a[1:]...)
		around.Stdout, around.Stderr = os.Stderr, os.Stderr
		if err := around.Start(); err != nil {
			return result{}, fmt.Errorf("-around: %w", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if around != nil {
		_ = around.Wait()
	}
	if err != nil && (m.tool != "perfplan" || cmd.ProcessState == nil || cmd.ProcessState.ExitCode() > 1) {
		return result{}, fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	var res result
	switch m.tool {
	case "wrk":
		res, err = parseWrk(out.String())
	case "hey":
		res, err = parseHey(out.String())
	case "perfplan":
		res, err = parsePerfplan(jsonOut)
	}
	if err != nil {
		return result{}, fmt.Errorf("%w\n%s", err, out.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return result{}, errors.New("no rusage")
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if res.requests > 0 {
		res.cpuUS = float64(cpu.Microseconds()) / float64(res.requests)
	}
	res.rssMB = float64(ru.Maxrss) / 1024 // Linux: KiB
	return res, nil
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in ([\d.]+)(\w+)`)
	wrkRPS      = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkPct      = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$`)
	wrkErrors   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)|Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	heyRPS      = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	heyPct      = regexp.MustCompile(`(?m)^\s+(50|99)% in ([\d.]+) secs`)
	heyStatus   = regexp.MustCompile(`(?m)^\s+\[(\d+)\]\s+(\d+) responses`)
	heyErrors   = regexp.MustCompile(`(?m)^\s+\[(\d+)\]\s+(Get|Post|Head|Put) .*$`)
)

func parseWrk(s string) (result, error) {
	var r result
	m := wrkRequests.FindStringSubmatch(s)
	rps := wrkRPS.FindStringSubmatch(s)
	if m == nil || rps == nil {
		return r, errors.New("wrk: no request count in its output")
	}
	r.requests, _ = strconv.ParseInt(m[1], 10, 64)
	r.rps, _ = strconv.ParseFloat(rps[1], 64)
	for _, p := range wrkPct.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(p[2], 64)
		switch p[3] {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		if p[1] == "50" {
			r.p50 = v
		} else {
			r.p99 = v
		}
	}
	for _, e := range wrkErrors.FindAllStringSubmatch(s, -1) {
		for _, f := range e[1:] {
			n, _ := strconv.ParseInt(f, 10, 64)
			r.errors += n
		}
	}
	return r, nil
}

func parseHey(s string) (result, error) {
	var r result
	rps := heyRPS.FindStringSubmatch(s)
	if rps == nil {
		return r, errors.New("hey: no Requests/sec in its output")
	}
	r.rps, _ = strconv.ParseFloat(rps[1], 64)
	for _, p := range heyPct.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(p[2], 64)
		if p[1] == "50" {
			r.p50 = v * 1000
		} else {
			r.p99 = v * 1000
		}
	}
	for _, st := range heyStatus.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.ParseInt(st[2], 10, 64)
		r.requests += n
		if st[1] != "200" {
			r.errors += n
		}
	}
	for _, e := range heyErrors.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.ParseInt(e[1], 10, 64)
		r.errors += n
	}
	return r, nil
}

// parsePerfplan reads perfplan's run document.
func parsePerfplan(path string) (result, error) {
	var doc struct {
		Plans []struct {
			Error     string `json:"error"`
			Scenarios []struct {
				Dropped int64 `json:"dropped"`
				Total   struct {
					Ops        int64   `json:"ops"`
					Errors     int64   `json:"errors"`
					Throughput float64 `json:"throughput"`
					Latency    struct {
						P50 int64 `json:"p50"`
						P99 int64 `json:"p99"`
					} `json:"latency_ns"`
				} `json:"total"`
			} `json:"scenarios"`
		} `json:"plans"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return result{}, fmt.Errorf("perfplan: %w", err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return result{}, fmt.Errorf("perfplan: %w", err)
	}
	if len(doc.Plans) != 1 || len(doc.Plans[0].Scenarios) != 1 {
		return result{}, errors.New("perfplan: not one plan with one scenario")
	}
	if e := doc.Plans[0].Error; e != "" {
		return result{}, fmt.Errorf("perfplan: %s", e)
	}
	s := doc.Plans[0].Scenarios[0]
	return result{
		requests: s.Total.Ops, rps: s.Total.Throughput,
		p50: float64(s.Total.Latency.P50) / 1e6, p99: float64(s.Total.Latency.P99) / 1e6,
		dropped: s.Dropped, errors: s.Total.Errors,
	}, nil
}

// median returns the median of f over rs.
func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	n := len(v)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// summary is the median of each figure of one measurement.
func summary(rs []result) result {
	return result{
		rps:     median(rs, func(r result) float64 { return r.rps }),
		p50:     median(rs, func(r result) float64 { return r.p50 }),
		p99:     median(rs, func(r result) float64 { return r.p99 }),
		cpuUS:   median(rs, func(r result) float64 { return r.cpuUS }),
		rssMB:   median(rs, func(r result) float64 { return r.rssMB }),
		dropped: int64(median(rs, func(r result) float64 { return float64(r.dropped) })),
		errors:  int64(median(rs, func(r result) float64 { return float64(r.errors) })),
	}
}

func (b *bench) print(w io.Writer) {
	host, _ := os.Hostname()
	fmt.Fprintf(w, "\n%s, %s (%d cores, %s), Linux %s, %s; %s; %s, %s, %s\n", time.Now().Format("2006-01-02"), cpuModel(), runtime.NumCPU(), memTotal(), kernel(), runtime.Version(),
		"nginx "+pkgVersion("nginx"), "wrk "+pkgVersion("wrk"), "hey "+pkgVersion("hey"), "host "+host)
	fmt.Fprintf(w, "%d connections, %s per measurement, median of %d runs; nginx: 1 worker, 13-byte file, loopback\n\n", b.o.conns, b.o.duration, b.o.runs)
	fmt.Fprintln(w, "| tool, mode | req/s | p50 / p99 ms | CPU µs per request | peak RSS | notes |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	sums := map[string]result{}
	for _, m := range b.measurements() {
		s := summary(b.results[m.name])
		sums[m.tool+m.plan+strconv.FormatBool(m.fixed)] = s
		note := m.note
		if m.tool == "perfplan" && m.fixed {
			note += fmt.Sprintf("; %d dropped", s.dropped)
		}
		if s.errors > 0 {
			note += fmt.Sprintf("; %d errors", s.errors)
		}
		fmt.Fprintf(w, "| %s | %s | %.2f / %.2f | %.1f | %.1f MB | %s |\n", m.name, fmtInt(s.rps), s.p50, s.p99, s.cpuUS, s.rssMB, strings.TrimPrefix(note, "; "))
	}
	pp, hey, wrk := sums["perfplanfalse"], sums["heyfalse"], sums["wrkfalse"]
	ppr, heyr, noop := sums["perfplantrue"], sums["heytrue"], sums["perfplannoop.hcltrue"]
	fmt.Fprintln(w)
	fmt.Fprintln(w, "perfplan's ratios (perfplan / tool):")
	ratio := func(label string, p, t result) {
		fmt.Fprintf(w, "- %s: req/s %.2f×, p99 %.2f×, CPU per request %.2f×, peak RSS %.2f×\n", label, p.rps/t.rps, p.p99/t.p99, p.cpuUS/t.cpuUS, p.rssMB/t.rssMB)
	}
	ratio("full speed, to hey", pp, hey)
	if rs, hs := b.results[b.measurements()[2].name], b.results[b.measurements()[1].name]; len(rs) == len(hs) && len(rs) > 1 {
		// Paired by run: the two ran seconds apart, so a ratio of a pair is
		// less noisy than a ratio of medians on a shared machine.
		var per []string
		ratios := make([]result, len(rs))
		for i := range rs {
			ratios[i].rps = rs[i].rps / hs[i].rps
			per = append(per, fmt.Sprintf("%.2f", ratios[i].rps))
		}
		fmt.Fprintf(w, "  (req/s to hey, run by run: %s; median %.2f×)\n", strings.Join(per, " "), median(ratios, func(r result) float64 { return r.rps }))
	}
	ratio("full speed, to wrk", pp, wrk)
	ratio(fmt.Sprintf("%s/s, to hey -q", fmtRate(b.o.rate)), ppr, heyr)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Goals (issue 12):")
	goal := func(ok bool, format string, args ...any) {
		mark := "MET   "
		if !ok {
			mark = "MISSED"
		}
		fmt.Fprintf(w, "- %s %s\n", mark, fmt.Sprintf(format, args...))
	}
	goal(pp.rps >= hey.rps, "full speed: req/s ≥ 1.0× hey's: %.2f×", pp.rps/hey.rps)
	goal(pp.cpuUS < hey.cpuUS, "full speed: fewer CPU µs per request than hey: %.1f against %.1f", pp.cpuUS, hey.cpuUS)
	held := math.Abs(ppr.rps-b.o.rate) / b.o.rate
	goal(held <= 0.01, "%s/s: rate held within 1%%: %.2f%% off", fmtRate(b.o.rate), held*100)
	goal(ppr.dropped == 0, "%s/s: 0 dropped: %d", fmtRate(b.o.rate), ppr.dropped)
	goal(ppr.cpuUS < vegetaRateCPU, "%s/s: fewer CPU µs per request than vegeta's %.0f (issue's reference): %.1f, of which the runner alone (noop) %.1f",
		fmtRate(b.o.rate), vegetaRateCPU, ppr.cpuUS, noop.cpuUS)
}

func fmtInt(f float64) string {
	s := strconv.FormatInt(int64(math.Round(f)), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func fmtRate(f float64) string { return fmtInt(f) }

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
