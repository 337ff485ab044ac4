// Package promwrite pushes a run's live metrics to Prometheus (or to any
// store that accepts Prometheus remote write: Mimir, Thanos, VictoriaMetrics,
// Grafana Cloud) with the remote-write 1.0 protocol: perfplan run --out
// prometheus=URL.
//
// The payload is the protocol's protobuf message, WriteRequest (the subset
// of prometheus/prompb's messages perfplan sends, in internal/prompb, encoded
// with google.golang.org/protobuf's protowire and tested byte for byte against
// Prometheus's generated code), compressed with Snappy's block format
// (github.com/golang/snappy), as the protocol specifies.
//
// A Pusher buffers the samples that its observers record on every
// snapshot interval of the run and posts them every Options.Interval (5s by
// default) and when it is closed. A push that fails with a network error or
// a 5xx status is retried with the next one (the samples are kept, up to
// maxPending); a 4xx status drops the batch, as the protocol says. Push
// problems are warnings: they never change the run's verdict.
//
// Metrics (labels plan, scenario and, for operations, operation: the
// operation's name or "total"; plus job="perfplan" and instance, the host):
//
//	perfplan_operations_total        operations completed (counter)
//	perfplan_errors_total            operations failed (counter)
//	perfplan_throughput_ops          operations per second over the last interval
//	perfplan_FAMILY_seconds          each latency family of the last interval's operations
//	                                 (plan.LatencyFamilies: the open-only ones for open models),
//	                                 label quantile: perfplan_latency_seconds 0.5, 0.9, 0.95,
//	                                 0.99, 0.999 and 1 (the max; open models measure from the
//	                                 intended start); the service time and the schedule lag
//	                                 0.5 and 0.99
//	perfplan_dropped_total           iterations dropped, all workers busy (counter, per scenario)
//	perfplan_active_workers          workers running (per scenario)
//	perfplan_process_cpu_percent     CPU time over the interval, percent of one core
//	perfplan_process_resident_memory_bytes
//	perfplan_go_heap_in_use_bytes, perfplan_go_heap_live_bytes
//	perfplan_go_gc_cycles_total      GC cycles since the scenario started
//	perfplan_go_gc_pause_max_seconds longest GC pause of the interval
//	perfplan_go_goroutines
//	perfplan_machine_other_cpu_percent  CPU other processes used over the interval, percent of one core
//	perfplan_machine_steal_percent      steal over the interval, percent of one core
//	perfplan_machine_pressure_percent   pressure stall information over the interval, label
//	                                    resource (cpu, memory, io) and kind (some, full)
//	perfplan_machine_throttled_percent  share of the interval the cgroup's CPU quota throttled
//	                                    (each machine series only where it is measured)
//	perfplan_target_stat             the target's statistics at the scenario's end, label stat
//	perfplan_assertions_failed       failed assertions at the scenario's end
package promwrite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/golang/snappy"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/report/promwrite/internal/prompb"
)

// DefaultInterval is how often samples are pushed.
const DefaultInterval = 5 * time.Second

// maxPending bounds the samples kept while pushes fail (about an hour of a
// plan of a few scenarios); the oldest are dropped beyond it.
const maxPending = 200000

// Options configure a Pusher.
type Options struct {
	// URL is the remote-write endpoint, e.g.
	// http://localhost:9090/api/v1/write.
	URL string
	// Interval is how often samples are pushed; 0 means DefaultInterval.
	Interval time.Duration
	// Client sends the requests; nil means a client with a 10s timeout.
	Client *http.Client
	// UserAgent names the sender, e.g. "perfplan/v1.2.0".
	UserAgent string
	// Labels are added to every series (job and instance by default).
	Labels map[string]string
	// Warn receives push problems, each distinct one once; nil discards
	// them.
	Warn func(msg string)
}

// CheckURL reports whether u can be a remote-write endpoint: an absolute
// http or https URL with a host.
func CheckURL(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		// Without the URL, which the caller has (and may hold a
		// password).
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	}
	if p.Scheme != "http" && p.Scheme != "https" || p.Host == "" {
		return fmt.Errorf("want an http:// or https:// URL of a remote-write endpoint, such as http://localhost:9090/api/v1/write")
	}
	return nil
}

