package executor

import (
	"time"

	"github.com/prometheus/procfs"
)

// IO is the process's disk and network I/O over a span (a scenario, or one
// snapshot interval): counts and their rates per second of wall time. A
// part is nil where the system does not give its counters (no /proc, a
// kernel without task I/O accounting): its metrics then have no value,
// never a false 0.
type IO struct {
	// Process is from /proc/self/io: the whole process, every thread.
	Process *ProcessIO `json:"process,omitempty"`
	// Network is from /proc/self/net/dev: every interface of the
	// process's network namespace, loopback included.
	Network *NetworkIO `json:"network,omitempty"`
}

// ProcessIO is the process's I/O from /proc/self/io.
type ProcessIO struct {
	// ReadBytes and WriteBytes are the bytes passed through read- and
	// write-like system calls (rchar, wchar): files, sockets and pipes,
	// from the page cache or not.
	ReadBytes  int64 `json:"read_bytes"`
	WriteBytes int64 `json:"write_bytes"`
	// ReadOps and WriteOps count those system calls (syscr, syscw).
	ReadOps  int64 `json:"read_ops"`
	WriteOps int64 `json:"write_ops"`
	// DiskReadBytes and DiskWriteBytes are the bytes the process caused to
	// be fetched from, or sent to, the storage layer (read_bytes,
	// write_bytes): reads served by the page cache are not in them, and
	// writes count when the page is dirtied.
	DiskReadBytes  int64 `json:"disk_read_bytes"`
	DiskWriteBytes int64 `json:"disk_write_bytes"`
	// The same per second of the span.
	ReadBytesPerSec      float64 `json:"read_bytes_per_sec"`
	WriteBytesPerSec     float64 `json:"write_bytes_per_sec"`
	ReadOpsPerSec        float64 `json:"read_ops_per_sec"`
	WriteOpsPerSec       float64 `json:"write_ops_per_sec"`
	DiskReadBytesPerSec  float64 `json:"disk_read_bytes_per_sec"`
	DiskWriteBytesPerSec float64 `json:"disk_write_bytes_per_sec"`
}

// NetworkIO is the network traffic of the process's network namespace
// (/proc/self/net/dev, summed over its interfaces). It is the process's own
// only when nothing else shares the namespace (a container of its own);
// on a host it is every process's. On loopback a byte sent is also a byte
// received.
type NetworkIO struct {
	SentBytes           int64   `json:"sent_bytes"`
	ReceivedBytes       int64   `json:"received_bytes"`
	SentBytesPerSec     float64 `json:"sent_bytes_per_sec"`
	ReceivedBytesPerSec float64 `json:"received_bytes_per_sec"`
}

// ioMetrics maps the I/O metric names (plan.IOMetrics) to their figures.
var ioMetrics = map[string]func(*IO) (float64, bool){
	"io.read_bytes":              procIO(func(p *ProcessIO) float64 { return float64(p.ReadBytes) }),
	"io.write_bytes":             procIO(func(p *ProcessIO) float64 { return float64(p.WriteBytes) }),
	"io.read_ops":                procIO(func(p *ProcessIO) float64 { return float64(p.ReadOps) }),
	"io.write_ops":               procIO(func(p *ProcessIO) float64 { return float64(p.WriteOps) }),
	"io.read_bytes_per_sec":      procIO(func(p *ProcessIO) float64 { return p.ReadBytesPerSec }),
	"io.write_bytes_per_sec":     procIO(func(p *ProcessIO) float64 { return p.WriteBytesPerSec }),
	"io.read_ops_per_sec":        procIO(func(p *ProcessIO) float64 { return p.ReadOpsPerSec }),
	"io.write_ops_per_sec":       procIO(func(p *ProcessIO) float64 { return p.WriteOpsPerSec }),
	"disk.read_bytes":            procIO(func(p *ProcessIO) float64 { return float64(p.DiskReadBytes) }),
	"disk.write_bytes":           procIO(func(p *ProcessIO) float64 { return float64(p.DiskWriteBytes) }),
	"disk.read_bytes_per_sec":    procIO(func(p *ProcessIO) float64 { return p.DiskReadBytesPerSec }),
	"disk.write_bytes_per_sec":   procIO(func(p *ProcessIO) float64 { return p.DiskWriteBytesPerSec }),
	"net.sent_bytes":             netIO(func(n *NetworkIO) float64 { return float64(n.SentBytes) }),
	"net.received_bytes":         netIO(func(n *NetworkIO) float64 { return float64(n.ReceivedBytes) }),
	"net.sent_bytes_per_sec":     netIO(func(n *NetworkIO) float64 { return n.SentBytesPerSec }),
	"net.received_bytes_per_sec": netIO(func(n *NetworkIO) float64 { return n.ReceivedBytesPerSec }),
}

func procIO(f func(*ProcessIO) float64) func(*IO) (float64, bool) {
	return func(io *IO) (float64, bool) {
		if io == nil || io.Process == nil {
			return 0, false
		}
		return f(io.Process), true
	}
}

func netIO(f func(*NetworkIO) float64) func(*IO) (float64, bool) {
	return func(io *IO) (float64, bool) {
		if io == nil || io.Network == nil {
			return 0, false
		}
		return f(io.Network), true
	}
}

// ioMetric resolves an I/O metric name; isIO is false for other names.
func ioMetric(io *IO, name string) (v float64, ok, isIO bool) {
	f, isIO := ioMetrics[name]
	if !isIO {
		return 0, false, false
	}
	v, ok = f(io)
	return v, ok, true
}

