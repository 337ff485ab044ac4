package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// result is one measurement of one generator.
type result struct {
	requests int64
	rps      float64
	p50, p99 float64 // milliseconds; 0 when the tool does not print them
	svcP50   float64 // perfplan: service time p50, milliseconds
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
	key   string // the results' key: "hey-5k"
	name  string // the table's row: "hey -q, 5,000/s"
	tool  string // wrk, hey, vegeta, h2load, perfplan
	rate  float64
	plan  string // perfplan: the plan file
	proto string // HTTP/2: "h2c" or "h2" (over TLS)
	// client is perfplan's http client, when not the default.
	client string
	note   string
}

// maxWorkers bounds the workers of an open model: perfplan's max_vus in
// rate.hcl, and vegeta's -max-workers (without it, vegeta behind its
// schedule starts workers, and connections, without end).
const maxWorkers = 256

// Keys of the measurements, for the ratios.
const (
	kWrk       = "wrk"
	kHey       = "hey"
	kPerfplan  = "perfplan"
	kHeyRate   = "hey-rate"
	kVegRate   = "vegeta-rate"
	kPPRate    = "perfplan-rate"
	kNoopRate  = "noop-rate"
	kVegHigh   = "vegeta-high"
	kPPHigh    = "perfplan-high"
	kH2loadH2C = "h2load-h2c"
	kPPH2C     = "perfplan-h2c"
	kPPH2CStd  = "perfplan-h2c-nethttp"
	kH2loadTLS = "h2load-tls"
	kPPTLS     = "perfplan-tls"
)

type bench struct {
	o       options
	tools   map[string]string
	dir     string
	ngx     *nginx
	results map[string][]result
}

// measurements lists what one run measures, in its order; a tool that is
// missing (optional, with -install=false) drops its rows.
func (b *bench) measurements() []measurement {
	c := b.o.conns
	r, hr := fmtInt(b.o.rate), fmtInt(b.o.highRate)
	all := []measurement{
		{key: kWrk, name: fmt.Sprintf("wrk (C), %d connections", c), tool: "wrk"},
		{key: kHey, name: fmt.Sprintf("hey, %d workers", c), tool: "hey"},
		{key: kPerfplan, name: fmt.Sprintf("perfplan http, %d workers", c), tool: "perfplan", plan: "full.hcl", note: "fasthttp client"},
		{key: kHeyRate, name: fmt.Sprintf("hey -q, %s/s", r), tool: "hey", rate: b.o.rate, note: "a rate limit per worker (closed loop, no intended start)"},
		{key: kVegRate, name: fmt.Sprintf("vegeta, %s/s", r), tool: "vegeta", rate: b.o.rate, note: "open model; latency from the actual start"},
		{key: kPPRate, name: fmt.Sprintf("perfplan http, %s/s", r), tool: "perfplan", plan: "rate.hcl", rate: b.o.rate, note: "constant-arrival-rate: latency from the intended start"},
		{key: kNoopRate, name: fmt.Sprintf("perfplan noop target, %s/s", r), tool: "perfplan", plan: "noop.hcl", rate: b.o.rate, note: "no HTTP: the runner's own cost at this rate"},
		{key: kVegHigh, name: fmt.Sprintf("vegeta, %s/s", hr), tool: "vegeta", rate: b.o.highRate, note: "open model; latency from the actual start"},
		{key: kPPHigh, name: fmt.Sprintf("perfplan http, %s/s", hr), tool: "perfplan", plan: "rate.hcl", rate: b.o.highRate, note: "constant-arrival-rate"},
		{key: kH2loadH2C, name: fmt.Sprintf("h2load (C), h2c, 1 connection × %d streams", c), tool: "h2load", proto: "h2c", note: "prints no percentiles"},
		{key: kPPH2C, name: fmt.Sprintf("perfplan http, h2c, %d workers", c), tool: "perfplan", plan: "h2.hcl", proto: "h2c", note: "h2 client (perfplan's own)"},
		{key: kPPH2CStd, name: fmt.Sprintf("perfplan http, h2c, %d workers, net/http", c), tool: "perfplan", plan: "h2.hcl", proto: "h2c", client: "net/http", note: `client = "net/http"`},
	}
	if b.o.tls {
		all = append(all,
			measurement{key: kH2loadTLS, name: fmt.Sprintf("h2load (C), h2 over TLS, 1 connection × %d streams", c), tool: "h2load", proto: "h2", note: "prints no percentiles"},
			measurement{key: kPPTLS, name: fmt.Sprintf("perfplan http, h2 over TLS, %d workers", c), tool: "perfplan", plan: "h2.hcl", proto: "h2", note: "h2 client (perfplan's own)"})
	}
	var ms []measurement
	for _, m := range all {
		if b.o.only != nil && !b.o.only.MatchString(m.key) && !b.o.only.MatchString(m.name) {
			continue
		}
		if m.tool == "perfplan" || b.tools[m.tool] != "" {
			ms = append(ms, m)
		}
	}
	return ms
}

// url is the address a measurement loads.
func (b *bench) url(m measurement) string {
	switch m.proto {
	case "h2c":
		return b.ngx.h2cURL
	case "h2":
		return b.ngx.tlsURL
	}
	return b.ngx.url
}

