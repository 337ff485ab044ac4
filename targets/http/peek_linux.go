//go:build linux

package http

import (
	"syscall"
	"unsafe"
)

// idlePeeker tells whether the server has closed an idle kept-alive TCP
// connection, by peeking at its socket without blocking, as net/http's
// read loop learns it: a request is then not sent on it at all, whatever
// its method. Its function value is made once, so a peek allocates
// nothing.
type idlePeeker struct {
	rc     syscall.RawConn
	buf    [1]byte
	closed bool
	fn     func(fd uintptr) bool
}

// newIdlePeeker returns the peeker of a counted plain TCP connection (it
// peeks through the connection's raw I/O), or nil.
func newIdlePeeker(c *countedConn) *idlePeeker {
	if c.raw == nil {
		return nil
	}
	p := &idlePeeker{rc: c.raw.rc}
	p.fn = p.peek
	return p
}

func (p *idlePeeker) peek(fd uintptr) bool {
	// Raw, as rawIO's calls are (see there).
	n, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&p.buf[0])), 1,
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	switch {
	case errno == syscall.EAGAIN || errno == syscall.EINTR:
		p.closed = false // nothing to read: the connection is idle and open
	default:
		// An end of file (n == 0), bytes nobody asked for (n > 0) or an
		// error such as a reset: the connection cannot carry a request.
		_ = n
		p.closed = true
	}
	return true
}

// stale reports whether the idle connection can no longer carry a request.
// Its read deadline must not have passed.
func (p *idlePeeker) stale() bool {
	if p == nil {
		return false
	}
	if err := p.rc.Read(p.fn); err != nil {
		return true
	}
	return p.closed
}
