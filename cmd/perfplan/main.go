// Command perfplan runs declarative performance test plans written in HCL.
//
// See the README for the plan language, the commands and the exit codes, or
// run `perfplan --help`.
package main

import (
	"context"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.Env{
		Args:      os.Args[1:],
		Registry:  builtin.Registry(),
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Environ:   os.Environ(),
		StdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		StderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	})
	stop()
	os.Exit(code)
}