// Redact returns u with any password in it replaced by "xxxxx", for
// messages: the endpoint's URL is echoed in every warning and summary.
func Redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		if i := strings.LastIndex(u, "@"); i >= 0 {
			if j := strings.Index(u, "://"); j >= 0 && j < i {
				return u[:j+3] + "xxxxx" + u[i:]
			}
		}
		return u
	}
	return p.Redacted()
}

// Pusher buffers samples and pushes them.
type Pusher struct {
	opts   Options
	labels []prompb.Label // the extra labels, sorted

	mu       sync.Mutex
	pending  map[string]*prompb.TimeSeries
	order    []string // keys of pending, in order of first sample
	npending int
	meta     map[string]bool  // metric names whose metadata was sent
	lastTS   map[string]int64 // per series, the last sample's timestamp
	newMeta  []prompb.MetricMetadata
	warned   map[string]bool
	pushed   int64
	dropped  int64
	lastErr  error

	pushMu sync.Mutex // one push at a time
	stop   chan struct{}
	done   chan struct{}
}

// Start validates the options and starts pushing every Interval.
func Start(opts Options) (*Pusher, error) {
	if err := CheckURL(opts.URL); err != nil {
		return nil, err
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "perfplan"
	}
	if opts.Labels == nil {
		host, _ := os.Hostname()
		opts.Labels = map[string]string{"job": "perfplan", "instance": host}
	}
	p := &Pusher{opts: opts, pending: map[string]*prompb.TimeSeries{}, meta: map[string]bool{}, lastTS: map[string]int64{}, warned: map[string]bool{},
		stop: make(chan struct{}), done: make(chan struct{})}
	for k, v := range opts.Labels {
		if v != "" {
			p.labels = append(p.labels, prompb.Label{Name: k, Value: v})
		}
	}
	go p.loop()
	return p, nil
}

func (p *Pusher) loop() {
	defer close(p.done)
	t := time.NewTicker(p.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), p.opts.Interval+10*time.Second)
			p.Push(ctx)
			cancel()
		}
	}
}

// Close stops the periodic pushes and pushes what is left. When that final
// push fails, its samples are dropped (see Stats) and its error returned;
// it is not passed to Options.Warn.
func (p *Pusher) Close(ctx context.Context) error {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
	return p.push(ctx, true)
}

// Stats returns the samples pushed and those dropped so far.
func (p *Pusher) Stats() (pushed, dropped int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pushed, p.dropped
}

// metricHelp documents the metrics, for the metadata sent with them; the
// latency families' are their descriptors' (metricMeta).
var metricHelp = map[string]struct {
	kind prompb.MetricMetadata_MetricType
	help string
}{
	"perfplan_operations_total":              {prompb.MetricMetadata_COUNTER, "Operations completed."},
	"perfplan_errors_total":                  {prompb.MetricMetadata_COUNTER, "Operations that failed."},
	"perfplan_throughput_ops":                {prompb.MetricMetadata_GAUGE, "Operations per second over the last snapshot interval."},
	"perfplan_dropped_total":                 {prompb.MetricMetadata_COUNTER, "Iterations dropped because every worker was busy."},
	"perfplan_active_workers":                {prompb.MetricMetadata_GAUGE, "Workers running."},
	"perfplan_process_cpu_percent":           {prompb.MetricMetadata_GAUGE, "perfplan's CPU time over the interval, in percent of one core."},
	"perfplan_process_resident_memory_bytes": {prompb.MetricMetadata_GAUGE, "perfplan's resident set size."},
	"perfplan_go_heap_in_use_bytes":          {prompb.MetricMetadata_GAUGE, "Go heap object bytes."},
	"perfplan_go_heap_live_bytes":            {prompb.MetricMetadata_GAUGE, "Go heap bytes marked live by the last GC."},
	"perfplan_go_gc_cycles_total":            {prompb.MetricMetadata_COUNTER, "GC cycles since the scenario started."},
	"perfplan_go_gc_pause_max_seconds":       {prompb.MetricMetadata_GAUGE, "Longest GC pause of the interval."},
	"perfplan_go_goroutines":                 {prompb.MetricMetadata_GAUGE, "Goroutines."},
	"perfplan_machine_other_cpu_percent":     {prompb.MetricMetadata_GAUGE, "CPU that other processes of the machine used over the interval, in percent of one core."},
	"perfplan_machine_steal_percent":         {prompb.MetricMetadata_GAUGE, "CPU steal over the interval, in percent of one core."},
	"perfplan_machine_pressure_percent":      {prompb.MetricMetadata_GAUGE, "Linux pressure stall information over the interval: share of the time tasks waited, in percent."},
	"perfplan_machine_throttled_percent":     {prompb.MetricMetadata_GAUGE, "Share of the interval in which the cgroup's CPU quota throttled perfplan, in percent."},
	"perfplan_process_io_bytes_per_second":   {prompb.MetricMetadata_GAUGE, "Bytes through perfplan's read and write calls per second over the interval (/proc/self/io rchar, wchar)."},
	"perfplan_process_io_calls_per_second":   {prompb.MetricMetadata_GAUGE, "perfplan's read and write calls per second over the interval (/proc/self/io syscr, syscw)."},
	"perfplan_process_disk_bytes_per_second": {prompb.MetricMetadata_GAUGE, "Bytes perfplan read from and wrote to the storage layer per second over the interval (/proc/self/io)."},
	"perfplan_network_bytes_per_second":      {prompb.MetricMetadata_GAUGE, "Bytes sent and received per second over the interval by every interface of perfplan's network namespace."},
	"perfplan_target_stat":                   {prompb.MetricMetadata_GAUGE, "The target's statistics over the scenario, at its end."},
	"perfplan_assertions_failed":             {prompb.MetricMetadata_GAUGE, "Assertions that failed, at the scenario's end."},
}

