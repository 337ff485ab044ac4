// Package targets defines the systems under test that perfplan drives: the
// Target and Worker interfaces, the plain-Go configuration schema each kind of
// target declares for its plan block, and the Registry that maps kind names to
// implementations.
//
// The package knows nothing of HCL or of the executor. The dsl package turns a
// target block into a Config checked against the kind's Schema; the executor
// opens the Target, gives each of its workers a Worker and calls Do on the hot
// path.
package targets

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Request is one operation that a worker asks a target to perform. The
// executor reuses one Request per worker, so a target must not keep it after
// Do returns.
type Request struct {
	// Op is the index of the operation in the kind's Ops list or, for a kind
	// with an OpSchema, in the target's Config.Ops.
	Op int
	// Key is the key index drawn from the workload's key space, in [0, count).
	Key uint64
	// Value is a payload of the workload's value size. Targets may read it but
	// must not modify or retain it.
	Value []byte
	// Arg is the operation's numeric argument (see OpSpec.Arg), or its default.
	Arg int64
}

// Worker performs operations for one executor worker. A Worker is used by one
// goroutine at a time, so it may hold per-worker state without locking.
type Worker interface {
	// Do performs one operation. A non-nil error counts as a failed
	// operation. Do should return promptly once ctx is cancelled.
	Do(ctx context.Context, req *Request) error
}

// Target is an opened system under test.
type Target interface {
	// Open prepares the target: connects, allocates, prefills. It is called
	// once before any scenario starts; the run's clock starts after it.
	Open(ctx context.Context) error
	// NewWorker returns the per-worker handle for worker id. It is called
	// before the worker's first operation, possibly while other workers run.
	NewWorker(id int) (Worker, error)
	// Stats returns the target's statistics, keyed by the names in the kind's
	// Stats list. It must be safe to call concurrently with Do.
	Stats() map[string]float64
	// Close releases the target's resources.
	Close() error
}

// Controller is implemented by targets that accept changes while a run is in
// progress, such as a rate limiter whose policies a plan changes at an offset.
type Controller interface {
	// Control applies action with its configuration (checked against the
	// matching ActionSpec schema) to the running target.
	Control(ctx context.Context, action string, cfg Config) error
}

// OpSpec describes an operation that a kind supports.
type OpSpec struct {
	// Name is the operation's name in plans, for example "get".
	Name string
	// Doc is a one-line description for the reference documentation.
	Doc string
	// Arg names an optional whole-number argument of the operation in the
	// workload's op block (for example "n" for allow_n); empty when none.
	Arg string
	// ArgDefault is Arg's value when the plan does not set it.
	ArgDefault int64
}

// ActionSpec describes a run-time change that a Controller accepts.
type ActionSpec struct {
	Name   string
	Doc    string
	Schema Schema
}

// Kind is a kind of target: its name, the schema of its plan block, its
// operations and statistics, and its constructor.
type Kind struct {
	// Name is the first label of the target block, for example "cache".
	Name string
	// Doc is a one-line description.
	Doc string
	// Schema describes the target block's body.
	Schema Schema
	// Ops lists the operations; Request.Op indexes this slice.
	Ops []OpSpec
	// OpSchema, when set instead of Ops, lets plans name their own
	// operations: a workload's op block against a target of this kind may
	// take any name, and its body (besides weight) is configured by this
	// schema, as the http kind's op "get" { method = "GET", path = ... }.
	// The op blocks that a plan's workloads declare against a target reach
	// New in its Config.Ops, and Request.Op indexes that slice.
	OpSchema *Schema
	// ValidateOp checks one op block of a kind with an OpSchema beyond what
	// the schema can express, given the target's validated configuration.
	// It may return *AttrError values (joined) to point at attributes of
	// the op block. It may be nil.
	ValidateOp func(target Config, op OpConfig) error
	// Stats lists the statistic names that Target.Stats reports and that
	// assertions may use as target.NAME. A scenario reports each over its
	// own span (see SpanStats): by default a statistic is a counter.
	Stats []string
	// Gauges lists the statistics of Stats that are levels (a size, a mode,
	// a peak) rather than counters: a scenario reports their value at its
	// end.
	Gauges []string
	// Ratios lists the statistics of Stats that are ratios of counters: a
	// scenario recomputes them from the counters' changes over its span.
	Ratios map[string]Ratio
	// Sparse lists counters of Stats that Target.Stats reports only once
	// they are non-zero, such as the http kind's one per status code: a
	// scenario lists those that changed over its span, and an assertion
	// reads one that did not as 0.
	Sparse []string
	// Actions lists the run-time changes a Controller accepts, if any.
	Actions []ActionSpec
	// Validate checks a decoded configuration beyond what the schema can
	// express. It may return an *AttrError to point at one attribute. It may
	// be nil.
	Validate func(cfg Config) error
	// New builds an unopened target from a validated configuration.
	New func(cfg Config) (Target, error)
}

