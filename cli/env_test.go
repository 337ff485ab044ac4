package cli

import (
	"context"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/perfplan/perfplan/targets"
)

// lockedBuffer is a strings.Builder safe for the watcher's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestWatchInterrupts: the first signal cancels ctx, the second closes
// abort and releases the handlers, each said once on stderr.
func TestWatchInterrupts(t *testing.T) {
	t.Parallel()
	sigs := make(chan os.Signal, 2)
	var released atomic.Int32
	var stderr lockedBuffer
	ctx, abort, stop := watchInterrupts(context.Background(), sigs, func() { released.Add(1) }, &stderr)
	defer stop()
	sigs <- os.Interrupt
	<-ctx.Done()
	select {
	case <-abort:
		t.Fatal("abort closed on the first interrupt")
	default:
	}
	if got := stderr.String(); !strings.Contains(got, "stopping gracefully") || strings.Contains(got, "interrupted again") {
		t.Errorf("after the first interrupt stderr says %q", got)
	}
	sigs <- os.Interrupt
	<-abort
	if got := stderr.String(); !strings.Contains(got, "interrupted again: cutting the operations in flight") {
		t.Errorf("after the second interrupt stderr says %q", got)
	}
	if released.Load() != 1 {
		t.Errorf("handlers released %d times after the second interrupt, want 1", released.Load())
	}
}

// TestWatchInterruptsStop: stop cancels ctx quietly and never closes abort.
func TestWatchInterruptsStop(t *testing.T) {
	t.Parallel()
	sigs := make(chan os.Signal, 2)
	var released atomic.Int32
	var stderr lockedBuffer
	ctx, abort, stop := watchInterrupts(context.Background(), sigs, func() { released.Add(1) }, &stderr)
	stop()
	stop()
	<-ctx.Done()
	select {
	case <-abort:
		t.Error("abort closed by stop")
	default:
	}
	if stderr.String() != "" || released.Load() != 1 {
		t.Errorf("stop: stderr %q, released %d times; want nothing said, released once", stderr.String(), released.Load())
	}
}

// TestDefaultEnv: the process's streams and environment, the arguments and
// registry given, and an Abort channel; stop cancels the context.
func TestDefaultEnv(t *testing.T) {
	t.Parallel()
	reg := targets.NewRegistry()
	ctx, env, stop := DefaultEnv(context.Background(), []string{"version"}, reg)
	if env.Stdout != os.Stdout || env.Stderr != os.Stderr || env.Registry != reg || len(env.Args) != 1 || env.Abort == nil {
		t.Errorf("env %+v", env)
	}
	if len(env.Environ) != len(os.Environ()) {
		t.Errorf("Environ has %d entries, the process %d", len(env.Environ), len(os.Environ()))
	}
	if ctx.Err() != nil {
		t.Fatal("ctx cancelled before stop")
	}
	stop()
	<-ctx.Done()
}
