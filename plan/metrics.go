package plan

import "strings"

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
// counters, latency.* (and service_time.* and schedule_lag.* for open
// models), op.NAME.*, and target.STAT for the statistics of the workload's
// target kind.
func MetricNames(s *Scenario) []string {
	var names []string
	names = append(names, CounterFields...)
	names = append(names, ScenarioFields...)
	names = append(names, ResourceMetrics...)
	names = append(names, IOMetrics...)
	names = append(names, s.ExecutorMetrics()...)
	for _, f := range LatencyFields {
		names = append(names, "latency."+f)
	}
	open := s.Open()
	if open {
		for _, f := range LatencyFields {
			names = append(names, "service_time."+f, "schedule_lag."+f)
		}
	}
	if s.Workload != nil {
		for _, op := range s.Workload.Ops {
			for _, f := range CounterFields {
				names = append(names, "op."+op.Name+"."+f)
			}
			for _, f := range LatencyFields {
				names = append(names, "op."+op.Name+".latency."+f)
				if open {
					names = append(names, "op."+op.Name+".service_time."+f, "op."+op.Name+".schedule_lag."+f)
				}
			}
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

// StagePrefix starts a stage's metric: stage.NAME.X is metric X (a
// counter, latency.*, op.OP.* and, in open models, service_time.* and
// schedule_lag.*) over the named stage only.
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
		for _, f := range LatencyFields {
			names = append(names, p+prefix+"latency."+f)
			if open {
				names = append(names, p+prefix+"service_time."+f, p+prefix+"schedule_lag."+f)
			}
		}
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

// MetricRoots are the first names of metric references, which the loader
// treats as metrics rather than variables inside assert conditions.
var MetricRoots = []string{"ops", "errors", "error_rate", "throughput", "dropped", "vus_max", "elapsed", "latency", "service_time", "schedule_lag", "op", "target", "baseline",
	"cpu", "memory", "heap", "gc", "goroutines", "allocs_per_op", "soak",
	"breaking_point", "recovery_time", "stability", "machine", "interference",
	"availability", "availability_windows",
	"io", "disk", "net", "stage"}

// IsMetricRoot reports whether name starts a metric reference.
func IsMetricRoot(name string) bool {
	root, _, _ := strings.Cut(name, ".")
	for _, r := range MetricRoots {
		if r == root {
			return true
		}
	}
	return false
}
