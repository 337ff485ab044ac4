package executor

import (
	"context"
	"runtime/pprof"

	"github.com/perfplan/perfplan/targets"
)

// Profiler is told when each scenario's load starts and ends (perfplan run
// --profile; package profiling implements it). With a Profiler set, every
// goroutine of a scenario carries the pprof labels scenario=NAME and
// perfplan=runner, and a worker carries perfplan=target while it is inside
// the target's Do, so that one CPU profile of the whole process can be split
// per scenario, and the runner's own work told from the target's.
type Profiler interface {
	// ScenarioStart is called on the scenario's goroutine before its first
	// worker is made; t is the scenario's target.
	ScenarioStart(name string, t targets.Target)
	// ScenarioEnd is called once every worker of the scenario has
	// stopped.
	ScenarioEnd(name string)
}

// Label values of the "perfplan" pprof label.
const (
	LabelRunner = "runner"
	LabelTarget = "target"
)

// profileLabels labels the calling goroutine (the scenario's, whose
// workers, collector and events inherit its labels) for a profiled run, and
// keeps the label sets its workers switch between.
func (s *scenarioRun) profileLabels() {
	if s.opts.Profiler == nil {
		return
	}
	base := context.Background()
	s.runnerLabels = pprof.WithLabels(base, pprof.Labels("scenario", s.sc.Name, "perfplan", LabelRunner))
	s.targetLabels = pprof.WithLabels(base, pprof.Labels("scenario", s.sc.Name, "perfplan", LabelTarget))
	pprof.SetGoroutineLabels(s.runnerLabels)
}

// profiledWorker wraps tw, in a profiled run, so that its Do runs labelled
// perfplan=target.
func (s *scenarioRun) profiledWorker(tw targets.Worker) targets.Worker {
	if s.targetLabels == nil {
		return tw
	}
	return &labelledWorker{tw: tw, target: s.targetLabels, runner: s.runnerLabels}
}

// labelledWorker switches the goroutine's pprof labels around Do: two
// stores of a pointer in the runtime and a context lookup each, on the hot
// path of profiled runs only. A panic in Do leaves the target's label on the
// worker until its next operation.
type labelledWorker struct {
	tw             targets.Worker
	target, runner context.Context
}

// Do implements targets.Worker.
func (l *labelledWorker) Do(ctx context.Context, req *targets.Request) error {
	pprof.SetGoroutineLabels(l.target)
	err := l.tw.Do(ctx, req)
	pprof.SetGoroutineLabels(l.runner)
	return err
}
