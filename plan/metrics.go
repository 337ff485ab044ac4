package plan

import (
	"slices"
	"strings"
)

// Metric names that assertions may use. Latency values are numbers of
// milliseconds, so that duration("5ms") == 5. Throughput is operations per
// second. Rates (error_rate) are fractions in [0, 1].

// LatencyFields are the statistics of a latency distribution.
var LatencyFields = []string{"min", "mean", "stddev", "p50", "p75", "p90", "p95", "p99", "p999", "max"}

// CounterFields are the counters of a scenario or of one operation.
var CounterFields = []string{"ops", "errors", "error_rate", "throughput"}

// ScenarioFields are scenario-wide values with no per-operation counterpart.
// dropped counts the iterations an executor planned that never started (an
// open model's that no worker could start, an iteration-bound model's that
// max_duration left unstarted); vus_max is the peak number of workers.
//
// availability is the successful operations over all; availability_windows
// the share of snapshot intervals whose error rate stayed within
// executor.AvailabilityBudget (not availability.windows: a name cannot be
// both a value and an object in an HCL expression).
var ScenarioFields = []string{"dropped", "vus_max", "elapsed",
	"availability", "availability_windows"}

// ResourceMetrics are the process resource and soak figures of a scenario:
// CPU (percent of one core, seconds), memory and heap sizes (bytes), GC
// pauses (milliseconds), allocations per operation, the throughput
// coefficient of variation, the p99 drift (ms per minute), the heap slope
// (bytes per minute) and heap.leak (1 when a leak is flagged, else 0).
var ResourceMetrics = []string{
	"cpu.percent", "cpu.user_seconds", "cpu.system_seconds",
	"memory.rss_peak",
	"heap.in_use_peak", "heap.in_use_end", "heap.slope", "heap.leak",
	"gc.count", "gc.pause_p99", "gc.pause_max",
	"goroutines.max", "allocs_per_op",
	"soak.throughput_cv", "soak.p99_drift",
	"machine.cores", "machine.cpu_pressure", "machine.memory_pressure", "machine.memory_pressure_full",
	"machine.io_pressure", "machine.io_pressure_full", "machine.steal", "machine.other_cpu",
	"machine.throttled", "machine.throttled_periods",
	"interference.disturbed", "interference.pause_max", "interference.pause_total",
}

// IOMetrics are the process's disk and network I/O over a scenario
// (executor.IO): io.* from /proc/self/io (bytes through read and write
// system calls, and the calls), disk.* the bytes from and to the storage
// layer, net.* the bytes of the network namespace; each a count and a
// rate per second. They are resource metrics too.
var IOMetrics = []string{
	"io.read_bytes", "io.write_bytes", "io.read_ops", "io.write_ops",
	"io.read_bytes_per_sec", "io.write_bytes_per_sec", "io.read_ops_per_sec", "io.write_ops_per_sec",
	"disk.read_bytes", "disk.write_bytes", "disk.read_bytes_per_sec", "disk.write_bytes_per_sec",
	"net.sent_bytes", "net.received_bytes", "net.sent_bytes_per_sec", "net.received_bytes_per_sec",
}

// IsResourceMetric reports whether name is one of ResourceMetrics or
// IOMetrics.
func IsResourceMetric(name string) bool {
	for _, n := range ResourceMetrics {
		if n == name {
			return true
		}
	}
	for _, n := range IOMetrics {
		if n == name {
			return true
		}
	}
	return false
}

// MetricNames returns every metric name an assertion in s may read:
// counters, each latency family's fields (LatencyFamilies; the open-only
// ones for open models), op.NAME.*, and target.STAT for the statistics of
// the workload's target kind.
func MetricNames(s *Scenario) []string {
	var names []string
	names = append(names, CounterFields...)
	names = append(names, ScenarioFields...)
	names = append(names, ResourceMetrics...)
	names = append(names, IOMetrics...)
	names = append(names, s.ExecutorMetrics()...)
	open := s.Open()
	names = append(names, familyNames("", open)...)
	if s.Workload != nil {
		for _, op := range s.Workload.Ops {
			for _, f := range CounterFields {
				names = append(names, "op."+op.Name+"."+f)
			}
			names = append(names, familyNames("op."+op.Name+".", open)...)
		}
		if t := s.Workload.Target; t != nil && t.Spec != nil {
			for _, st := range t.Spec.Stats {
				names = append(names, "target."+st)
			}
		}
	}
	for _, st := range s.Stages() {
		if st.Name != "" {
			names = append(names, StageMetricNames(s, st.Name)...)
		}
	}
	return names
}

