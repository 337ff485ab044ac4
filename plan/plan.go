// Package plan holds a compiled perfplan plan as plain Go values: targets,
// workloads, scenarios with their executor parameters, and assertions. The dsl
// package produces it from HCL; the executor runs it. Nothing here imports HCL.
package plan

import (
	"time"

	"github.com/perfplan/perfplan/targets"
)

// Plan is one validated plan file.
type Plan struct {
	Name        string
	Description string
	Tags        []string
	// File is the path of the plan file, as given on the command line.
	File string
	// Hash is the SHA-256 of the plan file's bytes, hex-encoded.
	Hash string
	// Variables holds the resolved input variables, as JSON-compatible values.
	Variables map[string]any
	Targets   []*Target
	Workloads []*Workload
	Scenarios []*Scenario
}

// Target is a target block: a registered kind and its decoded configuration.
type Target struct {
	Kind   string
	Name   string
	Config targets.Config
	// Spec is the registered kind this target was checked against.
	Spec *targets.Kind
}

// ID returns the target's reference name, "KIND.NAME".
func (t *Target) ID() string { return t.Kind + "." + t.Name }

// Workload is a mix of operations over a key space against one target.
type Workload struct {
	Name   string
	Target *Target
	Ops    []Op
	Keys   KeySpace
	// ValueSize is the payload size in bytes passed with each request.
	ValueSize int
}

// Op is a weighted operation of a workload.
type Op struct {
	// Name is the operation's name, one of the target kind's Ops.
	Name string
	// Index is the operation's index in the target kind's Ops list, passed
	// to the target as targets.Request.Op.
	Index  int
	Weight float64
	// Arg is the operation's argument value (targets.OpSpec.Arg).
	Arg int64
}

// Key distributions.
const (
	DistUniform    = "uniform"
	DistZipf       = "zipf"
	DistSequential = "sequential"
	DistHotspot    = "hotspot"
)

// KeySpace describes how keys are drawn.
type KeySpace struct {
	// Count is the number of distinct keys; keys are 0..Count-1.
	Count uint64
	// Distribution is one of the Dist constants.
	Distribution string
	// ZipfS is the Zipf skew (s > 1), ZipfV its v parameter (>= 1).
	ZipfS, ZipfV float64
	// HotFraction is the share of keys that are hot (hotspot), HotRate the
	// share of accesses that go to them.
	HotFraction, HotRate float64
}

// Executor names, as k6 names them.
const (
	ConstantVUs         = "constant-vus"
	RampingVUs          = "ramping-vus"
	ConstantArrivalRate = "constant-arrival-rate"
	RampingArrivalRate  = "ramping-arrival-rate"
	PerVUIterations     = "per-vu-iterations"
	SharedIterations    = "shared-iterations"
	// Breakpoint raises the arrival rate until a stop condition holds,
	// then drops it to a recovery rate (see BreakpointSpec).
	Breakpoint = "breakpoint"
)

// Executors lists the executor names in documentation order.
var Executors = []string{ConstantVUs, RampingVUs, ConstantArrivalRate, RampingArrivalRate, PerVUIterations, SharedIterations, Breakpoint}

// OpenModel reports whether the executor drives an arrival rate (open model)
// rather than a number of workers (closed model).
func OpenModel(executor string) bool {
	return executor == ConstantArrivalRate || executor == RampingArrivalRate || executor == Breakpoint
}

// Scenario is one workload driven by one executor. Only the parameters that
// its executor uses are set; the loader has checked that the required ones
// are present and valid.
type Scenario struct {
	Name     string
	Workload *Workload
	Executor string

	// Closed models.
	VUs      int           // constant-vus, per-vu-iterations, shared-iterations
	StartVUs int           // ramping-vus
	Duration time.Duration // constant-vus, constant-arrival-rate
	// Iterations is per worker (per-vu-iterations) or in total
	// (shared-iterations).
	Iterations  int64
	MaxDuration time.Duration // per-vu-iterations, shared-iterations

	// Open models.
	Rate            float64       // constant-arrival-rate: iterations per TimeUnit
	StartRate       float64       // ramping-arrival-rate
	TimeUnit        time.Duration // default 1s
	PreAllocatedVUs int
	MaxVUs          int

	// Breakpoint holds the breakpoint executor's search; nil for the
	// other executors. It uses TimeUnit, PreAllocatedVUs and MaxVUs too.
	Breakpoint *BreakpointSpec

	// Stages drive ramping-vus (Target is a worker count) and
	// ramping-arrival-rate (Target is a rate per TimeUnit).
	Stages []Stage

	StartTime        time.Duration
	GracefulStop     time.Duration // default 30s
	GracefulRampDown time.Duration // ramping-vus; default 30s

	// Events are run-time changes applied to targets at offsets from the
	// scenario's start.
	Events  []Event
	Asserts []*Assertion

	// AllowOmitted lets latency assertions pass on figures that omitted
	// work makes untrustworthy: the lower bounds of an open model that
	// dropped iterations, or the raw (uncorrected) figures of a closed
	// model that stalled. The output marks such figures either way.
	AllowOmitted bool

	// LeakThreshold is the heap growth, in bytes per minute, above which a
	// significantly positive heap slope is flagged as a leak (heap.leak).
	// 0 means the default, 1 MiB per minute.
	LeakThreshold float64
}

