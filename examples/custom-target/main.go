// Command custom-target is perfplan with one more target kind, slowdb (see
// package slowdb), registered beside the built-in ones: the way a team
// builds its own perfplan around its own systems, as xk6 extends k6.
//
// Build and run it from the repository root:
//
//	go build -o perfplan-slowdb ./examples/custom-target
//	./perfplan-slowdb targets
//	./perfplan-slowdb run examples/custom-target/slowdb.hcl
//
// cli.DefaultEnv wires the binary as cmd/perfplan is wired: interrupts
// (the first stops gracefully, the second cuts the operations in flight),
// progress bars and colour on a terminal, and quiet go-redis logs.
package main

import (
	"context"
	"os"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/examples/custom-target/slowdb"
	"github.com/perfplan/perfplan/targets/builtin"
)

func main() {
	reg := builtin.Registry()
	reg.MustRegister(slowdb.Kind())
	ctx, env, stop := cli.DefaultEnv(context.Background(), os.Args[1:], reg)
	code := cli.Main(ctx, env)
	stop()
	os.Exit(code)
}
