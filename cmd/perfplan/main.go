// Command perfplan runs declarative performance test plans written in HCL.
//
// See the README and docs/ for the plan language, the commands and the exit
// codes, or run `perfplan --help`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"
	"golang.org/x/term"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/targets/builtin"
)

// quietRedis drops go-redis's own log lines ("failed to dial ..."). The
// targets count every Redis failure in their statistics (redis_errors,
// backend_errors, fallbacks), which the result tables show; repeated log lines
// would only break up the progress display while a Redis server is down.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

func main() {
	// go-redis keeps its logger in a package variable, so it is set once here,
	// where the process is wired, and nowhere else.
	redis.SetLogger(quietRedis{})
	// The first interrupt stops the run gracefully (ctx); the second cuts
	// the operations in flight at once (abort).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	abort := make(chan struct{})
	go func() {
		<-ctx.Done()
		// Catch the second signal before the first handler goes, so that
		// it never reaches the default action (an exit without results).
		again, stopAgain := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stopAgain()
		stop()
		fmt.Fprintln(os.Stderr, "perfplan: interrupted: stopping gracefully, results will be written; interrupt again to stop at once")
		<-again.Done()
		fmt.Fprintln(os.Stderr, "perfplan: interrupted again: cutting the operations in flight")
		close(abort)
	}()
	code := cli.Main(ctx, cli.Env{
		Abort:     abort,
		Args:      os.Args[1:],
		Registry:  builtin.Registry(),
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Environ:   os.Environ(),
		StdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		StderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	})
	// No stop() here: it would cancel ctx and look like an interrupt.
	os.Exit(code)
}
