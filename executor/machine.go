package executor

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"
)

// Machine is what the machine and perfplan's cgroup did over a span (a
// scenario, or one snapshot interval): the interference that a shared CI
// machine adds to every figure. A nil field was not measured (another OS, a
// kernel without pressure stall information, no cgroup CPU controller); it
// is never reported as 0.
//
// Percentages of time are shares of the span's wall time (100 means the
// whole span); CPU figures are percentages of one core, as cpu.percent is
// (200 means two cores busy).
type Machine struct {
	// Cores is the number of CPUs the machine has online.
	Cores int `json:"cores"`
	// CPUPressure, MemoryPressure and IOPressure are Linux pressure stall
	// information (/proc/pressure/*, "some"): the share of the span in
	// which at least one runnable task waited for a CPU, for memory or
	// for I/O. MemoryFull and IOFull are the "full" lines: the share in
	// which every non-idle task waited at once.
	CPUPressure    *float64 `json:"cpu_pressure_pct,omitempty"`
	MemoryPressure *float64 `json:"memory_pressure_pct,omitempty"`
	MemoryFull     *float64 `json:"memory_pressure_full_pct,omitempty"`
	IOPressure     *float64 `json:"io_pressure_pct,omitempty"`
	IOFull         *float64 `json:"io_pressure_full_pct,omitempty"`
	// Steal is the CPU time the hypervisor gave to other guests while
	// this one had work (/proc/stat steal), in percent of one core.
	Steal *float64 `json:"steal_pct,omitempty"`
	// OtherCPU is the CPU that every other process of the machine used:
	// the machine's busy time (/proc/stat user, nice, system, irq,
	// softirq) minus perfplan's own (getrusage), in percent of one core.
	OtherCPU *float64 `json:"other_cpu_pct,omitempty"`
	// Throttled is the share of the span in which perfplan's cgroup was
	// held back by its CPU quota (cgroup cpu.stat throttled_usec, or
	// throttled_time under cgroup v1), and ThrottledPeriods the number of
	// quota periods in which it was (nr_throttled).
	Throttled        *float64 `json:"throttled_pct,omitempty"`
	ThrottledPeriods *int64   `json:"throttled_periods,omitempty"`
}

// Metric resolves a machine.* assertion metric (see plan.MachineMetrics);
// false when the figure was not measured.
func (m *Machine) Metric(name string) (float64, bool) {
	if m == nil {
		return 0, false
	}
	f := func(p *float64) (float64, bool) {
		if p == nil {
			return 0, false
		}
		return *p, true
	}
	switch name {
	case "machine.cores":
		return float64(m.Cores), m.Cores > 0
	case "machine.cpu_pressure":
		return f(m.CPUPressure)
	case "machine.memory_pressure":
		return f(m.MemoryPressure)
	case "machine.memory_pressure_full":
		return f(m.MemoryFull)
	case "machine.io_pressure":
		return f(m.IOPressure)
	case "machine.io_pressure_full":
		return f(m.IOFull)
	case "machine.steal":
		return f(m.Steal)
	case "machine.other_cpu":
		return f(m.OtherCPU)
	case "machine.throttled":
		return f(m.Throttled)
	case "machine.throttled_periods":
		if m.ThrottledPeriods == nil {
			return 0, false
		}
		return float64(*m.ThrottledPeriods), true
	}
	return 0, false
}

// machineReading is one reading of the counters behind Machine. A false ok
// field was not readable.
type machineReading struct {
	at          time.Time
	psi         [3]psiTotals // cpu, memory, io
	busy, steal float64      // seconds, all CPUs
	statOK      bool
	self        float64 // this process's CPU seconds
	throttled   float64 // seconds
	nrThrottled int64
	cgroupOK    bool
}

type psiTotals struct {
	some, full uint64 // microseconds
	ok, fullOK bool
}

// machineSampler reads the machine's counters. Like resourceSampler, it
// belongs to one collector goroutine.
type machineSampler struct {
	fs       procfs.FS
	fsOK     bool
	cpuStat  string // the cgroup's cpu.stat, "" when none was found
	cores    int
	first    machineReading
	prev     machineReading
	selfRead func() float64
}

func newMachineSampler() *machineSampler {
	m := &machineSampler{cores: runtime.NumCPU(), selfRead: func() float64 { u, s := cpuTimes(); return u + s }}
	if fs, err := procfs.NewFS(procfs.DefaultMountPoint); err == nil {
		m.fs, m.fsOK = fs, true
	}
	m.cpuStat = cgroupCPUStat("/proc/self/cgroup", "/sys/fs/cgroup")
	m.first = m.read()
	m.prev = m.first
	return m
}

var psiResources = [3]string{"cpu", "memory", "io"}

