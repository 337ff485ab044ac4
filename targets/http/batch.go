package http

import (
	"net"
	"runtime"
	"sync"
)

// maxBatch bounds the bytes a batchConn holds unwritten: a writer that
// would pass it waits for the batch in flight to be written.
const maxBatch = 256 << 10

// batchConn gathers the writes made on an HTTP/2 connection and writes
// them from one goroutine, several at a time. net/http's HTTP/2 client
// writes and flushes each request's frames under the connection's write
// lock, one system call per request; with many streams in flight that call
// (on loopback it also runs the peer's receive path) is the client's
// largest cost. A Write here appends to a buffer and returns; a flusher
// goroutine, started when none is running, writes what has gathered while
// its previous write was in the kernel, after letting the goroutines ready
// to run write theirs. An idle connection's write goes out at once (no
// timer, no added delay); a busy one's go out together, as h2load's do. A write error is kept and returned by every later Write.
type batchConn struct {
	net.Conn

	mu      sync.Mutex
	drained sync.Cond // signalled when the flusher takes or ends a batch
	pending []byte    // written by callers, not yet taken by the flusher
	spare   []byte    // the flusher's previous batch, reused
	running bool      // a flusher goroutine is running
	err     error     // the first write error
	// flushFn is b.flush, made once: a go statement on a method value
	// would allocate its closure each time.
	flushFn func()
}

func newBatchConn(c net.Conn) *batchConn {
	b := &batchConn{Conn: c}
	b.drained.L = &b.mu
	b.flushFn = b.flush
	return b
}

// Write queues p to be written and returns, or returns the connection's
// write error.
func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.err == nil && b.running && len(b.pending) > 0 && len(b.pending)+len(p) > maxBatch {
		b.drained.Wait()
	}
	if b.err != nil {
		return 0, b.err
	}
	b.pending = append(b.pending, p...)
	if !b.running {
		b.running = true
		go b.flushFn()
	}
	return len(p), nil
}

// flush writes the gathered batches until none is left.
func (b *batchConn) flush() {
	// Let the goroutines that are ready to run (the workers whose
	// responses the connection's reader has just handed over) write their
	// next requests first, so that they go out together: four or so
	// requests a system call at 32 streams, against 1.4 without this.
	runtime.Gosched()
	b.mu.Lock()
	for len(b.pending) > 0 && b.err == nil {
		batch := b.pending
		b.pending = b.spare[:0]
		b.drained.Broadcast()
		b.mu.Unlock()
		_, err := b.Conn.Write(batch)
		b.mu.Lock()
		b.spare = batch
		if err != nil {
			b.err = err
		}
	}
	b.running = false
	b.pending = b.pending[:0]
	b.drained.Broadcast()
	b.mu.Unlock()
}
