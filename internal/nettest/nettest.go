// Package nettest holds what perfplan's tests that start servers on
// loopback share: a free port, and a wait for a condition to hold.
package nettest

import (
	"net"
	"testing"
	"time"
)

// FreePort returns a TCP port of 127.0.0.1 that was free a moment ago (the
// kernel picked it for a listener that is closed again).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Wait calls cond every millisecond until it holds or limit has passed
// since the call, and reports whether it held. The limit only turns a hang
// into a failure: callers must not read anything into the time it took.
func Wait(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// WaitFor is Wait that fails the test, naming what it waited for, when
// cond did not hold within limit.
func WaitFor(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	if !Wait(limit, cond) {
		t.Fatalf("timed out after %s waiting for %s", limit, what)
	}
}