// familyNames returns prefix+FAMILY.FIELD for every field of every latency
// family a scenario measures (open: an open model's), field by field.
func familyNames(prefix string, open bool) []string {
	var names []string
	for _, f := range LatencyFields {
		for _, fam := range LatencyFamilies() {
			if open || !fam.OpenOnly {
				names = append(names, prefix+string(fam.Family)+"."+f)
			}
		}
	}
	return names
}

// StagePrefix starts a stage's metric: stage.NAME.X is metric X (a
// counter, or a field of a latency family, of the scenario or of op.OP)
// over the named stage only.
const StagePrefix = "stage."

// StageMetricNames returns the metric names of the stage called name of s.
func StageMetricNames(s *Scenario, name string) []string {
	var names []string
	p := StagePrefix + name + "."
	open := s.Open()
	add := func(prefix string) {
		for _, f := range CounterFields {
			names = append(names, p+prefix+f)
		}
		names = append(names, familyNames(p+prefix, open)...)
	}
	add("")
	if s.Workload != nil {
		for _, op := range s.Workload.Ops {
			add("op." + op.Name + ".")
		}
	}
	return names
}

// BaselinePrefix starts a baseline metric: baseline.X is metric X of the
// same plan and scenario in the baseline run document given with
// perfplan run --baseline.
const BaselinePrefix = "baseline."

// IsMetric reports whether name is one of MetricNames(s), or baseline.X for
// such a name X.
func IsMetric(s *Scenario, name string) bool {
	name = strings.TrimPrefix(name, BaselinePrefix)
	for _, n := range MetricNames(s) {
		if n == name {
			return true
		}
	}
	return false
}

// MetricRoots returns the first names of metric references, which the
// loader treats as metrics rather than variables inside assert conditions:
// the counters, the latency families (LatencyFamilies), then the others.
func MetricRoots() []string {
	roots := []string{"ops", "errors", "error_rate", "throughput", "dropped", "vus_max", "elapsed"}
	for _, f := range LatencyFamilies() {
		roots = append(roots, string(f.Family))
	}
	return append(roots, "op", "target", "baseline",
		"cpu", "memory", "heap", "gc", "goroutines", "allocs_per_op", "soak",
		"breaking_point", "recovery_time", "stability", "machine", "interference",
		"availability", "availability_windows",
		"io", "disk", "net", "stage")
}

// IsMetricRoot reports whether name starts a metric reference.
func IsMetricRoot(name string) bool {
	root, _, _ := strings.Cut(name, ".")
	return slices.Contains(MetricRoots(), root)
}

// Family names a latency family: a distribution of durations that every
// operation records into its own HdrHistogram. Its name is the metric
// root an assertion reads it by (latency.p99, op.get.schedule_lag.max,
// stage.peak.service_time.p50).
type Family string

// The latency families, in the order LatencyFamilies lists them.
const (
	Latency     Family = "latency"
	ServiceTime Family = "service_time"
	ScheduleLag Family = "schedule_lag"
)

