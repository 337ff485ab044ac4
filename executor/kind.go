package executor

import (
	"fmt"
	"strings"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// Kind is an executor as a plan names it: its parameters, and the function
// that validates the values a scenario gives them and returns the
// executor's configuration. Each executor's file declares its Kind, its
// Config type and its run logic; Kinds lists them.
//
// Adding an executor that drives the workers worker.go already has (a
// closed loop, a count of iterations, or arrivals paced as schedule.go
// paces them) touches two Go files: its own (Kind, Config with its
// Segment, run logic) and one line in Kinds; the plan language, validation
// and the reports pick it up from its Kind. Its section in
// docs/executors.md is a third file. An executor that needs a new way of
// driving workers adds it to worker.go (and the collector in scenario.go
// when it counts differently); one whose results are new metrics (Metrics,
// as breakpoint's search) adds their fields to ScenarioResult
// (result.go), resolves them in metric.go, and prints and stores them in
// package report: five files and more.
type Kind struct {
	// Name is the executor's name in plans, as k6 names it.
	Name string
	// Doc is a one-line description.
	Doc string
	// Open is set for open models (an arrival rate); closed models run a
	// number of workers.
	Open bool
	// Params lists the executor's parameters in documentation order.
	Params []Param
	// Metrics lists the metric names that its results add (the breakpoint
	// search's).
	Metrics []string
	// Config validates p and returns the configuration. Its error joins
	// *ParamError values, one per problem.
	Config func(p Params) (Config, error)
}

// Config is a validated executor configuration: a plan.ExecutorConfig that
// the executor can run.
type Config interface {
	plan.ExecutorConfig
	// Segment returns the configuration of segment seg of the scenario's
	// load (see SegmentPlan), or an error when the executor cannot be
	// split.
	Segment(seg plan.Segment) (plan.ExecutorConfig, error)
	// run returns the executor that drives one run of the scenario.
	run() executor
}

// Kinds returns the executors in documentation order.
func Kinds() []Kind {
	return []Kind{
		constantVUsKind(),
		rampingVUsKind(),
		constantArrivalRateKind(),
		rampingArrivalRateKind(),
		perVUIterationsKind(),
		sharedIterationsKind(),
		breakpointKind(),
	}
}

// LookupKind returns the executor named name.
func LookupKind(name string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// IsOpen reports whether the executor named name is an open model.
func IsOpen(name string) bool {
	k, ok := LookupKind(name)
	return ok && k.Open
}

// Param returns k's parameter name.
func (k Kind) Param(name string) (Param, bool) {
	for _, p := range k.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// ParamType is how a parameter is written in a scenario block.
type ParamType int

// Parameter types.
const (
	// ParamInt is a whole number.
	ParamInt ParamType = iota
	// ParamNumber is any number.
	ParamNumber
	// ParamDuration is a duration string such as "10s".
	ParamDuration
	// ParamBool is true or false.
	ParamBool
	// ParamStages is a list of stage { duration, target } blocks; its
	// value is a []plan.Stage.
	ParamStages
	// ParamCondition is an expression over the scenario's metrics, such
	// as stop_when; its value is a CondParam.
	ParamCondition
)

// Param describes one executor parameter.
type Param struct {
	Name     string
	Type     ParamType
	Required bool
	// WholeTargets is set for stages whose targets are numbers of workers.
	WholeTargets bool
	Doc          string
}

// CondParam is the value of a ParamCondition parameter.
type CondParam struct {
	Cond plan.Condition
	// Expr is the condition's source text.
	Expr string
}

// Params are the values that a scenario gives its executor's parameters,
// by name: int64, float64, time.Duration, bool, []plan.Stage or CondParam
// as the parameter's type says, or Invalid. A parameter the scenario does
// not set is absent.
type Params map[string]any

// Invalid is the value of a parameter that the scenario sets to something
// that could not be decoded (the decoder has reported it): the parameter
// counts as given, so it is not also reported missing, but its value is
// the default.
var Invalid = invalidParam{}

type invalidParam struct{}

// Has reports whether the scenario sets name to a valid value.
func (p Params) Has(name string) bool {
	v, ok := p[name]
	return ok && v != Invalid
}

// given reports whether the scenario sets name at all.
func (p Params) given(name string) bool {
	_, ok := p[name]
	return ok
}

func (p Params) intOr(name string, def int64) int64 {
	if v, ok := p[name].(int64); ok {
		return v
	}
	return def
}

func (p Params) numOr(name string, def float64) float64 {
	if v, ok := p[name].(float64); ok {
		return v
	}
	return def
}

func (p Params) durOr(name string, def time.Duration) time.Duration {
	if v, ok := p[name].(time.Duration); ok {
		return v
	}
	return def
}

func (p Params) boolOr(name string, def bool) bool {
	if v, ok := p[name].(bool); ok {
		return v
	}
	return def
}

func (p Params) stages(name string) []plan.Stage {
	v, _ := p[name].([]plan.Stage)
	return v
}

func (p Params) cond(name string) CondParam {
	v, _ := p[name].(CondParam)
	return v
}

// ParamError is a problem with a scenario's executor parameters. Param names
// the parameter at fault ("stage" for the stage blocks), or is empty when
// the problem is the scenario block's (a required parameter missing).
type ParamError struct {
	Param string
	// Index is, for a list parameter (the stage blocks), the element at
	// fault, counted from 1; 0 means the parameter as a whole.
	Index int
	// Summary is a short title ("Value out of range"), Detail the sentence
	// that explains it.
	Summary, Detail string
}

// Error implements error.
func (e *ParamError) Error() string {
	if e.Param == "" {
		return e.Summary + ": " + e.Detail
	}
	return e.Param + ": " + e.Summary + ": " + e.Detail
}

// Shared defaults, as in k6.
const (
	defaultTimeUnit         = time.Second
	defaultMaxDuration      = 10 * time.Minute
	defaultGracefulRampDown = 30 * time.Second
	// maxWorkers bounds any number of workers.
	maxWorkers = 1 << 24
)

// checker collects the ParamErrors of one Config call.
type checker struct {
	kind string
	p    Params
	errs []error
}

func newChecker(kind string, p Params) *checker { return &checker{kind: kind, p: p} }

// fail records a problem with param (empty: the scenario block).
func (c *checker) fail(param, summary, format string, args ...any) {
	c.errs = append(c.errs, &ParamError{Param: param, Summary: summary, Detail: fmt.Sprintf(format, args...)})
}

func (c *checker) outOfRange(param, format string, args ...any) {
	c.fail(param, "Value out of range", format, args...)
}

// require checks that every required parameter of k is set.
func (c *checker) require(k Kind) {
	for _, p := range k.Params {
		if !p.Required || c.p.given(p.Name) {
			continue
		}
		if p.Type == ParamStages {
			c.fail("", "Missing executor parameter", "The executor %q requires at least one stage block.", c.kind)
			continue
		}
		c.fail("", "Missing executor parameter", "The executor %q requires %q.", c.kind, p.Name)
	}
}

// workers returns the whole number name (a number of workers) in [lo,
// maxWorkers], or def when absent.
func (c *checker) workers(name string, lo, def int64) int {
	v := c.p.intOr(name, def)
	if c.p.Has(name) && (v < lo || v > maxWorkers) {
		c.outOfRange(name, "%s must be between %d and %d.", name, lo, maxWorkers)
		return int(def)
	}
	return int(v)
}

// positiveDur returns the duration name, which must be longer than zero.
func (c *checker) positiveDur(name string, def time.Duration) time.Duration {
	d := c.p.durOr(name, def)
	if c.p.Has(name) && d <= 0 {
		c.outOfRange(name, "%s must be longer than zero.", name)
		return def
	}
	return d
}

// nonNegativeDur returns the duration name, which must not be negative.
func (c *checker) nonNegativeDur(name string, def time.Duration) time.Duration {
	d := c.p.durOr(name, def)
	if c.p.Has(name) && d < 0 {
		c.outOfRange(name, "%s must not be negative.", name)
		return def
	}
	return d
}

// stageList returns the stages, checked: their total length must be
// positive and fit a duration.
func (c *checker) stageList(name string) []plan.Stage {
	st := c.p.stages(name)
	var total time.Duration
	ok := true
	for i, s := range st {
		if total+s.Duration < total {
			c.errs = append(c.errs, &ParamError{Param: name, Index: i + 1, Summary: "Value out of range",
				Detail: fmt.Sprintf("The stages up to this one last longer than %s in total.", time.Duration(1<<63-1))})
			ok = false
			continue
		}
		total += s.Duration
	}
	if ok && len(st) > 0 && total <= 0 {
		c.fail("", "Invalid stages", "The stages last zero time in total.")
	}
	return st
}

// openWorkers returns pre_allocated_vus and max_vus of an open model:
// max_vus defaults to pre_allocated_vus and must not be below it.
func (c *checker) openWorkers() (pre, maxVUs int) {
	pre = c.workers("pre_allocated_vus", 0, 0)
	maxVUs = c.workers("max_vus", 1, 0)
	switch {
	case !c.p.Has("max_vus"):
		maxVUs = pre
		if c.p.Has("pre_allocated_vus") && pre == 0 {
			c.outOfRange("pre_allocated_vus", "With pre_allocated_vus = 0, set max_vus to at least 1 so that some worker can run.")
		}
	case c.p.Has("pre_allocated_vus") && maxVUs < pre:
		c.outOfRange("max_vus", "max_vus (%d) must be at least pre_allocated_vus (%d).", maxVUs, pre)
	}
	return pre, maxVUs
}

// err returns the collected errors, or nil.
func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return joinErrors(c.errs)
}

// ParamErrors returns the *ParamError values that a Kind's Config returned.
func ParamErrors(err error) []*ParamError {
	var out []*ParamError
	var walk func(error)
	walk = func(err error) {
		if pe, ok := err.(*ParamError); ok {
			out = append(out, pe)
			return
		}
		if m, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range m.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

// paramErrors is the error of a Config call: one or more *ParamError.
type paramErrors []error

func (e paramErrors) Error() string {
	s := make([]string, len(e))
	for i, x := range e {
		s[i] = x.Error()
	}
	return strings.Join(s, "; ")
}

// Unwrap returns the *ParamError values, for errors.As.
func (e paramErrors) Unwrap() []error { return e }

func joinErrors(errs []error) error { return paramErrors(append([]error(nil), errs...)) }

// scale multiplies d by f.
func scale(d time.Duration, f float64) time.Duration { return time.Duration(float64(d) * f) }

func scaleStages(st []plan.Stage, f float64) []plan.Stage {
	out := make([]plan.Stage, len(st))
	for i, s := range st {
		out[i] = plan.Stage{Name: s.Name, Duration: scale(s.Duration, f), Target: s.Target}
	}
	return out
}

func stagesLength(st []plan.Stage) time.Duration {
	var t time.Duration
	for _, s := range st {
		t += s.Duration
	}
	return t
}
