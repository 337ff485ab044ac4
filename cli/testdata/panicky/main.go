// Command panicky is perfplan built with one custom target, "panicky", that
// panics in the method its plan names: the CLI tests run it to check that a
// custom target's panic never crashes a run or loses its results.
//
// This is also how a team extends perfplan: a main package that registers
// its own target kinds beside the built-in ones and calls cli.Main.
package main

import (
	"context"
	"os"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/builtin"
)

func main() {
	reg := builtin.Registry()
	reg.MustRegister(targets.Kind{
		Name: "panicky",
		Doc:  "panics in the method named by panic_in",
		Schema: targets.Schema{Attrs: []targets.Attr{
			{Name: "panic_in", Type: targets.String, Required: true,
				OneOf: []string{"new", "open", "newworker", "do", "stats", "close"}, Doc: "the method that panics"},
		}},
		Ops:   []targets.OpSpec{{Name: "op"}},
		Stats: []string{"calls"},
		New: func(cfg targets.Config) (targets.Target, error) {
			if cfg.String("panic_in") == "new" {
				panic("new exploded")
			}
			return &target{in: cfg.String("panic_in")}, nil
		},
	})
	ctx, env, stop := cli.DefaultEnv(context.Background(), os.Args[1:], reg)
	code := cli.Main(ctx, env)
	stop()
	os.Exit(code)
}

type target struct {
	in    string
	calls int
}

func (t *target) Open(context.Context) error {
	if t.in == "open" {
		panic("open exploded")
	}
	return nil
}

func (t *target) Close() error {
	if t.in == "close" {
		panic("close exploded")
	}
	return nil
}

func (t *target) Stats() map[string]float64 {
	if t.in == "stats" {
		panic("stats exploded")
	}
	return map[string]float64{"calls": 0}
}

func (t *target) NewWorker(int) (targets.Worker, error) {
	if t.in == "newworker" {
		panic("newworker exploded")
	}
	return &worker{t: t}, nil
}

type worker struct {
	t     *target
	calls int
}

// Do panics on every tenth call when the plan says so.
func (w *worker) Do(context.Context, *targets.Request) error {
	w.calls++
	if w.t.in == "do" && w.calls%10 == 0 {
		panic("do exploded")
	}
	return nil
}
