package cache

import (
	"sync"
	"sync/atomic"
	"time"
)

// Breaker states, as the l3_breaker_state statistic reports them.
const (
	breakerClosed   int32 = 0 // Redis is used
	breakerOpen     int32 = 1 // Redis is bypassed until the cool-down ends
	breakerHalfOpen int32 = 2 // one probe call is in flight; every other call bypasses Redis
)

// permit is the breaker's answer to a caller that wants to call Redis.
type permit uint8

const (
	permitBypass permit = iota // do not call Redis
	permitCall                 // call Redis (the breaker is closed)
	permitProbe                // call Redis as the one probe of a half-open breaker
)

// breaker is the Redis tier's circuit breaker.
//
// Closed, it lets every call through and counts consecutive failures; the
// failures-th opens it. Open, it bypasses Redis until cooldown has passed;
// then the first caller becomes the probe (half-open) while every other call
// still bypasses Redis. A successful probe closes the breaker, a failed one
// opens it for another cool-down, and a probe cut short by its caller's
// context leaves it open with the cool-down over, so that the next call
// probes.
//
// The hot path is one atomic load while closed (plus one on success) and a
// clock read while open. Only transitions into the open state take the
// mutex, so that the cool-down's end is written before the state.
type breaker struct {
	failures int64 // consecutive failures that open it; 0: never opens
	cooldown int64 // nanoseconds
	now      func() int64

	// state and fails are read by every call but written only on failures
	// and transitions, so while Redis is healthy their cache line stays
	// shared between the cores.
	state atomic.Int32
	fails atomic.Int64 // consecutive failures while closed
	// retryAt is when an open breaker lets a probe through, by now(). It is
	// written before the state becomes open.
	retryAt atomic.Int64
	opens   atomic.Int64 // transitions to open (trips and failed probes)
	closes  atomic.Int64 // transitions to closed (successful probes)
	mu      sync.Mutex   // serialises transitions into the open state
}

// newBreaker returns a closed breaker. now reads a clock in nanoseconds.
func newBreaker(c breakerConfig, now func() int64) *breaker {
	return &breaker{failures: int64(c.failures), cooldown: int64(c.cooldown), now: now}
}

// monotonicNow returns a clock in nanoseconds that wall-clock changes do not
// move.
func monotonicNow() func() int64 {
	start := time.Now()
	return func() int64 { return int64(time.Since(start)) }
}

// acquire tells the caller whether to call Redis. Every permitCall and
// permitProbe must be followed by exactly one of success, failure or abandon.
func (b *breaker) acquire() permit {
	switch b.state.Load() {
	case breakerClosed:
		return permitCall
	case breakerOpen:
		if b.now() >= b.retryAt.Load() && b.state.CompareAndSwap(breakerOpen, breakerHalfOpen) {
			return permitProbe
		}
	}
	return permitBypass
}

// success reports a call that Redis answered.
func (b *breaker) success(p permit) {
	switch p {
	case permitProbe:
		b.fails.Store(0)
		b.state.Store(breakerClosed)
		b.closes.Add(1)
	case permitCall:
		if b.fails.Load() != 0 {
			b.fails.Store(0)
		}
	}
}

// failure reports a call that failed or timed out.
func (b *breaker) failure(p permit) {
	switch p {
	case permitProbe:
		b.trip(breakerHalfOpen)
	case permitCall:
		if b.failures <= 0 || b.state.Load() != breakerClosed {
			return // disabled, or a late answer to a call made before the breaker opened
		}
		if b.fails.Add(1) >= b.failures {
			b.trip(breakerClosed)
		}
	}
}

// abandon reports a call cut short by its caller's context, which says
// nothing about Redis. An abandoned probe leaves the breaker open with its
// cool-down over, so that the next call probes.
func (b *breaker) abandon(p permit) {
	if p == permitProbe {
		b.state.Store(breakerOpen)
	}
}

// trip opens the breaker for a cool-down if it is in state from.
func (b *breaker) trip(from int32) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state.Load() != from {
		return // another failure opened it first
	}
	b.retryAt.Store(b.now() + b.cooldown)
	b.state.Store(breakerOpen)
	b.opens.Add(1)
}