// add records one sample of metric name with labels (name, value pairs) at
// ts (milliseconds).
func (p *Pusher) add(ts int64, name string, value float64, labels ...string) {
	ls := make([]prompb.Label, 0, 1+len(labels)/2+len(p.labels))
	ls = append(ls, prompb.Label{Name: "__name__", Value: name})
	for i := 0; i+1 < len(labels); i += 2 {
		ls = append(ls, prompb.Label{Name: labels[i], Value: labels[i+1]})
	}
	ls = append(ls, p.labels...)
	// Remote write wants each series' labels sorted by name.
	sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
	var key strings.Builder
	for _, l := range ls {
		key.WriteString(l.Name)
		key.WriteByte(0)
		key.WriteString(l.Value)
		key.WriteByte(0)
	}
	k := key.String()
	p.mu.Lock()
	defer p.mu.Unlock()
	// Samples of a series must have increasing timestamps: a store
	// refuses a second sample at the same millisecond (a scenario that ends
	// right after a snapshot).
	if last, ok := p.lastTS[k]; ok && ts <= last {
		ts = last + 1
	}
	p.lastTS[k] = ts
	ts0, ok := p.pending[k]
	if !ok {
		ts0 = &prompb.TimeSeries{Labels: ls}
		p.pending[k] = ts0
		p.order = append(p.order, k)
	}
	ts0.Samples = append(ts0.Samples, prompb.Sample{Value: value, Timestamp: ts})
	p.npending++
	if !p.meta[name] {
		p.meta[name] = true
		if kind, help, ok := metricMeta(name); ok {
			p.newMeta = append(p.newMeta, prompb.MetricMetadata{Type: kind, MetricFamilyName: name, Help: help})
		}
	}
	for p.npending > maxPending && len(p.order) > 0 {
		// Drop the oldest samples of the oldest series.
		old := p.pending[p.order[0]]
		p.npending -= len(old.Samples)
		p.dropped += int64(len(old.Samples))
		delete(p.pending, p.order[0])
		p.order = p.order[1:]
	}
}

// take removes and returns the pending samples.
func (p *Pusher) take() ([]prompb.TimeSeries, []prompb.MetricMetadata, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	series := make([]prompb.TimeSeries, 0, len(p.order))
	for _, k := range p.order {
		series = append(series, *p.pending[k])
	}
	n, meta := p.npending, p.newMeta
	p.pending, p.order, p.npending, p.newMeta = map[string]*prompb.TimeSeries{}, nil, 0, nil
	return series, meta, n
}

