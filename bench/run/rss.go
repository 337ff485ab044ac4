package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// rssPlan is the memory-per-worker plan: constant-vus workers on a sleep
// target that holds each call for 100ms, so that the workers spend their
// time parked and the process holds little beyond them.
const rssPlan = `plan "bench-run-rss" {
  description = "memory per worker: constant-vus workers on a 100ms sleep target"
}

variable "vus" {
  type    = number
  default = 1000
}

variable "duration" {
  type    = string
  default = "8s"
}

target "sleep" "backend" {
  latency = "100ms"
}

workload "wait" {
  target = target.sleep.backend
  op "op" { weight = 1 }
}

scenario "vus" {
  workload = workload.wait
  executor = "constant-vus"
  vus      = var.vus
  duration = var.duration
}
`

// rssLatency is the sleep target's latency in rssPlan.
const rssLatency = 100 * time.Millisecond

// runDoc is the part of a run document that rss reads.
type runDoc struct {
	Plans []struct {
		Scenarios []struct {
			Total struct {
				Ops        int64   `json:"ops"`
				Throughput float64 `json:"throughput"`
				Latency    struct {
					Mean float64 `json:"mean"`
				} `json:"latency_ns"`
			} `json:"total"`
		} `json:"scenarios"`
	} `json:"plans"`
}

// rssRun is one run of rssPlan: the child's peak RSS, the throughput and
// the mean latency (the sleep target's service time as the worker saw it).
type rssRun struct {
	maxRSS     float64 // bytes
	throughput float64
	mean       time.Duration
}

// rssArgs are the arguments of perfplan for one run of the plan in file
// with vus workers for d, writing its run document to out.
func rssArgs(file, out string, vus int, d time.Duration) []string {
	return []string{"run", "--no-history", "--quiet",
		"--var", fmt.Sprintf("vus=%d", vus), "--var", "duration=" + d.String(),
		"--out", "json=" + out, file}
}

// readRunDoc reads the first scenario's figures from the run document at
// path.
func readRunDoc(path string) (rssRun, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return rssRun{}, err
	}
	var doc runDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return rssRun{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Plans) == 0 || len(doc.Plans[0].Scenarios) == 0 {
		return rssRun{}, fmt.Errorf("%s: no scenario", path)
	}
	t := doc.Plans[0].Scenarios[0].Total
	return rssRun{throughput: t.Throughput, mean: time.Duration(t.Latency.Mean)}, nil
}

// runRSS runs rssPlan with vus workers for d through the perfplan binary.
func (r *runner) runRSS(vus int, d time.Duration) (rssRun, error) {
	plan := filepath.Join(r.dir, "rss.hcl")
	if err := os.WriteFile(plan, []byte(rssPlan), 0o644); err != nil {
		return rssRun{}, err
	}
	out := filepath.Join(r.dir, fmt.Sprintf("rss-%d.json", vus))
	cmd := exec.CommandContext(r.ctx, r.bins["perfplan"], rssArgs(plan, out, vus, d)...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return rssRun{}, fmt.Errorf("perfplan run (%d workers): %w\n%s", vus, err, stderr.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return rssRun{}, fmt.Errorf("no rusage on this system")
	}
	run, err := readRunDoc(out)
	if err != nil {
		return rssRun{}, err
	}
	// Linux reports ru_maxrss (the child's VmHWM) in KiB.
	run.maxRSS = float64(ru.Maxrss) * 1024
	return run, nil
}

// rss measures the peak RSS of 1,000 and 10,000 workers, in alternating
// runs, and their throughput against workers ÷ service time.
func (r *runner) rss() error {
	reps, d := 3, 6*time.Second
	if r.opts.quick {
		reps, d = 1, 2*time.Second
	}
	counts := []int{1000, 10000}
	runs := map[int][]rssRun{}
	for rep := range reps {
		order := counts
		if rep%2 == 1 {
			order = []int{counts[1], counts[0]}
		}
		for _, n := range order {
			run, err := r.runRSS(n, d)
			if err != nil {
				return err
			}
			runs[n] = append(runs[n], run)
			fmt.Fprintf(os.Stderr, "   %d workers: peak RSS %.1f MiB, %.0f/s, mean latency %v\n",
				n, run.maxRSS/(1<<20), run.throughput, run.mean.Round(10*time.Microsecond))
		}
	}
	r.rssRows(counts, runs, d)
	return nil
}

// rssRows adds the memory rows from the runs by worker count.
func (r *runner) rssRows(counts []int, runs map[int][]rssRun, d time.Duration) {
	for _, n := range counts {
		var v []float64
		for _, x := range runs[n] {
			v = append(v, x.maxRSS/(1<<20))
		}
		s := summarize(v)
		goal, ok := "", (*bool)(nil)
		if n == 10000 {
			goal, ok = "< 64 MiB", ptr(s.med < 64)
		}
		r.add("memory", fmt.Sprintf("peak RSS of perfplan run, %s constant-vus workers on a 100ms sleep target, %s (VmHWM)", thousands(n), d),
			fmt.Sprintf("%.1f MiB", s.med), s.rangef("%.1f"), goal, ok)
	}
	if lo, hi := runs[counts[0]], runs[counts[1]]; len(lo) == len(hi) && len(lo) > 0 {
		var per []float64
		for i := range lo {
			per = append(per, (hi[i].maxRSS-lo[i].maxRSS)/float64(counts[1]-counts[0])/1024)
		}
		s := summarize(per)
		r.add("memory", fmt.Sprintf("memory a worker: (RSS at %s − RSS at %s) ÷ %s", thousands(counts[1]), thousands(counts[0]), thousands(counts[1]-counts[0])),
			fmt.Sprintf("%.2f KiB", s.med), s.rangef("%.2f"), "", nil)
	}
	for _, n := range counts {
		var frac, little, mean []float64
		for _, x := range runs[n] {
			frac = append(frac, x.throughput/(float64(n)/rssLatency.Seconds()))
			little = append(little, x.throughput/(float64(n)/x.mean.Seconds()))
			mean = append(mean, float64(x.mean))
		}
		s, l := summarize(frac), summarize(little)
		r.add("memory", fmt.Sprintf("throughput of %s workers ÷ (workers ÷ 100ms); in brackets ÷ (workers ÷ mean latency)", thousands(n)),
			fmt.Sprintf("%.1f %% (%.1f %%, mean latency %v)", 100*s.med, 100*l.med, time.Duration(summarize(mean).med).Round(10*time.Microsecond)),
			fmt.Sprintf("%.1f–%.1f %% (n=%d)", 100*s.min, 100*s.max, s.n), "within 3 %", ptr(s.med >= 0.97 && s.med <= 1.03))
	}
}

// thousands formats n with a comma every three digits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