// command returns the generator's command line; jsonOut is where perfplan
// writes its run document, and vegetaOut where vegeta writes its results.
func (b *bench) command(m measurement, secs int) (args []string, out string, err error) {
	c, url := b.o.conns, b.url(m)
	switch m.tool {
	case "wrk":
		return []string{b.tools["wrk"], "-t2", fmt.Sprintf("-c%d", c), fmt.Sprintf("-d%ds", secs), "--latency", url}, "", nil
	case "hey":
		args = []string{b.tools["hey"], "-z", fmt.Sprintf("%ds", secs), "-c", strconv.Itoa(c)}
		if m.rate > 0 {
			args = append(args, "-q", strconv.FormatFloat(m.rate/float64(c), 'f', -1, 64))
		}
		return append(args, url), "", nil
	case "h2load":
		return []string{b.tools["h2load"], "-c1", "-m" + strconv.Itoa(c), "-t1", "-D", strconv.Itoa(secs), url}, "", nil
	case "vegeta":
		targets := filepath.Join(b.dir, "vegeta-targets.txt")
		if err := os.WriteFile(targets, []byte("GET "+url+"\n"), 0o644); err != nil {
			return nil, "", err
		}
		out = filepath.Join(b.dir, "vegeta.bin")
		return []string{b.tools["vegeta"], "attack", "-targets", targets, "-rate", fmt.Sprintf("%g/s", m.rate),
			"-duration", fmt.Sprintf("%ds", secs), "-workers", strconv.Itoa(c), "-max-workers", strconv.Itoa(maxWorkers), "-output", out}, out, nil
	}
	out = filepath.Join(b.dir, "perfplan.json")
	args = []string{b.o.perfplan, "run", "--quiet", "--no-history", "--no-color", "--out", "json=" + out,
		filepath.Join(b.dir, m.plan),
		"--var", "base_url=" + strings.TrimSuffix(url, "/"),
		"--var", fmt.Sprintf("duration=%ds", secs),
		"--var", fmt.Sprintf("workers=%d", c),
		"--var", fmt.Sprintf("rate=%g", m.rate)}
	if m.proto != "" {
		args = append(args, "--var", "protocol="+m.proto)
	}
	if m.proto == "h2" {
		args = append(args, "--var", "ca_file="+b.ngx.caFile)
	}
	if m.client != "" {
		args = append(args, "--var", "client="+m.client)
	}
	return args, out, nil
}

// measure runs one generator as a child process and reads its output and
// rusage.
func (b *bench) measure(ctx context.Context, m measurement) (result, error) {
	secs := int(math.Ceil(b.o.duration.Seconds()))
	args, outFile, err := b.command(m, secs)
	if err != nil {
		return result{}, err
	}
	_ = os.Remove(outFile)
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
	err = cmd.Run()
	if around != nil {
		_ = around.Wait()
	}
	// perfplan exits 1 when an assertion fails and 6 when it is
	// inconclusive (the machine disturbed it): its figures stand.
	if err != nil && (m.tool != "perfplan" || cmd.ProcessState == nil || !slices.Contains([]int{1, 6}, cmd.ProcessState.ExitCode())) {
		return result{}, fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return result{}, errors.New("no rusage")
	}
	res, err := b.parse(ctx, m, out.String(), outFile)
	if err != nil {
		return result{}, fmt.Errorf("%w\n%s", err, out.String())
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if res.requests > 0 {
		res.cpuUS = float64(cpu.Microseconds()) / float64(res.requests)
	}
	res.rssMB = float64(ru.Maxrss) / 1024 // Linux: KiB
	return res, nil
}

// parse reads a generator's figures from its output, or its output file.
func (b *bench) parse(ctx context.Context, m measurement, out, outFile string) (result, error) {
	switch m.tool {
	case "wrk":
		return parseWrk(out)
	case "hey":
		return parseHey(out)
	case "h2load":
		return parseH2load(out)
	case "vegeta":
		// The report is a separate process, outside the attack's rusage.
		rep, err := exec.CommandContext(ctx, b.tools["vegeta"], "report", "-type=json", outFile).Output()
		if err != nil {
			return result{}, fmt.Errorf("vegeta report: %w", err)
		}
		return parseVegeta(rep)
	}
	return parsePerfplan(outFile)
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
	h2Finished  = regexp.MustCompile(`finished in [\d.]+s, ([\d.]+) req/s`)
	h2Requests  = regexp.MustCompile(`requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout`)
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

// parseH2load reads h2load's summary: its rate and request counts (it
// prints the mean and spread of request times, no percentiles).
func parseH2load(s string) (result, error) {
	var r result
	f := h2Finished.FindStringSubmatch(s)
	q := h2Requests.FindStringSubmatch(s)
	if f == nil || q == nil {
		return r, errors.New("h2load: no summary in its output")
	}
	r.rps, _ = strconv.ParseFloat(f[1], 64)
	r.requests, _ = strconv.ParseInt(q[1], 10, 64)
	for _, e := range q[3:] {
		n, _ := strconv.ParseInt(e, 10, 64)
		r.errors += n
	}
	return r, nil
}

// parseVegeta reads `vegeta report -type=json`.
func parseVegeta(b []byte) (result, error) {
	var rep struct {
		Latencies struct {
			P50 float64 `json:"50th"`
			P99 float64 `json:"99th"`
		} `json:"latencies"`
		Requests    int64          `json:"requests"`
		Throughput  float64        `json:"throughput"`
		Success     float64        `json:"success"`
		StatusCodes map[string]int `json:"status_codes"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return result{}, fmt.Errorf("vegeta report: %w", err)
	}
	if rep.Requests == 0 {
		return result{}, errors.New("vegeta: no requests in its report")
	}
	return result{
		requests: rep.Requests, rps: rep.Throughput,
		p50: rep.Latencies.P50 / 1e6, p99: rep.Latencies.P99 / 1e6,
		errors: rep.Requests - int64(rep.StatusCodes["200"]),
	}, nil
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
					Service struct {
						P50 int64 `json:"p50"`
					} `json:"service_time_ns"`
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
		svcP50:  float64(s.Total.Service.P50) / 1e6,
		dropped: s.Dropped, errors: s.Total.Errors,
	}, nil
}