// giveBack puts samples of a failed push back in front of those recorded
// since, so that each series stays in time order.
func (p *Pusher) giveBack(series []prompb.TimeSeries, meta []prompb.MetricMetadata) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var order []string
	pending := map[string]*prompb.TimeSeries{}
	n := 0
	for _, s := range series {
		s := s
		k := seriesKey(s.Labels)
		pending[k] = &s
		order = append(order, k)
		n += len(s.Samples)
	}
	for _, k := range p.order {
		newer := p.pending[k]
		if old, ok := pending[k]; ok {
			old.Samples = append(old.Samples, newer.Samples...)
		} else {
			pending[k] = newer
			order = append(order, k)
		}
	}
	p.pending, p.order, p.npending = pending, order, p.npending+n
	p.newMeta = append(meta, p.newMeta...)
}

func seriesKey(ls []prompb.Label) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.Name)
		b.WriteByte(0)
		b.WriteString(l.Value)
		b.WriteByte(0)
	}
	return b.String()
}

// pushError is a failed push; retry says whether its samples are kept for
// the next one.
type pushError struct {
	err   error
	retry bool
}

func (e *pushError) Error() string { return e.err.Error() }

// Push sends the pending samples now. It returns nil when there was
// nothing to send or the endpoint accepted them.
func (p *Pusher) Push(ctx context.Context) error {
	return p.push(ctx, false)
}

// push sends the pending samples; after the final push nothing is retried.
func (p *Pusher) push(ctx context.Context, final bool) error {
	p.pushMu.Lock()
	defer p.pushMu.Unlock()
	series, meta, n := p.take()
	if n == 0 {
		return nil
	}
	err := p.send(ctx, &prompb.WriteRequest{Timeseries: series, Metadata: meta})
	p.mu.Lock()
	p.lastErr = err
	if err == nil {
		p.pushed += int64(n)
	}
	p.mu.Unlock()
	if err == nil {
		return nil
	}
	var pe *pushError
	switch {
	case errors.As(err, &pe) && pe.retry && !final:
		p.giveBack(series, meta)
		p.warn(fmt.Sprintf("prometheus remote write %s: %v (the samples are kept for the next push)", Redact(p.opts.URL), err))
	default:
		p.mu.Lock()
		p.dropped += int64(n)
		p.mu.Unlock()
		if !final {
			p.warn(fmt.Sprintf("prometheus remote write %s: %v (%d samples dropped)", Redact(p.opts.URL), err, n))
		}
	}
	return err
}

func (p *Pusher) warn(msg string) {
	if p.opts.Warn == nil {
		return
	}
	key := msg
	if i := strings.Index(key, " ("); i >= 0 {
		key = key[:i]
	}
	p.mu.Lock()
	seen := p.warned[key]
	p.warned[key] = true
	p.mu.Unlock()
	if !seen {
		p.opts.Warn(msg)
	}
}

// send posts one WriteRequest: protobuf, Snappy block compressed, with the
// protocol's headers.
func (p *Pusher) send(ctx context.Context, req *prompb.WriteRequest) error {
	raw, err := req.Marshal()
	if err != nil {
		return &pushError{err: fmt.Errorf("encode: %w", err)}
	}
	body := snappy.Encode(nil, raw)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, p.opts.URL, bytes.NewReader(body))
	if err != nil {
		return &pushError{err: err}
	}
	hr.Header.Set("Content-Encoding", "snappy")
	hr.Header.Set("Content-Type", "application/x-protobuf")
	hr.Header.Set("User-Agent", p.opts.UserAgent)
	hr.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	resp, err := p.opts.Client.Do(hr)
	if err != nil {
		return &pushError{err: err, retry: true}
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode/100 == 5 || resp.StatusCode == http.StatusTooManyRequests:
		return &pushError{err: fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg))), retry: true}
	}
	return &pushError{err: fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))}
}

// Observer returns an executor.Observer for one plan's run that records its
// live metrics and passes every call on to next (which may be nil).
func (p *Pusher) Observer(plan string, next executor.Observer) executor.Observer {
	return &observer{p: p, plan: plan, next: next, cum: map[string][]int64{}}
}

type observer struct {
	p    *Pusher
	plan string
	next executor.Observer
	// cum holds, per scenario, the operations and errors so far of the
	// total and of each operation: ops0, errs0, ops1, errs1, ...
	cum map[string][]int64
}

var _ executor.IntervalObserver = (*observer)(nil)

func (o *observer) ScenarioStart(name string, planned time.Duration) {
	if o.next != nil {
		o.next.ScenarioStart(name, planned)
	}
}