// FamilyDesc declares a latency family once: everything that validates,
// evaluates, stores, merges and prints it reads this. Every family is
// recorded in nanoseconds, read by assertions in milliseconds (its
// LatencyFields, so duration("5ms") == 5) and printed as a duration; it
// exists for the scenario and per operation (op.NAME.) and per named stage
// (stage.NAME.). perfplan merge merges a family's histograms (the run
// document's HistogramKey) exactly and summarises them again. Which
// executors measure it: all, or the open models only (OpenOnly; an
// executor's Kind says whether it is open). Targets do not matter: the
// runner measures every family around the target's Do.
//
// What else a new family needs is where it is measured
// (executor/metrics), where executor.OpStats and report.OpDoc hold it
// (executor/result.go, report/document.go); docs/metrics.md walks through
// it.
type FamilyDesc struct {
	Family Family
	// Label names the family in prose: notes and help texts.
	Label string
	// OpenOnly is set for a family that only open models measure (the
	// arrival-rate executors and breakpoint): in a closed model an
	// assertion over it is a load-time diagnostic, and it is absent from
	// the run document, the tables and Prometheus.
	OpenOnly bool
	// CountsOmitted is set when an open model's dropped iterations count
	// in the family with their lateness when dropped: its percentiles are
	// then lower bounds.
	CountsOmitted bool
	// StallCorrected is set when, in a closed model that stalled, an
	// assertion reads the view corrected for coordinated omission unless
	// the scenario allows omitted work.
	StallCorrected bool
	// OmissionBound is set when omitted work (dropped iterations, a stall,
	// a saturated runner) makes the family's figures lower bounds, so an
	// assertion over them must not pass on them (executor's trust rules).
	OmissionBound bool
	// Lateness is set for the runner's lateness alone: when measured
	// interference explains a failure, the assertion is judged again with
	// it read as 0.
	Lateness bool
	// WithoutLateness is the family that holds this one minus the
	// runner's lateness: the judgement under interference reads that one
	// instead. Empty for none.
	WithoutLateness Family
	// SummaryKey and HistogramKey are the run document's JSON keys of an
	// operation's summary (nanoseconds) and of its compressed histogram.
	// The document's schema is public: they never change.
	SummaryKey, HistogramKey string
	// Column heads the family's column in the terminal and Markdown
	// tables, which shows its ColumnField; empty for no column.
	Column, ColumnField string
	// NoteFields are the fields a scenario's summary note prints, in
	// order; nil for none.
	NoteFields []string
	// CSV starts the family's CSV columns (CSV_FIELD_ns), one per
	// CSVFields; the CSV file's columns are public too.
	CSV       string
	CSVFields []string
	// PrometheusHelp is the help text of the family's remote-write metric
	// (PrometheusName) and PrometheusFields the fields pushed as its
	// quantiles.
	PrometheusHelp   string
	PrometheusFields []string
}

// PrometheusName is the family's metric in Prometheus remote write:
// perfplan_FAMILY_seconds, label quantile.
func (f FamilyDesc) PrometheusName() string { return "perfplan_" + string(f.Family) + "_seconds" }

// LatencyFamilies returns the latency families in documentation order.
// Adding a family starts here.
func LatencyFamilies() []FamilyDesc {
	return []FamilyDesc{
		{
			Family: Latency, Label: "latency",
			CountsOmitted: true, StallCorrected: true, OmissionBound: true,
			WithoutLateness: ServiceTime,
			SummaryKey:      "latency_ns", HistogramKey: "histogram",
			CSV: "latency", CSVFields: LatencyFields,
			PrometheusHelp:   "Latency quantiles of the last interval's operations (open models: from the intended start).",
			PrometheusFields: []string{"p50", "p90", "p95", "p99", "p999", "max"},
		},
		{
			Family: ServiceTime, Label: "service time", OpenOnly: true,
			SummaryKey: "service_time_ns", HistogramKey: "service_histogram",
			CSV: "service", CSVFields: []string{"p50", "p99", "max"},
			NoteFields:       []string{"p99"},
			PrometheusHelp:   "Service time quantiles of the last interval's operations (open models: from the actual start).",
			PrometheusFields: []string{"p50", "p99"},
		},
		{
			Family: ScheduleLag, Label: "schedule lag", OpenOnly: true,
			OmissionBound: true, Lateness: true,
			SummaryKey: "schedule_lag_ns", HistogramKey: "schedule_lag_histogram",
			Column: "lag p99", ColumnField: "p99",
			NoteFields:       []string{"p50", "p99", "max"},
			PrometheusHelp:   "Schedule lag quantiles of the last interval (actual minus intended start).",
			PrometheusFields: []string{"p50", "p99"},
		},
	}
}

// LookupFamily returns the family called name.
func LookupFamily(name string) (FamilyDesc, bool) {
	for _, f := range LatencyFamilies() {
		if string(f.Family) == name {
			return f, true
		}
	}
	return FamilyDesc{}, false
}

