package executor

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/procfs"

	"github.com/perfplan/perfplan/plan"
)

// TestIOReaderFixtures reads the counters of fixture processes: 42 has
// /proc/PID/io and net/dev, 43 neither, so its figures are not measured
// (no value), never 0.
func TestIOReaderFixtures(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	c := newIOReaderAt("testdata/proc", 42).read(t0)
	if !c.hasProc || !c.hasNet || c.proc.RChar != 1000 || c.proc.SyscW != 20 || c.proc.WriteBytes != 8192 ||
		c.sent != 600000 || c.received != 800000 {
		t.Fatalf("42: %+v", c)
	}
	later := c
	later.at = t0.Add(2 * time.Second)
	later.proc = procfs.ProcIO{RChar: 3000, WChar: 2000, SyscR: 30, SyscW: 20, ReadBytes: 4096 + 8192, WriteBytes: 8192}
	later.sent, later.received = c.sent+1000, c.received+5000
	io := ioDelta(c, later)
	want := map[string]float64{
		"io.read_bytes": 2000, "io.write_bytes": 0, "io.read_ops": 20, "io.write_ops": 0,
		"io.read_bytes_per_sec": 1000, "io.write_bytes_per_sec": 0, "io.read_ops_per_sec": 10, "io.write_ops_per_sec": 0,
		"disk.read_bytes": 8192, "disk.write_bytes": 0, "disk.read_bytes_per_sec": 4096, "disk.write_bytes_per_sec": 0,
		"net.sent_bytes": 1000, "net.received_bytes": 5000, "net.sent_bytes_per_sec": 500, "net.received_bytes_per_sec": 2500,
	}
	if len(want) != len(plan.IOMetrics) {
		t.Fatalf("test covers %d metrics, plan has %d", len(want), len(plan.IOMetrics))
	}
	res := &Resources{IO: io}
	none := &Resources{IO: ioDelta(newIOReaderAt("testdata/proc", 43).read(t0), newIOReaderAt("testdata/proc", 43).read(later.at))}
	if none.IO != nil {
		t.Errorf("43: %+v, want not measured", none.IO)
	}
	for _, name := range plan.IOMetrics {
		if got, ok := res.Metric(name); !ok || got != want[name] {
			t.Errorf("%s = %v, %v; want %v", name, got, ok, want[name])
		}
		if !plan.IsResourceMetric(name) {
			t.Errorf("%s is not a resource metric", name)
		}
		if v, ok := none.Metric(name); ok {
			t.Errorf("43: %s = %v, want no value", name, v)
		}
	}
	// A counter that went backwards is not measured.
	back := later
	back.sent = 0
	if io := ioDelta(c, back); io == nil || io.Network != nil || io.Process == nil {
		t.Errorf("backwards: %+v", io)
	}
	if newIOReaderAt("testdata/nope", 42).read(t0).hasProc {
		t.Error("a missing procfs was read")
	}
}

// TestIOReaderSelf reads this process's own counters around a file write
// and read: the read and write calls show, and the bytes through them.
func TestIOReaderSelf(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/io"); err != nil {
		t.Skip("no /proc/self/io:", err)
	}
	r := newIOReader()
	a := r.read(time.Now())
	path := filepath.Join(t.TempDir(), "f")
	data := make([]byte, 1<<20)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	io := ioDelta(a, r.read(time.Now()))
	if io == nil || io.Process == nil {
		t.Fatalf("no process I/O: %+v", io)
	}
	// Other tests run in parallel: at least this test's own I/O.
	p := io.Process
	if p.WriteBytes < 1<<20 || p.ReadBytes < 1<<20 || p.WriteOps < 1 || p.ReadOps < 1 {
		t.Errorf("process I/O %+v, want at least 1MiB each way", p)
	}
}

func TestSumIO(t *testing.T) {
	t.Parallel()
	a := &IO{Process: &ProcessIO{ReadBytes: 1, DiskWriteBytes: 2, WriteOpsPerSec: 3}, Network: &NetworkIO{SentBytes: 4}}
	b := &IO{Process: &ProcessIO{ReadBytes: 10, DiskWriteBytes: 20, WriteOpsPerSec: 30}}
	s := SumIO([]*IO{a, b})
	if s == nil || s.Process == nil || s.Process.ReadBytes != 11 || s.Process.DiskWriteBytes != 22 || s.Process.WriteOpsPerSec != 33 || s.Network != nil {
		t.Errorf("sum %+v: want process figures added and the network not measured (one part lacks it)", s)
	}
	if s := SumIO([]*IO{a, nil}); s != nil {
		t.Errorf("with a part not measured: %+v", s)
	}
	if s := SumIO([]*IO{a, a}); s.Network == nil || s.Network.SentBytes != 8 {
		t.Errorf("network %+v", s.Network)
	}
}

// BenchmarkIORead is the cost of one I/O sample (two procfs files), paid
// once per snapshot interval on the collector goroutine.
func BenchmarkIORead(b *testing.B) {
	r := newIOReader()
	now := time.Now()
	for b.Loop() {
		r.read(now)
	}
}