func (o *observer) Progress(pr executor.Progress) {
	if o.next != nil {
		o.next.Progress(pr)
	}
}

// metricMeta returns the type and help text of a metric perfplan pushes:
// one of metricHelp, or a latency family's (plan.LatencyFamilies).
func metricMeta(name string) (prompb.MetricMetadata_MetricType, string, bool) {
	if m, ok := metricHelp[name]; ok {
		return m.kind, m.help, true
	}
	for _, f := range plan.LatencyFamilies() {
		if f.PrometheusName() == name {
			return prompb.MetricMetadata_GAUGE, f.PrometheusHelp, true
		}
	}
	return 0, "", false
}

// quantileLabels are the latency fields pushed as quantiles, with their
// labels.
var quantileLabels = map[string]struct {
	label string
	get   func(executor.LatencyStats) time.Duration
}{
	"p50":  {"0.5", func(l executor.LatencyStats) time.Duration { return l.P50 }},
	"p90":  {"0.9", func(l executor.LatencyStats) time.Duration { return l.P90 }},
	"p95":  {"0.95", func(l executor.LatencyStats) time.Duration { return l.P95 }},
	"p99":  {"0.99", func(l executor.LatencyStats) time.Duration { return l.P99 }},
	"p999": {"0.999", func(l executor.LatencyStats) time.Duration { return l.P999 }},
	"max":  {"1", func(l executor.LatencyStats) time.Duration { return l.Max }},
}

func (o *observer) Interval(iv executor.Interval) {
	if io, ok := o.next.(executor.IntervalObserver); ok {
		io.Interval(iv)
	}
	ts := time.Now().UnixMilli()
	ops := append([]executor.OpStats{iv.Total}, iv.Ops...)
	if len(iv.Ops) == 1 {
		ops = ops[:1]
	}
	cum := o.cum[iv.Scenario]
	if len(cum) < 2*len(ops) {
		cum = make([]int64, 2*len(ops))
		o.cum[iv.Scenario] = cum
	}
	for i, op := range ops {
		cum[2*i] += op.Ops
		cum[2*i+1] += op.Errors
		o.opSamples(ts, iv.Scenario, op, cum[2*i], cum[2*i+1])
	}
	o.p.add(ts, "perfplan_active_workers", float64(iv.ActiveVUs), "plan", o.plan, "scenario", iv.Scenario)
	o.p.add(ts, "perfplan_dropped_total", float64(iv.Dropped), "plan", o.plan, "scenario", iv.Scenario)
	if r := iv.Resources; r != nil {
		l := []string{"plan", o.plan, "scenario", iv.Scenario}
		o.p.add(ts, "perfplan_process_cpu_percent", r.CPUPercent, l...)
		if r.RSS > 0 {
			o.p.add(ts, "perfplan_process_resident_memory_bytes", float64(r.RSS), l...)
		}
		o.p.add(ts, "perfplan_go_heap_in_use_bytes", float64(r.InUse), l...)
		o.p.add(ts, "perfplan_go_heap_live_bytes", float64(r.Live), l...)
		o.p.add(ts, "perfplan_go_gc_cycles_total", float64(r.GCs), l...)
		o.p.add(ts, "perfplan_go_gc_pause_max_seconds", r.GCPauseMax.Seconds(), l...)
		o.p.add(ts, "perfplan_go_goroutines", float64(r.Goroutines), l...)
		if m := r.Machine; m != nil {
			o.machineSamples(ts, m, l)
		}
		o.ioSamples(ts, r.IO, l)
	}
}

// ioSamples records the interval's I/O rates, by direction; none where
// they were not measured.
func (o *observer) ioSamples(ts int64, io *executor.IO, l []string) {
	if io == nil {
		return
	}
	dir := func(d string) []string { return append(append([]string(nil), l...), "direction", d) }
	if p := io.Process; p != nil {
		o.p.add(ts, "perfplan_process_io_bytes_per_second", p.ReadBytesPerSec, dir("read")...)
		o.p.add(ts, "perfplan_process_io_bytes_per_second", p.WriteBytesPerSec, dir("write")...)
		o.p.add(ts, "perfplan_process_io_calls_per_second", p.ReadOpsPerSec, dir("read")...)
		o.p.add(ts, "perfplan_process_io_calls_per_second", p.WriteOpsPerSec, dir("write")...)
		o.p.add(ts, "perfplan_process_disk_bytes_per_second", p.DiskReadBytesPerSec, dir("read")...)
		o.p.add(ts, "perfplan_process_disk_bytes_per_second", p.DiskWriteBytesPerSec, dir("write")...)
	}
	if n := io.Network; n != nil {
		o.p.add(ts, "perfplan_network_bytes_per_second", n.SentBytesPerSec, dir("sent")...)
		o.p.add(ts, "perfplan_network_bytes_per_second", n.ReceivedBytesPerSec, dir("received")...)
	}
}

