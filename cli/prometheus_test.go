package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/report/promwrite"
	"github.com/perfplan/perfplan/targets/builtin"
)

// startPrometheus starts Debian's prometheus on a free loopback port with
// its remote-write receiver and a temporary storage directory, and returns
// its base URL. Without prometheus the test is skipped, or fails when
// PERFPLAN_REQUIRE_PROMETHEUS is set.
func startPrometheus(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("PERFPLAN_REQUIRE_PROMETHEUS") != "" {
			t.Fatal("prometheus not on PATH and PERFPLAN_REQUIRE_PROMETHEUS is set")
		}
		t.Skip("prometheus not on PATH (apt-get install prometheus); set PERFPLAN_REQUIRE_PROMETHEUS to fail instead")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global:\n  scrape_interval: 1m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	// The receiver is a flag since Prometheus 2.33, a feature flag before.
	receiver := "--web.enable-remote-write-receiver"
	if help, _ := exec.Command(bin, "--help").CombinedOutput(); !bytes.Contains(help, []byte(receiver)) {
		receiver = "--enable-feature=remote-write-receiver"
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, receiver, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case <-exited:
			t.Fatalf("prometheus exited:\n%s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready at %s:\n%s", base, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// promQuery runs an instant query and returns each series' labels and value.
func promQuery(t *testing.T, base, query string) []promSeries {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		t.Fatalf("query %s: %v\n%s", query, err, body)
	}
	var out []promSeries
	for _, s := range r.Data.Result {
		v, _ := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
		out = append(out, promSeries{labels: s.Metric, value: v})
	}
	return out
}

type promSeries struct {
	labels map[string]string
	value  float64
}

// TestPrometheusRemoteWrite runs a plan with --out prometheus=URL against a
// real Prometheus and finds perfplan's series through its HTTP API: each
// scenario's and operation's operation count as in the run document,
// pushed during the run as well as at its end, with latency quantiles,
// workers, drops and resources.
func TestPrometheusRemoteWrite(t *testing.T) {
	t0 := time.Now()
	base := startPrometheus(t)
	t.Logf("prometheus ready after %v", time.Since(t0))
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "run.json")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), Env{
		Args:     []string{"run", "--quiet", "--out", "json=" + jsonPath, "--out", "prometheus=" + base + "/api/v1/write", "testdata/report.hcl"},
		Registry: builtin.Registry(), Stdout: &stdout, Stderr: &stderr,
		Environ: []string{"PERFPLAN_HISTORY=" + filepath.Join(dir, "history.db"), pushIntervalEnv + "=500ms"},
	})
	t.Logf("run done after %v", time.Since(t0))
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1 (one assertion fails on purpose)\n%s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), "warning") || !strings.Contains(stderr.String(), "pushed ") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	doc, err := report.ReadDocumentFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, s := range promQuery(t, base, `perfplan_operations_total{plan="report",job="perfplan"}`) {
		got[s.labels["scenario"]+"/"+s.labels["operation"]] = s.value
	}
	for _, s := range doc.Plans[0].Scenarios {
		if v, ok := got[s.Name+"/total"]; !ok || v != float64(s.Total.Ops) {
			t.Errorf("%s: perfplan_operations_total %v (found %v), the document says %d", s.Name, v, ok, s.Total.Ops)
		}
		if len(s.Ops) > 1 {
			for _, o := range s.Ops {
				if v := got[s.Name+"/"+o.Name]; v != float64(o.Ops) {
					t.Errorf("%s/%s: perfplan_operations_total %v, the document says %d", s.Name, o.Name, v, o.Ops)
				}
			}
		}
	}
	// The scenario "rate" was pushed at each snapshot as well as at its
	// end: its resource samples are one per snapshot and a last one at
	// the end, as many.
	for _, s := range doc.Plans[0].Scenarios {
		if s.Name != "rate" || s.Resources == nil {
			continue
		}
		want := float64(len(s.Resources.Heap))
		if n := promQuery(t, base, `count_over_time(perfplan_operations_total{plan="report",scenario="rate",operation="total"}[1h])`); len(n) != 1 || n[0].value != want {
			t.Errorf("samples of rate's operation count: %+v, want %v: one per snapshot and one at the end", n, want)
		}
		if want < 2 {
			t.Logf("rate had no snapshot before its end (%v resource samples): pushes during the run not seen", want)
		}
	}
	for _, q := range []string{
		`perfplan_latency_seconds{plan="report",scenario="rate",operation="get",quantile="0.99"}`,
		`perfplan_schedule_lag_seconds{plan="report",scenario="rate",quantile="0.99"}`,
		`perfplan_throughput_ops{plan="report",scenario="closed"}`,
		`perfplan_active_workers{plan="report",scenario="search"}`,
		`perfplan_dropped_total{plan="report"}`,
		`perfplan_errors_total{plan="report"}`,
		`perfplan_process_cpu_percent{plan="report"}`,
		`perfplan_go_heap_in_use_bytes{plan="report"}`,
		`perfplan_target_stat{plan="report",scenario="rate",stat="l1_hits"}`,
		`perfplan_assertions_failed{plan="report",scenario="rate"} == 1`,
	} {
		if len(promQuery(t, base, q)) == 0 {
			t.Errorf("no series for %s", q)
		}
	}
}

