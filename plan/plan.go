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
	// Profile asks for CPU and allocation profiles of every scenario, as
	// perfplan run --profile does (the plan block's profile attribute).
	Profile bool
	// File is the path of the plan file, as given on the command line.
	File string
	// Hash is the SHA-256 of the plan file's bytes, hex-encoded.
	Hash string
	// Variables holds the resolved input variables, as JSON-compatible values;
	// a variable declared sensitive holds "(sensitive)".
	Variables map[string]any
	// Sensitive lists the texts of sensitive variables' values and of the
	// values computed from them, longest first: outputs are scrubbed of them
	// (dsl.Redact).
	Sensitive []string
	// Segment is the share of the plan's load that this run drives
	// (perfplan run --segment); the zero value is the whole plan.
	Segment   Segment
	Targets   []*Target
	Workloads []*Workload
	Scenarios []*Scenario
	// Asserts are the plan-level assert blocks, which read other
	// scenarios' figures (scenario.NAME.X, duet.NAME.X); they are
	// evaluated once every scenario has finished.
	Asserts []*Assertion
	// Duets are the duet blocks (see Duet).
	Duets []*Duet
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

// ExecutorConfig is a scenario's validated executor configuration. Package
// executor defines one configuration type per executor and validates it;
// dsl makes it from the scenario block's parameters.
type ExecutorConfig interface {
	// Kind is the executor's name, such as "constant-vus".
	Kind() string
	// Open reports whether the executor drives an arrival rate (an open
	// model) rather than a number of workers (a closed model).
	Open() bool
	// Metrics lists the metric names that the executor's results add, such
	// as the breakpoint search's breaking_point.
	Metrics() []string
	// Longest is the longest the executor may run: its planned length, or
	// its max_duration.
	Longest() time.Duration
	// Scaled returns a copy with every duration multiplied by f.
	Scaled(f float64) ExecutorConfig
}

// Scenario is one workload driven by one executor, whose validated
// configuration is Config.
type Scenario struct {
	Name     string
	Workload *Workload

	// Config is the executor's validated configuration.
	Config ExecutorConfig

	StartTime    time.Duration
	GracefulStop time.Duration // default 30s

	// Events are run-time changes applied to targets at offsets from the
	// scenario's start.
	Events  []Event
	Asserts []*Assertion

	// AllowOmitted lets latency assertions pass on figures that omitted
	// work makes untrustworthy: the lower bounds of an open model that
	// dropped iterations, or the raw (uncorrected) figures of a closed
	// model that stalled. The output marks such figures either way.
	AllowOmitted bool

	// Sweep is set for an instance of a scenario block with for_each: the
	// block's name, the instance's key and the text of its each.value
	// (the swept value, followed through references to the target's).
	Sweep *Sweep

	// LeakThreshold is the heap growth, in bytes per minute, above which a
	// significantly positive heap slope is flagged as a leak (heap.leak).
	// 0 means the default, 1 MiB per minute.
	LeakThreshold float64
}

// ExecutorName returns the name of the scenario's executor.
func (s *Scenario) ExecutorName() string {
	if s.Config == nil {
		return ""
	}
	return s.Config.Kind()
}

// Open reports whether the scenario's executor is an open model.
func (s *Scenario) Open() bool { return s.Config != nil && s.Config.Open() }

// ExecutorMetrics returns the metric names that the scenario's executor
// adds.
func (s *Scenario) ExecutorMetrics() []string {
	if s.Config == nil {
		return nil
	}
	return s.Config.Metrics()
}

// Stage is a linear ramp to Target over Duration.
type Stage struct {
	// Name, when set, lets assertions read the stage's figures as
	// stage.NAME.METRIC.
	Name     string
	Duration time.Duration
	Target   float64
}

// Sweep identifies one instance of a scenario declared with for_each.
type Sweep struct {
	Name  string `json:"name"`
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Staged is an ExecutorConfig with stages (the ramping executors), whose
// figures are also reported per stage.
type Staged interface {
	StagePlan() []Stage
}

// Stages returns the scenario's stages, or nil when its executor has none.
func (s *Scenario) Stages() []Stage {
	if st, ok := s.Config.(Staged); ok {
		return st.StagePlan()
	}
	return nil
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
