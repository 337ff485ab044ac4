//go:build !linux

package http

import "net"

// rawIO is the raw socket I/O of Linux (rawio_linux.go); elsewhere a
// connection reads and writes through its net.Conn.
type rawIO struct{ net.Conn }

func newRawIO(net.Conn) *rawIO { return nil }