// Desc returns f's descriptor (the zero FamilyDesc for an unknown family).
func (f Family) Desc() FamilyDesc {
	d, _ := LookupFamily(string(f))
	return d
}

// SplitFamily splits a metric name that reads a latency family, such as
// op.get.schedule_lag.p99, into its prefix ("op.get."), the family and
// the field ("p99", one of LatencyFields). ok is false for any other name.
func SplitFamily(name string) (prefix string, fam FamilyDesc, field string, ok bool) {
	rest, field, found := cutLast(name)
	if !found || !slices.Contains(LatencyFields, field) {
		return "", FamilyDesc{}, "", false
	}
	prefix, root, _ := cutLast(rest)
	if root == "" {
		root, prefix = prefix, ""
	} else {
		prefix += "."
	}
	fam, ok = LookupFamily(root)
	if !ok {
		return "", FamilyDesc{}, "", false
	}
	return prefix, fam, field, true
}

// cutLast splits s around its last dot.
func cutLast(s string) (before, after string, found bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// OpenFamilies returns the names of the families that only open models
// measure.
func OpenFamilies() []string {
	var names []string
	for _, f := range LatencyFamilies() {
		if f.OpenOnly {
			names = append(names, string(f.Family))
		}
	}
	return names
}

// Unit is how a metric's value reads in an assertion and prints.
type Unit int

// Units.
const (
	// UnitNumber is a plain number (a count, a ratio).
	UnitNumber Unit = iota
	// UnitPercent is a percentage (of one core for CPU).
	UnitPercent
	// UnitSeconds is a number of seconds.
	UnitSeconds
	// UnitBytes is a number of bytes.
	UnitBytes
	// UnitDuration is a duration: recorded in nanoseconds, read in
	// milliseconds (duration("5ms") == 5), printed as a duration.
	UnitDuration
)

// Merge is how perfplan merge joins a figure of several segments that ran
// at the same time on different machines.
type Merge int

// Merge rules.
const (
	// MergeSum adds the segments' figures (CPU time, GC cycles).
	MergeSum Merge = iota
	// MergeMax keeps the largest (peaks, pauses).
	MergeMax
	// MergePerOp weighs each segment's figure by its operations.
	MergePerOp
)

// ResourceDesc declares one of the process's resource figures of a
// scenario (executor.Resources) once: its metric name, the run document's
// JSON key of its field (under resources), its unit and how segments
// merge. The executor resolves the metric, perfplan merge merges it and
// the assertion table prints it from this; where it is sampled and how
// the scenario note words it are the executor's and report's.
type ResourceDesc struct {
	Name  string
	Key   string
	Unit  Unit
	Merge Merge
}

// ProcessResources returns the process's resource figures, in the order
// of ResourceMetrics.
func ProcessResources() []ResourceDesc {
	return []ResourceDesc{
		{"cpu.percent", "cpu_percent", UnitPercent, MergeSum},
		{"cpu.user_seconds", "cpu_user_seconds", UnitSeconds, MergeSum},
		{"cpu.system_seconds", "cpu_system_seconds", UnitSeconds, MergeSum},
		{"memory.rss_peak", "rss_peak_bytes", UnitBytes, MergeMax},
		{"heap.in_use_peak", "heap_in_use_peak_bytes", UnitBytes, MergeMax},
		{"heap.in_use_end", "heap_in_use_end_bytes", UnitBytes, MergeMax},
		{"gc.count", "gc_count", UnitNumber, MergeSum},
		{"gc.pause_p99", "gc_pause_p99_ns", UnitDuration, MergeMax},
		{"gc.pause_max", "gc_pause_max_ns", UnitDuration, MergeMax},
		{"goroutines.max", "goroutines_max", UnitNumber, MergeMax},
		{"allocs_per_op", "allocs_per_op", UnitNumber, MergePerOp},
	}
}

// LookupResource returns the process resource figure called name.
func LookupResource(name string) (ResourceDesc, bool) {
	for _, d := range ProcessResources() {
		if d.Name == name {
			return d, true
		}
	}
	return ResourceDesc{}, false
}