func (m *machineSampler) read() machineReading {
	r := machineReading{at: time.Now(), self: m.selfRead()}
	if m.fsOK {
		for i, res := range psiResources {
			st, err := m.fs.PSIStatsForResource(res)
			if err != nil {
				continue
			}
			var p psiTotals
			if st.Some != nil {
				p.some, p.ok = st.Some.Total, true
			}
			// The cpu "full" line exists since Linux 5.13 and is
			// always zero at the system level: not reported.
			if st.Full != nil && res != "cpu" {
				p.full, p.fullOK = st.Full.Total, true
			}
			r.psi[i] = p
		}
		if st, err := m.fs.Stat(); err == nil {
			c := st.CPUTotal
			r.busy = c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ
			r.steal = c.Steal
			r.statOK = true
		}
	}
	if m.cpuStat != "" {
		r.throttled, r.nrThrottled, r.cgroupOK = readCPUStat(m.cpuStat)
	}
	return r
}

// sample reads the counters and returns the figures since the previous
// sample.
func (m *machineSampler) sample() *Machine {
	cur := m.read()
	out := machineDelta(m.prev, cur, m.cores)
	m.prev = cur
	return out
}

// total returns the figures since the sampler was made, as of its last
// sample.
func (m *machineSampler) total() *Machine { return machineDelta(m.first, m.prev, m.cores) }

// machineDelta returns the figures between two readings.
func machineDelta(a, b machineReading, cores int) *Machine {
	out := &Machine{Cores: cores}
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 {
		return out
	}
	pct := func(v float64) *float64 { v = max(v, 0); return &v }
	// A pressure share cannot pass the whole span; counters read a
	// moment apart can.
	share := func(v float64) *float64 { v = min(max(v, 0), 100); return &v }
	for i := range psiResources {
		pa, pb := a.psi[i], b.psi[i]
		if pa.ok && pb.ok {
			some := share(float64(pb.some-pa.some) / 1e6 / wall * 100)
			switch i {
			case 0:
				out.CPUPressure = some
			case 1:
				out.MemoryPressure = some
			case 2:
				out.IOPressure = some
			}
		}
		if pa.fullOK && pb.fullOK {
			full := share(float64(pb.full-pa.full) / 1e6 / wall * 100)
			if i == 1 {
				out.MemoryFull = full
			} else if i == 2 {
				out.IOFull = full
			}
		}
	}
	if a.statOK && b.statOK {
		out.Steal = pct((b.steal - a.steal) / wall * 100)
		// /proc/stat counts in clock ticks (10ms): over short spans the
		// difference with getrusage's microseconds can go slightly
		// negative, which pct clamps.
		out.OtherCPU = pct(((b.busy - a.busy) - (b.self - a.self)) / wall * 100)
	}
	if a.cgroupOK && b.cgroupOK {
		out.Throttled = share((b.throttled - a.throttled) / wall * 100)
		n := max(b.nrThrottled-a.nrThrottled, 0)
		out.ThrottledPeriods = &n
	}
	return out
}

// cgroupCPUStat returns the path of the cpu.stat file of the cgroup that
// selfCgroup (a /proc/PID/cgroup file) names, under the cgroup mount root:
// the unified (v2) hierarchy's when it has the cpu controller, else the v1
// cpu controller's. It returns "" when there is none.
func cgroupCPUStat(selfCgroup, root string) string {
	b, err := os.ReadFile(selfCgroup)
	if err != nil {
		return ""
	}
	var v2, v1 string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			v2 = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "cpu" {
				v1 = parts[2]
			}
		}
	}
	var candidates []string
	if v2 != "" {
		candidates = append(candidates, filepath.Join(root, v2, "cpu.stat"), filepath.Join(root, "unified", v2, "cpu.stat"))
	}
	if v1 != "" {
		candidates = append(candidates, filepath.Join(root, "cpu", v1, "cpu.stat"), filepath.Join(root, "cpu,cpuacct", v1, "cpu.stat"))
	}
	for _, c := range candidates {
		if _, thr, ok := readCPUStat(c); ok && thr >= 0 {
			return c
		}
	}
	return ""
}

// readCPUStat reads a cgroup cpu.stat file: the time throttled in seconds
// (v2 throttled_usec, v1 throttled_time in nanoseconds) and nr_throttled.
// ok is false when the file has neither (v2 without the cpu controller
// has only usage figures).
func readCPUStat(path string) (throttled float64, periods int64, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	var haveTime, haveN bool
	for _, line := range strings.Split(string(b), "\n") {
		k, v, found := strings.Cut(line, " ")
		if !found {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "throttled_usec":
			throttled, haveTime = float64(n)/1e6, true
		case "throttled_time":
			throttled, haveTime = float64(n)/1e9, true
		case "nr_throttled":
			periods, haveN = n, true
		}
	}
	return throttled, periods, haveTime && haveN
}
