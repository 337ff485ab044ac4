//go:build linux

package http

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// TestIdlePeeker: an idle connection that the server closed is seen as
// stale before a request is sent on it; one the server keeps is not.
func TestIdlePeeker(t *testing.T) {
	t.Parallel()
	closeIt := make(chan struct{})
	url, _ := rawServer(t, func(c net.Conn, r *bufio.Reader) {
		<-closeIt
	})
	var tr connTracker
	dial := func() (*idlePeeker, net.Conn) {
		c, err := net.Dial("tcp", url[len("http://"):])
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		p := newIdlePeeker(tr.track(c, nil))
		if p == nil {
			t.Fatal("no peeker for a TCP connection")
		}
		return p, c
	}
	p, _ := dial()
	if p.stale() {
		t.Fatal("an open idle connection reads as stale")
	}
	close(closeIt)
	deadline := time.Now().Add(time.Minute)
	for !p.stale() {
		if time.Now().After(deadline) {
			t.Fatal("a connection the server closed never reads as stale")
		}
		time.Sleep(time.Millisecond)
	}
}
