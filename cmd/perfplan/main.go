// Command perfplan runs declarative performance test plans written in HCL.
//
// See the README and docs/ for the plan language, the commands and the exit
// codes, or run `perfplan --help`.
package main

import (
	"context"
	"os"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/targets/builtin"
)

func main() {
	// DefaultEnv handles the signals (the first interrupt stops the run
	// gracefully, the second cuts the operations in flight), detects the
	// terminal and quiets go-redis's logger.
	ctx, env, stop := cli.DefaultEnv(context.Background(), os.Args[1:], builtin.Registry())
	code := cli.Main(ctx, env)
	stop()
	os.Exit(code)
}
