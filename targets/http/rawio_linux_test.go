//go:build linux

package http

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// connPair returns a client connection to a loopback listener and the
// server's end of it.
func connPair(t *testing.T) (client *net.TCPConn, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(); _ = s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// ioOf returns the connection's Read and Write: the net.Conn's own, or
// rawIO's.
func ioOf(t *testing.T, c *net.TCPConn, raw bool) io.ReadWriter {
	if !raw {
		return c
	}
	r := newRawIO(c)
	if r == nil {
		t.Fatal("no raw I/O for a TCP connection")
	}
	return r
}

// errShape is what callers look at in an I/O error.
type errShape struct {
	eof, timeout, closed, reset bool
	op                          string
}

func shapeOf(err error) errShape {
	var s errShape
	s.eof = err == io.EOF
	if ne, ok := errors.AsType[net.Error](err); ok {
		s.timeout = ne.Timeout()
	}
	s.closed = errors.Is(err, net.ErrClosed)
	s.reset = errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
	if oe, ok := errors.AsType[*net.OpError](err); ok {
		s.op = oe.Op
	}
	return s
}

// TestRawIOIsNetConn: rawIO reads and writes as the net.Conn does, bytes
// and errors alike (end of stream, a deadline, a closed connection, a
// reset, a write larger than the socket's buffers to a slow reader), so
// that the clients' error classification sees no difference.
func TestRawIOIsNetConn(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// run does one exchange and returns the bytes read and the
		// error that ended it.
		run  func(t *testing.T, rw io.ReadWriter, c, s *net.TCPConn) ([]byte, error)
		want errShape
	}{
		{"data then end of stream", func(t *testing.T, rw io.ReadWriter, c, s *net.TCPConn) ([]byte, error) {
			_, _ = s.Write([]byte("hello"))
			_ = s.Close()
			var got []byte
			buf := make([]byte, 2)
			for {
				n, err := rw.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					return got, err
				}
			}
		}, errShape{eof: true}},
		{"read deadline", func(t *testing.T, rw io.ReadWriter, c, s *net.TCPConn) ([]byte, error) {
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			_, err := rw.Read(make([]byte, 8))
			return nil, err
		}, errShape{timeout: true, op: "read"}},
		{"closed while reading", func(t *testing.T, rw io.ReadWriter, c, s *net.TCPConn) ([]byte, error) {
			go func() { time.Sleep(20 * time.Millisecond); _ = c.Close() }()
			_, err := rw.Read(make([]byte, 8))
			return nil, err
		}, errShape{closed: true, op: "read"}},
		{"reset by the peer", func(t *testing.T, rw io.ReadWriter, c, s *net.TCPConn) ([]byte, error) {
			_ = s.SetLinger(0)
			_ = s.Close()
			time.Sleep(20 * time.Millisecond)
			_, err := rw.Read(make([]byte, 8))
			return nil, err
		}, errShape{reset: true, op: "read"}},
		{"write after a reset", func(t *testing.T, rw io.ReadWriter, c, s *net.TCPConn) ([]byte, error) {
			_ = s.SetLinger(0)
			_ = s.Close()
			time.Sleep(20 * time.Millisecond)
			var err error
			for range 10 {
				if _, err = rw.Write([]byte("x")); err != nil {
					break
				}
			}
			return nil, err
		}, errShape{reset: true, op: "write"}},
		{"large write to a slow reader", func(t *testing.T, rw io.ReadWriter, c, s *net.TCPConn) ([]byte, error) {
			big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
			got := make(chan []byte)
			go func() {
				var b bytes.Buffer
				buf := make([]byte, 64<<10)
				for {
					time.Sleep(time.Millisecond)
					n, err := s.Read(buf)
					b.Write(buf[:n])
					if err != nil {
						got <- b.Bytes()
						return
					}
				}
			}()
			n, err := rw.Write(big)
			if err != nil || n != len(big) {
				t.Errorf("wrote %d of %d: %v", n, len(big), err)
			}
			_ = c.CloseWrite()
			if b := <-got; !bytes.Equal(b, big) {
				t.Errorf("the reader got %d bytes, not the %d written", len(b), len(big))
			}
			return nil, io.EOF
		}, errShape{eof: true}},
	}
	for _, tc := range cases {
		for _, raw := range []bool{false, true} {
			name := tc.name + "/net.Conn"
			if raw {
				name = tc.name + "/raw"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				c, s := connPair(t)
				got, err := tc.run(t, ioOf(t, c, raw), c, s)
				if sh := shapeOf(err); sh != tc.want {
					t.Errorf("error %v (%T) is %+v, want %+v", err, err, sh, tc.want)
				}
				if tc.name == "data then end of stream" && string(got) != "hello" {
					t.Errorf("read %q, want %q", got, "hello")
				}
			})
		}
	}
}

// TestRawIOErrorText: a raw read's error reads as the net.Conn's own.
func TestRawIOErrorText(t *testing.T) {
	t.Parallel()
	c, _ := connPair(t)
	_ = c.SetReadDeadline(time.Now().Add(-time.Second))
	_, want := c.Read(make([]byte, 1))
	_, got := newRawIO(c).Read(make([]byte, 1))
	if got == nil || want == nil || got.Error() != want.Error() {
		t.Fatalf("raw read error %q, net.Conn's %q", got, want)
	}
	if !errors.Is(got, os.ErrDeadlineExceeded) {
		t.Fatalf("raw read error %v is not a deadline", got)
	}
}

// TestRawIONoAllocs: a raw read and write allocate nothing.
func TestRawIONoAllocs(t *testing.T) {
	c, s := connPair(t)
	r := newRawIO(c)
	buf := make([]byte, 64)
	msg := []byte("ping")
	n := testing.AllocsPerRun(100, func() {
		if _, err := r.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(s, buf[:len(msg)]); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(r, buf[:len(msg)]); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations a raw write and read", n)
	}
}
