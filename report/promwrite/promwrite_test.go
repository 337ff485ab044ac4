package promwrite

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/report/promwrite/internal/prompb"
)

// receiver is a remote-write endpoint that decodes what it receives.
type receiver struct {
	mu       sync.Mutex
	requests []*prompb.WriteRequest
	status   int // answer with this status (0: 204)
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.Header.Get("Content-Encoding") != "snappy" || r.Header.Get("Content-Type") != "application/x-protobuf" || r.Header.Get("X-Prometheus-Remote-Write-Version") != "0.1.0" {
		http.Error(w, "bad headers", http.StatusBadRequest)
		return
	}
	if rc.status != 0 {
		http.Error(w, "no", rc.status)
		return
	}
	body, _ := io.ReadAll(r.Body)
	raw, err := snappy.Decode(nil, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req prompb.WriteRequest
	if err := req.Unmarshal(raw); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.requests = append(rc.requests, &req)
	w.WriteHeader(http.StatusNoContent)
}

// find returns the samples of the series with metric name and the labels.
func (rc *receiver) find(name string, labels map[string]string) []prompb.Sample {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []prompb.Sample
	for _, req := range rc.requests {
	series:
		for _, ts := range req.Timeseries {
			got := map[string]string{}
			for i, l := range ts.Labels {
				if i > 0 && ts.Labels[i-1].Name >= l.Name {
					panic("labels not sorted")
				}
				got[l.Name] = l.Value
			}
			if got["__name__"] != name {
				continue
			}
			for k, v := range labels {
				if got[k] != v {
					continue series
				}
			}
			out = append(out, ts.Samples...)
		}
	}
	return out
}

func interval(ops int64) executor.Interval {
	lat := executor.LatencyStats{P50: time.Millisecond, P90: 2 * time.Millisecond, P95: 3 * time.Millisecond, P99: 4 * time.Millisecond, P999: 5 * time.Millisecond, Max: 6 * time.Millisecond}
	get := executor.OpStats{Name: "get", Ops: ops, Errors: 1, Throughput: float64(ops), Latency: lat, ServiceTime: lat, ScheduleLag: executor.LatencyStats{P50: time.Microsecond, P99: 9 * time.Microsecond}}
	set := get
	set.Name = "set"
	total := get
	total.Name, total.Ops, total.Errors = "total", 2*ops, 2
	return executor.Interval{Scenario: "s", Elapsed: time.Second, Length: time.Second, Total: total, Ops: []executor.OpStats{get, set},
		ActiveVUs: 3, Dropped: 2, Resources: &executor.HeapPoint{CPUPercent: 50, RSS: 1 << 20, InUse: 100, Live: 50, GCs: 1, GCPauseMax: time.Millisecond, Goroutines: 7,
			Machine: &executor.Machine{Cores: 2, OtherCPU: fp(120), CPUPressure: fp(30)}}}
}

func TestPushes(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	p, err := Start(Options{URL: srv.URL, Interval: time.Hour, Labels: map[string]string{"job": "perfplan"}})
	if err != nil {
		t.Fatal(err)
	}
	obs := p.Observer("plan", nil).(executor.IntervalObserver)
	obs.Interval(interval(100))
	obs.Interval(interval(50))
	obs.ScenarioEnd(&executor.ScenarioResult{Name: "s", Total: executor.OpStats{Name: "total", Ops: 301, Errors: 4}, Ops: []executor.OpStats{{Name: "get", Ops: 151, Errors: 2}, {Name: "set", Ops: 150, Errors: 2}},
		TargetStats: map[string]float64{"hit_ratio": 0.9}})
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	ops := rc.find("perfplan_operations_total", map[string]string{"plan": "plan", "scenario": "s", "operation": "get", "job": "perfplan"})
	if len(ops) != 3 || ops[0].Value != 100 || ops[1].Value != 150 || ops[2].Value != 151 {
		t.Errorf("get operations: %+v", ops)
	}
	for i := 1; i < len(ops); i++ {
		if ops[i].Timestamp <= ops[i-1].Timestamp {
			t.Error("timestamps not increasing")
		}
	}
	if p99 := rc.find("perfplan_latency_seconds", map[string]string{"operation": "total", "quantile": "0.99"}); len(p99) != 2 || p99[0].Value != 0.004 {
		t.Errorf("total p99: %+v", p99)
	}
	if lag := rc.find("perfplan_schedule_lag_seconds", map[string]string{"operation": "set", "quantile": "0.99"}); len(lag) != 2 || lag[0].Value != 9e-6 {
		t.Errorf("set lag: %+v", lag)
	}
	for _, name := range []string{"perfplan_active_workers", "perfplan_dropped_total", "perfplan_process_cpu_percent", "perfplan_process_resident_memory_bytes",
		"perfplan_go_heap_in_use_bytes", "perfplan_go_gc_pause_max_seconds", "perfplan_go_goroutines", "perfplan_errors_total", "perfplan_throughput_ops", "perfplan_assertions_failed"} {
		if len(rc.find(name, map[string]string{"scenario": "s"})) == 0 {
			t.Errorf("no %s", name)
		}
	}
	if m := rc.find("perfplan_machine_other_cpu_percent", map[string]string{"scenario": "s"}); len(m) != 2 || m[0].Value != 120 {
		t.Errorf("other cpu: %+v", m)
	}
	if m := rc.find("perfplan_machine_pressure_percent", map[string]string{"resource": "cpu", "kind": "some"}); len(m) != 2 || m[0].Value != 30 {
		t.Errorf("cpu pressure: %+v", m)
	}
	// Not measured: no series at all, never 0.
	if m := rc.find("perfplan_machine_steal_percent", map[string]string{"scenario": "s"}); len(m) != 0 {
		t.Errorf("steal pushed though not measured: %+v", m)
	}
	if st := rc.find("perfplan_target_stat", map[string]string{"stat": "hit_ratio"}); len(st) != 1 || st[0].Value != 0.9 {
		t.Errorf("target stat: %+v", st)
	}
	if pushed, dropped := p.Stats(); pushed == 0 || dropped != 0 {
		t.Errorf("pushed %d dropped %d", pushed, dropped)
	}
}

// TestRetry: samples of a push refused with 503 go with the next push, in
// time order; a 400 drops them.
func TestRetry(t *testing.T) {
	rc := &receiver{status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	var warnings []string
	p, err := Start(Options{URL: srv.URL, Interval: time.Hour, Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	obs := p.Observer("plan", nil).(executor.IntervalObserver)
	obs.Interval(interval(1))
	if err := p.Push(context.Background()); err == nil {
		t.Fatal("push to a 503 succeeded")
	}
	obs.Interval(interval(2))
	rc.mu.Lock()
	rc.status = 0
	rc.mu.Unlock()
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	ops := rc.find("perfplan_operations_total", map[string]string{"operation": "get"})
	if len(ops) != 2 || ops[0].Value != 1 || ops[1].Value != 3 {
		t.Errorf("after a retry: %+v", ops)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "503") {
		t.Errorf("warnings %q", warnings)
	}

	rc.status = http.StatusBadRequest
	p, _ = Start(Options{URL: srv.URL, Interval: time.Hour})
	p.Observer("plan", nil).(executor.IntervalObserver).Interval(interval(1))
	if err := p.Close(context.Background()); err == nil {
		t.Error("push to a 400 succeeded")
	}
	if _, dropped := p.Stats(); dropped == 0 {
		t.Error("a refused batch was not dropped")
	}
}

func TestCheckURL(t *testing.T) {
	for _, u := range []string{"http://localhost:9090/api/v1/write", "https://x/api/prom/push"} {
		if err := CheckURL(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"localhost:9090", "ftp://x/y", "/api/v1/write", "http://"} {
		if err := CheckURL(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

// TestPeriodicPush: samples go out every Interval without waiting for
// Close.
func TestPeriodicPush(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	p, err := Start(Options{URL: srv.URL, Interval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	p.Observer("plan", nil).(executor.IntervalObserver).Interval(interval(1))
	deadline := time.Now().Add(time.Minute)
	for len(rc.find("perfplan_operations_total", nil)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing pushed within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestGrafanaDashboard: the example dashboard is valid JSON and queries
// only metrics that perfplan pushes.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile("../../examples/grafana/perfplan-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	names := regexp.MustCompile(`perfplan_[a-z0-9_]+`).FindAllString(string(raw), -1)
	if len(names) < 10 {
		t.Fatalf("the dashboard queries %d perfplan metrics", len(names))
	}
	for _, n := range names {
		if _, _, ok := metricMeta(n); !ok {
			t.Errorf("the dashboard queries %s, which perfplan does not push", n)
		}
	}
}

func fp(v float64) *float64 { return &v }

func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://u:pw@h:9090/api/v1/write": "http://u:xxxxx@h:9090/api/v1/write",
		"http://h:9090/api/v1/write":      "http://h:9090/api/v1/write",
		"http://u:pw@[::1/x":              "http://xxxxx@[::1/x",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