// TestPrometheusOutFlag: a URL that is not one is a usage error before
// anything runs; an endpoint that refuses connections is a warning, and
// the run's verdict stands.
func TestPrometheusOutFlag(t *testing.T) {
	dir := t.TempDir()
	mainArgs := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), Env{Args: args, Registry: builtin.Registry(), Stdout: &stdout, Stderr: &stderr,
			Environ: []string{"PERFPLAN_HISTORY=" + filepath.Join(dir, "history.db")}})
		return code, stderr.String()
	}
	if code, stderr := mainArgs("run", "--quiet", "--out", "prometheus=localhost:9090", "testdata/vars.hcl"); code != ExitUsage || !strings.Contains(stderr, "http://") {
		t.Errorf("bad URL: exit %d\n%s", code, stderr)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/api/v1/write"
	l.Close()
	code, stderr := mainArgs("run", "--quiet", "--out", "prometheus="+closed, "testdata/vars.hcl")
	if code != ExitOK || !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "refused") {
		t.Errorf("unreachable endpoint: exit %d\n%s", code, stderr)
	}
}

// TestPrometheusPasswordMasked: the password of a remote-write URL is in
// no line perfplan prints, whether the endpoint takes the samples, refuses
// them or cannot be reached, nor in the result files.
func TestPrometheusPasswordMasked(t *testing.T) {
	dir := t.TempDir()
	const secret = "promPW987"
	var mu sync.Mutex
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	for _, tc := range []struct {
		name, host string
		status     int
		want       string
	}{
		{"accepted", strings.TrimPrefix(srv.URL, "http://"), http.StatusNoContent, "pushed"},
		{"refused", strings.TrimPrefix(srv.URL, "http://"), http.StatusBadRequest, "400"},
		{"unreachable", closed, 0, "refused"},
		{"bad URL", "[::1", 0, "prometheus="},
	} {
		mu.Lock()
		status = tc.status
		mu.Unlock()
		jsonPath := filepath.Join(dir, "out.json")
		var stdout, stderr bytes.Buffer
		Main(context.Background(), Env{Args: []string{"run", "--out", "json=" + jsonPath,
			"--out", "prometheus=http://puser:" + secret + "@" + tc.host + "/api/v1/write", "testdata/vars.hcl"},
			Registry: builtin.Registry(), Stdout: &stdout, Stderr: &stderr,
			Environ: []string{"PERFPLAN_HISTORY=" + filepath.Join(dir, "history.db")}})
		out := stdout.String() + stderr.String()
		doc, _ := os.ReadFile(jsonPath)
		if strings.Contains(out, secret) || strings.Contains(string(doc), secret) || !strings.Contains(out, tc.want) {
			t.Errorf("%s: the password is printed, or %q is not:\n%s", tc.name, tc.want, out)
		}
	}
}

func TestPushInterval(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value string
		want  time.Duration
		err   bool
	}{
		{"", promwrite.DefaultInterval, false},
		{"500ms", 500 * time.Millisecond, false},
		{"1h", time.Hour, false},
		{"fast", 0, true},
		{"50ms", 0, true},
		{"2h", 0, true},
	} {
		got, err := pushInterval(Env{Environ: []string{pushIntervalEnv + "=" + tc.value}})
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%q: %v, %v; want %v (error %v)", tc.value, got, err, tc.want, tc.err)
		}
	}
}
