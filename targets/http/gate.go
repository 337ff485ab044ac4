package http

import (
	"context"
	"errors"
	"sync"
)

// errGateClosed fails the dials still waiting when the target closes.
var errGateClosed = errors.New("the target is closed")

// dialGate bounds the connections of the net/http client by the target's
// workers (and max_connections). net/http dials a new connection whenever
// a request finds none idle, and keeps it when an older one comes free
// first; the worker whose response was just read often asks again before
// its connection is back in the pool, so 32 workers used to open 31 to 72
// connections. A dial past the bound waits here until a connection closes
// or a worker is added; the request that caused it is served meanwhile by
// the connection that comes free (it waits for either), and a dial nobody
// needs any more is released, with an error that no request sees, when
// the target closes.
type dialGate struct {
	mu      sync.Mutex
	open    int // connections open, or being dialled past the gate
	workers int
	cap     int           // max_connections, or 0
	changed chan struct{} // closed and replaced when open or the bound changes
	closed  bool
}

func newDialGate(maxConns int) *dialGate {
	return &dialGate{cap: maxConns, changed: make(chan struct{})}
}

// limit is the bound: one connection per worker (one before any worker,
// for the probe), at most max_connections.
func (g *dialGate) limit() int {
	n := max(g.workers, 1)
	if g.cap > 0 {
		n = min(n, g.cap)
	}
	return n
}

// enter waits until a connection may be made and counts it; the caller
// calls leave when it closes, or when the dial fails.
func (g *dialGate) enter(ctx context.Context) error {
	for {
		g.mu.Lock()
		if g.closed {
			g.mu.Unlock()
			return errGateClosed
		}
		if g.open < g.limit() {
			g.open++
			g.mu.Unlock()
			return nil
		}
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// tryEnter counts a connection and returns true when one may be made
// now, or returns false without waiting.
func (g *dialGate) tryEnter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.open >= g.limit() {
		return false
	}
	g.open++
	return true
}

// leave uncounts a connection that closed or was not made.
func (g *dialGate) leave() {
	g.mu.Lock()
	g.open--
	g.notifyLocked()
	g.mu.Unlock()
}

// addWorker raises the bound by one.
func (g *dialGate) addWorker() {
	g.mu.Lock()
	g.workers++
	g.notifyLocked()
	g.mu.Unlock()
}

// close releases the waiting dials.
func (g *dialGate) close() {
	g.mu.Lock()
	g.closed = true
	g.notifyLocked()
	g.mu.Unlock()
}

func (g *dialGate) notifyLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}