// BreakpointSpec is the search of the breakpoint executor. The arrival rate
// starts at StartRate and rises by StepRate every StepDuration (in steps,
// or continuously when Ramp is set) up to MaxRate. Every Interval, StopWhen
// is evaluated over that interval's figures; once it has held for
// StopGrace, the search ends, the rate drops to RecoveryRate and the run
// waits up to RecoveryTimeout for the condition to clear for StopGrace.
// Rates are per the scenario's TimeUnit.
type BreakpointSpec struct {
	StartRate, StepRate, MaxRate float64
	StepDuration                 time.Duration
	Ramp                         bool
	StopWhen                     Condition
	// StopWhenExpr is StopWhen's source text, for reports.
	StopWhenExpr    string
	StopGrace       time.Duration
	Interval        time.Duration
	RecoveryRate    float64
	RecoveryTimeout time.Duration
}

// RateAt returns the search's arrival rate at offset t from the scenario's
// start: StartRate plus StepRate for every whole StepDuration (or pro rata
// with Ramp), capped at MaxRate.
func (b *BreakpointSpec) RateAt(t time.Duration) float64 {
	if t < 0 || b.StepDuration <= 0 {
		return b.StartRate
	}
	k := float64(t) / float64(b.StepDuration)
	if !b.Ramp {
		k = float64(int64(k))
	}
	return min(b.StartRate+k*b.StepRate, b.MaxRate)
}

// Steps returns the number of steps of the search: the step at index k
// runs at StartRate + k*StepRate, and the last one reaches MaxRate.
func (b *BreakpointSpec) Steps() int {
	if b.StepRate <= 0 || b.MaxRate <= b.StartRate {
		return 1
	}
	n := (b.MaxRate - b.StartRate) / b.StepRate
	k := int(n)
	if float64(k) < n-1e-9 {
		k++
	}
	return k + 1
}

// SearchDuration is the longest the search runs: every step, to MaxRate.
func (b *BreakpointSpec) SearchDuration() time.Duration {
	return time.Duration(b.Steps()) * b.StepDuration
}

// Stage is a linear ramp to Target over Duration.
type Stage struct {
	Duration time.Duration
	Target   float64
}

// Event applies a Controller action to a target at an offset from the
// scenario's start.
type Event struct {
	At     time.Duration
	Target *Target
	Action string
	Config targets.Config
}

// Assertion is a compiled assert block.
type Assertion struct {
	// Expr is the condition's source text, for reports.
	Expr         string
	ErrorMessage string
	AbortOnFail  bool
	AbortGrace   time.Duration
	Condition    Condition
	// Pos is where the assert block's condition is, "FILE:LINE:COL".
	Pos string
}

// Metrics resolves metric names, such as "latency.p99" or "target.hit_ratio",
// to values. ok is false for a metric that has no value (yet).
type Metrics interface {
	Metric(name string) (value float64, ok bool)
}

// Condition is a compiled assertion expression. dsl implements it; the
// executor evaluates it against a run's metrics without knowing HCL.
type Condition interface {
	// Refs lists the metric names that the expression reads, in the order
	// they first appear.
	Refs() []string
	// Eval evaluates the expression. It returns an error when a metric has
	// no value or the expression does not yield a bool.
	Eval(m Metrics) (bool, error)
	// Comparisons lists the condition's top-level comparisons of numbers
	// in source order: those that &&, || and ! (and parentheses) combine,
	// not those inside a conditional or a function's arguments.
	Comparisons() []Comparison
	// Logic returns how the condition's verdict combines its comparisons.
	Logic() Logic
}
