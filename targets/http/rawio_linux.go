//go:build linux

package http

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// rawIO reads and writes a TCP connection's socket with raw system calls
// (syscall.RawSyscall, without the runtime's entersyscall), through the
// connection's syscall.RawConn, so that the network poller still parks a
// read or a write that would block, and deadlines and Close work as on
// the net.Conn.
//
// Why: the socket is non-blocking, so no such call blocks; but a system
// call entered the runtime's way while every P is idle wakes the runtime's
// monitor thread (sysmon), which then polls every 20µs until the process
// is idle again. At a moderate fixed rate (bench/http: 5,000 requests a
// second) the process is idle between every response and the next
// request, so each request paid for that wake-up and the monitor's
// polling: about a seventh of perfplan's CPU.
//
// Its errors are those of a net.Conn: io.EOF at the end of the stream,
// and otherwise a *net.OpError whose Op is "read" or "write" wrapping an
// *os.SyscallError (a reset, a broken pipe) or the poller's error (a
// deadline, a closed connection).
type rawIO struct {
	c      *net.TCPConn
	rc     syscall.RawConn
	rd, wr rawOp
}

// rawOp is one direction's state: Read and Write may run at once, and
// concurrent calls in one direction take turns (as the net.Conn's own
// locks make them). fn is made once, so a call allocates nothing.
type rawOp struct {
	mu    sync.Mutex
	buf   []byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

// newRawIO returns the raw I/O of a plain TCP connection, or nil.
func newRawIO(c net.Conn) *rawIO {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &rawIO{c: tc, rc: rc}
	r.rd.fn, r.wr.fn = r.rd.read, r.wr.write
	return r
}

// read is the read of one Read: false (wait for the poller) while the
// socket has nothing to read.
func (o *rawOp) read(fd uintptr) bool {
	for {
		n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(o.buf))), uintptr(len(o.buf)))
		switch errno {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		o.n, o.errno = int(n), errno
		return true
	}
}

// write writes what is left of one Write: false (wait for the poller)
// while the socket's buffer is full.
func (o *rawOp) write(fd uintptr) bool {
	for o.n < len(o.buf) {
		rest := o.buf[o.n:]
		n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(rest))), uintptr(len(rest)))
		switch errno {
		case 0:
			o.n += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			o.errno = errno
			return true
		}
	}
	return true
}

// Read is net.Conn's Read with a raw system call.
func (r *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, errno, err := r.rd.run(p, r.rc.Read)
	switch {
	case err != nil:
		return 0, r.opError("read", err)
	case errno != 0:
		return 0, r.opError("read", os.NewSyscallError("read", errno))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write is net.Conn's Write with raw system calls: it writes all of p, or
// fails.
func (r *rawIO) Write(p []byte) (int, error) {
	n, errno, err := r.wr.run(p, r.rc.Write)
	switch {
	case err != nil:
		return n, r.opError("write", err)
	case errno != 0:
		return n, r.opError("write", os.NewSyscallError("write", errno))
	}
	return n, nil
}

// run does one call of the direction on buf through call, the RawConn's
// Read or Write, and returns the bytes done, the system call's error and
// the poller's.
func (o *rawOp) run(buf []byte, call func(func(uintptr) bool) error) (int, syscall.Errno, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf, o.n, o.errno = buf, 0, 0
	err := call(o.fn)
	o.buf = nil
	return o.n, o.errno, err
}

// opError returns err as the net.Conn's own Read or Write would: the
// RawConn's errors (a deadline, a closed connection) come as an
// *net.OpError of "raw-read" or "raw-write", renamed here.
func (r *rawIO) opError(op string, err error) error {
	if oe, ok := errors.AsType[*net.OpError](err); ok {
		cp := *oe
		cp.Op = op
		return &cp
	}
	return &net.OpError{Op: op, Net: "tcp", Source: r.c.LocalAddr(), Addr: r.c.RemoteAddr(), Err: err}
}
