package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/redis/go-redis/v9"
	"golang.org/x/term"

	"github.com/perfplan/perfplan/targets"
)

// DefaultEnv wires a perfplan process the way cmd/perfplan does, so that a
// team's own binary, built around Main with its own registry, keeps every
// feature of perfplan's:
//
//   - Stdout, Stderr and Environ are the process's;
//   - StdoutTTY and StderrTTY come from golang.org/x/term, so progress bars
//     and colour are on at a terminal and off in CI logs;
//   - the first interrupt (SIGINT or SIGTERM) cancels the returned context,
//     which stops the run gracefully and writes its results; the second
//     closes Env.Abort, which cuts the operations in flight; a third one
//     ends the process at once (the signal's default action);
//   - go-redis's own log lines ("failed to dial ...") are dropped: the
//     targets count every Redis failure in their statistics, and the lines
//     would only break up the progress display while a server is down.
//
// DefaultEnv is meant for main: the signal handlers and go-redis's logger
// are process-wide. Call stop once Main has returned; it releases the
// signal handlers and cancels ctx without reporting an interrupt:
//
//	ctx, env, stop := cli.DefaultEnv(context.Background(), os.Args[1:], reg)
//	code := cli.Main(ctx, env)
//	stop()
//	os.Exit(code)
func DefaultEnv(parent context.Context, args []string, reg *targets.Registry) (ctx context.Context, env Env, stop func()) {
	// go-redis keeps its logger in a package variable, so it is set here,
	// where the process is wired, and nowhere else.
	redis.SetLogger(quietRedis{})
	env = Env{
		Args:      args,
		Registry:  reg,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Environ:   os.Environ(),
		StdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		StderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
	if env.StdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			env.StdoutWidth = w
		}
	}
	// One registration catches both interrupts, so the second can never
	// reach the default action (an exit without results) in between.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, env.Abort, stop = watchInterrupts(parent, sigs, func() { signal.Stop(sigs) }, os.Stderr)
	return ctx, env, stop
}

// quietRedis is a go-redis logger that drops every line.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// watchInterrupts turns the signals that arrive on sigs into a run's two
// stops, each said on stderr: the first cancels ctx (a graceful stop), the
// second closes abort (operations in flight are cut) and calls release, so
// that a third signal has its default action. stop ends the watch: it calls
// release and cancels ctx, without a message.
func watchInterrupts(parent context.Context, sigs <-chan os.Signal, release func(), stderr io.Writer) (ctx context.Context, abort <-chan struct{}, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	abortCh := make(chan struct{})
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "perfplan: interrupted: stopping gracefully, results will be written; interrupt again to stop at once")
		cancel()
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "perfplan: interrupted again: cutting the operations in flight")
		release()
		close(abortCh)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			release()
			close(done)
			cancel()
		})
	}
	return ctx, abortCh, stop
}
