package nettest

import (
	"net"
	"strconv"
	"testing"
	"time"
)

func TestFreePort(t *testing.T) {
	t.Parallel()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if port <= 0 || port > 65535 {
		t.Fatalf("port %d", port)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("the free port cannot be listened on: %v", err)
	}
	l.Close()
}

// TestWait: a condition that comes to hold is waited for; one that never
// holds gives up (a zero limit, so the test does not depend on timing).
func TestWait(t *testing.T) {
	t.Parallel()
	calls := 0
	if !Wait(0, func() bool { calls++; return true }) || calls != 1 {
		t.Errorf("a condition that holds: %d calls", calls)
	}
	calls = 0
	if Wait(0, func() bool { calls++; return false }) {
		t.Error("a condition that never holds was reported to hold")
	}
	calls = 0
	// The limit here is a hang guard, not a measurement.
	if !Wait(time.Minute, func() bool { calls++; return calls == 3 }) || calls != 3 {
		t.Errorf("a condition that holds on the third call: %d calls", calls)
	}
}