// ioCounters are the cumulative counters at one moment; hasProc and hasNet
// say which could be read.
type ioCounters struct {
	at              time.Time
	hasProc, hasNet bool
	proc            procfs.ProcIO
	sent, received  uint64
}

// ioReader reads the process's I/O counters through
// github.com/prometheus/procfs. It belongs to one goroutine.
type ioReader struct {
	proc procfs.Proc
	ok   bool
}

// newIOReader opens the process's procfs entry; without one (no /proc),
// every read is "not measured".
func newIOReader() *ioReader {
	p, err := procfs.Self()
	return &ioReader{proc: p, ok: err == nil}
}

// newIOReaderAt reads the process pid of the procfs mounted at root (for
// tests, on a directory of fixtures).
func newIOReaderAt(root string, pid int) *ioReader {
	fs, err := procfs.NewFS(root)
	if err != nil {
		return &ioReader{}
	}
	p, err := fs.Proc(pid)
	return &ioReader{proc: p, ok: err == nil}
}

// read returns the counters now, at the wall time at.
func (r *ioReader) read(at time.Time) ioCounters {
	c := ioCounters{at: at}
	if r == nil || !r.ok {
		return c
	}
	if pio, err := r.proc.IO(); err == nil {
		c.proc, c.hasProc = pio, true
	}
	if nd, err := r.proc.NetDev(); err == nil && len(nd) > 0 {
		t := nd.Total()
		c.sent, c.received, c.hasNet = t.TxBytes, t.RxBytes, true
	}
	return c
}

// ioDelta is the I/O from a to b: each part only when both ends have it.
// A counter that went backwards (a namespace's interface removed) reads as
// not measured rather than as a negative or wrapped count.
func ioDelta(a, b ioCounters) *IO {
	sec := b.at.Sub(a.at).Seconds()
	rate := func(n int64) float64 {
		if sec <= 0 {
			return 0
		}
		return float64(n) / sec
	}
	d := func(x, y uint64) (int64, bool) {
		if y < x {
			return 0, false
		}
		return int64(y - x), true
	}
	out := &IO{}
	if a.hasProc && b.hasProc {
		p := &ProcessIO{}
		ok := true
		for _, f := range []struct {
			dst  *int64
			x, y uint64
		}{
			{&p.ReadBytes, a.proc.RChar, b.proc.RChar}, {&p.WriteBytes, a.proc.WChar, b.proc.WChar},
			{&p.ReadOps, a.proc.SyscR, b.proc.SyscR}, {&p.WriteOps, a.proc.SyscW, b.proc.SyscW},
			{&p.DiskReadBytes, a.proc.ReadBytes, b.proc.ReadBytes}, {&p.DiskWriteBytes, a.proc.WriteBytes, b.proc.WriteBytes},
		} {
			v, good := d(f.x, f.y)
			*f.dst, ok = v, ok && good
		}
		if ok {
			p.ReadBytesPerSec, p.WriteBytesPerSec = rate(p.ReadBytes), rate(p.WriteBytes)
			p.ReadOpsPerSec, p.WriteOpsPerSec = rate(p.ReadOps), rate(p.WriteOps)
			p.DiskReadBytesPerSec, p.DiskWriteBytesPerSec = rate(p.DiskReadBytes), rate(p.DiskWriteBytes)
			out.Process = p
		}
	}
	if a.hasNet && b.hasNet {
		s, ok1 := d(a.sent, b.sent)
		r, ok2 := d(a.received, b.received)
		if ok1 && ok2 {
			out.Network = &NetworkIO{SentBytes: s, ReceivedBytes: r, SentBytesPerSec: rate(s), ReceivedBytesPerSec: rate(r)}
		}
	}
	if out.Process == nil && out.Network == nil {
		return nil
	}
	return out
}

// SumIO adds the I/O of spans that ran at the same time (the segments of a
// merged run, each on its own machine): counts and rates add up. A part is
// summed only when every span has it, since a sum without one would read
// low; nil when none is left.
func SumIO(ios []*IO) *IO {
	if len(ios) == 0 {
		return nil
	}
	p, n := &ProcessIO{}, &NetworkIO{}
	hasP, hasN := true, true
	for _, io := range ios {
		if io == nil || io.Process == nil {
			hasP = false
		} else {
			q := io.Process
			p.ReadBytes += q.ReadBytes
			p.WriteBytes += q.WriteBytes
			p.ReadOps += q.ReadOps
			p.WriteOps += q.WriteOps
			p.DiskReadBytes += q.DiskReadBytes
			p.DiskWriteBytes += q.DiskWriteBytes
			p.ReadBytesPerSec += q.ReadBytesPerSec
			p.WriteBytesPerSec += q.WriteBytesPerSec
			p.ReadOpsPerSec += q.ReadOpsPerSec
			p.WriteOpsPerSec += q.WriteOpsPerSec
			p.DiskReadBytesPerSec += q.DiskReadBytesPerSec
			p.DiskWriteBytesPerSec += q.DiskWriteBytesPerSec
		}
		if io == nil || io.Network == nil {
			hasN = false
		} else {
			m := io.Network
			n.SentBytes += m.SentBytes
			n.ReceivedBytes += m.ReceivedBytes
			n.SentBytesPerSec += m.SentBytesPerSec
			n.ReceivedBytesPerSec += m.ReceivedBytesPerSec
		}
	}
	out := &IO{}
	if hasP {
		out.Process = p
	}
	if hasN {
		out.Network = n
	}
	if out.Process == nil && out.Network == nil {
		return nil
	}
	return out
}
