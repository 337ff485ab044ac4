package executor

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestReadCPUStat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name, body string
		want       float64
		periods    int64
		ok         bool
	}{
		{"v2", "usage_usec 100\nuser_usec 60\nsystem_usec 40\nnr_periods 10\nnr_throttled 3\nthrottled_usec 2500000\n", 2.5, 3, true},
		{"v1", "nr_periods 10\nnr_throttled 4\nthrottled_time 1500000000\n", 1.5, 4, true},
		{"v2 without the cpu controller", "usage_usec 100\nuser_usec 60\nsystem_usec 40\n", 0, 0, false},
		{"garbage", "nr_throttled x\nthrottled_usec\n", 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(dir, c.name)
			if err := os.WriteFile(p, []byte(c.body), 0o600); err != nil {
				t.Fatal(err)
			}
			got, n, ok := readCPUStat(p)
			if ok != c.ok || got != c.want || n != c.periods {
				t.Errorf("readCPUStat = %v, %d, %v; want %v, %d, %v", got, n, ok, c.want, c.periods, c.ok)
			}
		})
	}
	if _, _, ok := readCPUStat(filepath.Join(dir, "missing")); ok {
		t.Error("a missing file reads as measured")
	}
}

func TestCgroupCPUStat(t *testing.T) {
	t.Parallel()
	stat := "nr_periods 1\nnr_throttled 0\nthrottled_usec 0\n"
	cases := []struct {
		name, self string
		files      []string // cpu.stat files to create under the root
		want       string
	}{
		{"v2", "0::/user.slice/ci.scope\n", []string{"user.slice/ci.scope/cpu.stat"}, "user.slice/ci.scope/cpu.stat"},
		{"hybrid: unified mount", "4:memory:/x\n1:cpu,cpuacct:/\n0::/\n", []string{"unified/cpu.stat"}, "unified/cpu.stat"},
		{"v1 cpu controller", "4:memory:/x\n2:cpu,cpuacct:/job\n0::/\n", []string{"cpu,cpuacct/job/cpu.stat"}, "cpu,cpuacct/job/cpu.stat"},
		{"none", "0::/\n", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			for _, f := range c.files {
				p := filepath.Join(root, f)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(stat), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			self := filepath.Join(root, "self-cgroup")
			if err := os.WriteFile(self, []byte(c.self), 0o600); err != nil {
				t.Fatal(err)
			}
			got := cgroupCPUStat(self, root)
			want := ""
			if c.want != "" {
				want = filepath.Join(root, c.want)
			}
			if got != want {
				t.Errorf("cgroupCPUStat = %q, want %q", got, want)
			}
		})
	}
}

func TestMachineDelta(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	a := machineReading{at: t0, busy: 10, steal: 1, self: 2, statOK: true, throttled: 1, nrThrottled: 5, cgroupOK: true}
	a.psi[0] = psiTotals{some: 1_000_000, ok: true}
	a.psi[2] = psiTotals{some: 0, full: 0, ok: true, fullOK: true}
	b := machineReading{at: t0.Add(2 * time.Second), busy: 13, steal: 1.2, self: 2.5, statOK: true, throttled: 1.5, nrThrottled: 9, cgroupOK: true}
	b.psi[0] = psiTotals{some: 2_000_000, ok: true}
	b.psi[2] = psiTotals{some: 400_000, full: 200_000, ok: true, fullOK: true}
	m := machineDelta(a, b, 2)
	check := func(name string, p *float64, want float64) {
		t.Helper()
		if p == nil {
			t.Errorf("%s: not measured, want %v", name, want)
			return
		}
		if d := *p - want; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s = %v, want %v", name, *p, want)
		}
	}
	check("cpu pressure", m.CPUPressure, 50)
	check("io pressure", m.IOPressure, 20)
	check("io full", m.IOFull, 10)
	check("steal", m.Steal, 10)
	check("other cpu", m.OtherCPU, 125) // (3 - 0.5) s over 2 s
	check("throttled", m.Throttled, 25)
	if m.ThrottledPeriods == nil || *m.ThrottledPeriods != 4 {
		t.Errorf("throttled periods = %v, want 4", m.ThrottledPeriods)
	}
	// Sources that could not be read are not measured, never 0.
	if m.MemoryPressure != nil || m.MemoryFull != nil {
		t.Error("memory pressure reported though it was not read")
	}
	if _, ok := m.Metric("machine.memory_pressure"); ok {
		t.Error("machine.memory_pressure has a value though it was not measured")
	}
	if v, ok := m.Metric("machine.other_cpu"); !ok || v != 125 {
		t.Errorf("machine.other_cpu = %v, %v", v, ok)
	}
	none := machineDelta(machineReading{at: t0}, machineReading{at: t0.Add(time.Second)}, 2)
	if none.OtherCPU != nil || none.Steal != nil || none.Throttled != nil || none.CPUPressure != nil {
		t.Errorf("unreadable sources reported as measured: %+v", none)
	}
}