// Ratio is a statistic computed as the sum of the Num counters divided by the
// sum of the Den counters (0 when the denominator is 0).
type Ratio struct {
	Num, Den []string
}

// SpanStats returns a target's statistics over a span, from its Stats at the
// span's start (before) and end (after): a counter's change, a gauge's value
// at the end, and a ratio recomputed from its counters' changes. A nil kind
// or before makes every statistic its value at the end.
func SpanStats(k *Kind, before, after map[string]float64) map[string]float64 {
	if k == nil || before == nil {
		return after
	}
	out := make(map[string]float64, len(after))
	gauge := make(map[string]bool, len(k.Gauges))
	for _, g := range k.Gauges {
		gauge[g] = true
	}
	sparse := make(map[string]bool, len(k.Sparse))
	for _, n := range k.Sparse {
		sparse[n] = true
	}
	for name, v := range after {
		if _, ok := k.Ratios[name]; !ok && !gauge[name] {
			v -= before[name]
		}
		if v == 0 && sparse[name] {
			continue
		}
		out[name] = v
	}
	sum := func(names []string) float64 {
		var t float64
		for _, n := range names {
			t += out[n]
		}
		return t
	}
	for name, r := range k.Ratios {
		if _, ok := after[name]; !ok {
			continue
		}
		out[name] = 0
		if d := sum(r.Den); d != 0 {
			out[name] = sum(r.Num) / d
		}
	}
	return out
}

// IsSparse reports whether the named statistic is one of Sparse.
func (k *Kind) IsSparse(name string) bool {
	for _, s := range k.Sparse {
		if s == name {
			return true
		}
	}
	return false
}

// OpIndex returns the index of the named operation, or -1. A kind with an
// OpSchema has no fixed operations: its plans' op blocks are indexed in
// each target's Config.Ops.
func (k *Kind) OpIndex(name string) int {
	for i, op := range k.Ops {
		if op.Name == name {
			return i
		}
	}
	return -1
}

// HasStat reports whether the kind exposes the named statistic.
func (k *Kind) HasStat(name string) bool {
	for _, s := range k.Stats {
		if s == name {
			return true
		}
	}
	return false
}

// Action returns the named action spec, or nil.
func (k *Kind) Action(name string) *ActionSpec {
	for i := range k.Actions {
		if k.Actions[i].Name == name {
			return &k.Actions[i]
		}
	}
	return nil
}

// Registry maps kind names to kinds. The zero value is not usable; call
// NewRegistry. A Registry is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	kinds map[string]*Kind
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{kinds: make(map[string]*Kind)}
}

// Register adds a kind. It fails if the kind is incomplete or its name is
// taken.
func (r *Registry) Register(k Kind) error {
	if k.Name == "" {
		return fmt.Errorf("register target kind: empty name")
	}
	if k.New == nil {
		return fmt.Errorf("register target kind %q: no constructor", k.Name)
	}
	switch {
	case len(k.Ops) == 0 && k.OpSchema == nil:
		return fmt.Errorf("register target kind %q: no operations", k.Name)
	case len(k.Ops) > 0 && k.OpSchema != nil:
		return fmt.Errorf("register target kind %q: both fixed operations and an op schema", k.Name)
	case k.ValidateOp != nil && k.OpSchema == nil:
		return fmt.Errorf("register target kind %q: ValidateOp without an op schema", k.Name)
	}
	if err := k.Schema.check(); err != nil {
		return fmt.Errorf("register target kind %q: %w", k.Name, err)
	}
	if k.OpSchema != nil {
		if err := k.OpSchema.check(); err != nil {
			return fmt.Errorf("register target kind %q: op schema: %w", k.Name, err)
		}
		if k.OpSchema.Attr("weight") != nil || k.OpSchema.Block("weight") != nil {
			return fmt.Errorf("register target kind %q: op schema: \"weight\" belongs to every op block", k.Name)
		}
	}
	for _, n := range k.Sparse {
		if !k.HasStat(n) {
			return fmt.Errorf("register target kind %q: sparse statistic %q is not in Stats", k.Name, n)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.kinds[k.Name]; dup {
		return fmt.Errorf("register target kind %q: already registered", k.Name)
	}
	kc := k
	r.kinds[k.Name] = &kc
	return nil
}

// MustRegister is Register that panics on error, for use in program set-up.
func (r *Registry) MustRegister(k Kind) {
	if err := r.Register(k); err != nil {
		panic(err)
	}
}

// Lookup returns the named kind.
func (r *Registry) Lookup(name string) (*Kind, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.kinds[name]
	return k, ok
}

// Names returns the registered kind names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.kinds))
	for n := range r.kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