// machineSamples records the machine's figures of an interval, each only
// where it was measured.
func (o *observer) machineSamples(ts int64, m *executor.Machine, l []string) {
	add := func(name string, v *float64, extra ...string) {
		if v != nil {
			o.p.add(ts, name, *v, append(append([]string(nil), l...), extra...)...)
		}
	}
	add("perfplan_machine_other_cpu_percent", m.OtherCPU)
	add("perfplan_machine_steal_percent", m.Steal)
	add("perfplan_machine_throttled_percent", m.Throttled)
	add("perfplan_machine_pressure_percent", m.CPUPressure, "resource", "cpu", "kind", "some")
	add("perfplan_machine_pressure_percent", m.MemoryPressure, "resource", "memory", "kind", "some")
	add("perfplan_machine_pressure_percent", m.MemoryFull, "resource", "memory", "kind", "full")
	add("perfplan_machine_pressure_percent", m.IOPressure, "resource", "io", "kind", "some")
	add("perfplan_machine_pressure_percent", m.IOFull, "resource", "io", "kind", "full")
}

// opSamples records an operation's interval figures and its totals so far.
func (o *observer) opSamples(ts int64, scenario string, op executor.OpStats, ops, errs int64) {
	l := []string{"plan", o.plan, "scenario", scenario, "operation", op.Name}
	o.p.add(ts, "perfplan_operations_total", float64(ops), l...)
	o.p.add(ts, "perfplan_errors_total", float64(errs), l...)
	o.p.add(ts, "perfplan_throughput_ops", op.Throughput, l...)
	if op.Ops == 0 {
		return
	}
	// An open model's figures are those of an open-only family that are
	// not all zero; a closed model's open-only families are zero.
	open := false
	for _, f := range plan.LatencyFamilies() {
		if st, _ := op.Family(f.Family); f.OpenOnly && st != (executor.LatencyStats{}) {
			open = true
		}
	}
	for _, f := range plan.LatencyFamilies() {
		if f.OpenOnly && !open {
			continue
		}
		st, _ := op.Family(f.Family)
		for _, field := range f.PrometheusFields {
			q := quantileLabels[field]
			o.p.add(ts, f.PrometheusName(), q.get(st).Seconds(), append(l, "quantile", q.label)...)
		}
	}
}

// ScenarioEnd records the scenario's final totals (exact, where the
// intervals miss the last moments), its target statistics and its failed
// assertions.
func (o *observer) ScenarioEnd(r *executor.ScenarioResult) {
	if o.next != nil {
		o.next.ScenarioEnd(r)
	}
	ts := time.Now().UnixMilli()
	ops := append([]executor.OpStats{r.Total}, r.Ops...)
	if len(r.Ops) == 1 {
		ops = ops[:1]
	}
	for i, op := range ops {
		name := op.Name
		if i == 0 {
			name = "total"
		}
		l := []string{"plan", o.plan, "scenario", r.Name, "operation", name}
		o.p.add(ts, "perfplan_operations_total", float64(op.Ops), l...)
		o.p.add(ts, "perfplan_errors_total", float64(op.Errors), l...)
	}
	o.p.add(ts, "perfplan_dropped_total", float64(r.Dropped), "plan", o.plan, "scenario", r.Name)
	o.p.add(ts, "perfplan_active_workers", 0, "plan", o.plan, "scenario", r.Name)
	failed := 0
	for _, a := range r.Assertions {
		if !a.Passed {
			failed++
		}
	}
	o.p.add(ts, "perfplan_assertions_failed", float64(failed), "plan", o.plan, "scenario", r.Name)
	for k, v := range r.TargetStats {
		o.p.add(ts, "perfplan_target_stat", v, "plan", o.plan, "scenario", r.Name, "stat", k)
	}
	delete(o.cum, r.Name)
}
