// Package noop provides the noop calibration target: every operation returns
// at once. It measures the runner's own overhead.
package noop

import (
	"context"
	"sync/atomic"

	"github.com/perfplan/perfplan/targets"
)

// Kind is the noop target kind. Its operations are "op", "get" and "set";
// all of them do nothing.
func Kind() targets.Kind {
	return targets.Kind{
		Name: "noop",
		Doc:  "returns at once; measures the runner's own overhead",
		Ops: []targets.OpSpec{
			{Name: "op", Doc: "do nothing"},
			{Name: "get", Doc: "do nothing"},
			{Name: "set", Doc: "do nothing"},
		},
		Stats: []string{"workers"},
		New:   func(targets.Config) (targets.Target, error) { return &target{}, nil },
	}
}

type target struct{ workers atomic.Int64 }

func (t *target) Open(context.Context) error { return nil }
func (t *target) Close() error               { return nil }

func (t *target) NewWorker(int) (targets.Worker, error) {
	t.workers.Add(1)
	return worker{}, nil
}

func (t *target) Stats() map[string]float64 {
	return map[string]float64{"workers": float64(t.workers.Load())}
}

type worker struct{}

func (worker) Do(context.Context, *targets.Request) error { return nil }
