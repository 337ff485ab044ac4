package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/compare"
	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/internal/chromiumtest"
	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/report/html"
)

// The HTML report's three views, opened in headless Chromium: each page
// must log nothing to the console, carry no script, draw every chart (its
// SVG, as Chromium parsed it, holds a line or point of a series and
// tooltips), load nothing from the network, and show the figures of the
// JSON document.

// TestHTMLRunReportInBrowser runs testdata/report.hcl (an open model with
// two operations, a closed model, a breakpoint search, cache tiers, a
// failing assertion) with --out json and --out html, and checks the page
// against the document.
func TestHTMLRunReportInBrowser(t *testing.T) {
	chromiumtest.Require(t)
	// Frequent GC cycles, so that the scenarios have the three the heap
	// slope needs (the test is not parallel: nothing else runs).
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	dir := t.TempDir()
	jsonPath, htmlPath := filepath.Join(dir, "run.json"), filepath.Join(dir, "run.html")
	code, _, stderr := mainIn(t, nil, "run", "--quiet", "--profile", "--out", "json="+jsonPath, "--out", "html="+htmlPath, "testdata/report.hcl")
	if code != 1 {
		t.Fatalf("run exit %d, want 1 (one assertion fails on purpose)\n%s", code, stderr)
	}
	doc, err := report.ReadDocumentFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	// perfplan report renders the saved document to the same page.
	code, out, stderr := mainIn(t, nil, "report", "--format", "html", jsonPath)
	if code != 0 || out != string(written) {
		t.Errorf("report --format html: exit %d, %d bytes, --out html wrote %d\n%s", code, len(out), len(written), stderr)
	}
	if len(written) > 1<<20 {
		t.Errorf("the report is %d KB", len(written)>>10)
	}
	page := chromiumtest.Open(t, htmlPath, 1280, 2400)
	page.CheckClean(t)
	checkRunPage(t, page, doc)
}

// checkRunPage checks that the page shows the document's figures.
func checkRunPage(t *testing.T, page *chromiumtest.Page, doc *report.Document) {
	t.Helper()
	if got := page.Text(t, "verdict"); !strings.HasPrefix(got, "FAIL") {
		t.Errorf("verdict %q, want FAIL", got)
	}
	p := doc.Plans[0]
	score, word := report.Grade(p)
	if got := page.Text(t, "p0-grade"); got != report.Number(score) {
		t.Errorf("grade %q, want %s (%s)", got, report.Number(score), word)
	}
	lat := func(o report.OpDoc, ns int64) string {
		s := report.Duration(time.Duration(ns))
		if o.LatencyLowerBound {
			s = "≥" + s
		}
		return s
	}
	cells := func(id string, o report.OpDoc) {
		want := map[string]string{
			"ops": strconv.FormatInt(o.Ops, 10), "throughput": report.Rate(o.Throughput),
			"errors": strconv.FormatInt(o.Errors, 10), "error-rate": report.Percent(o.ErrorRate),
			"p50": lat(o, o.Latency.P50), "p95": lat(o, o.Latency.P95), "p99": lat(o, o.Latency.P99),
			"p999": lat(o, o.Latency.P999), "max": lat(o, o.Latency.Max),
		}
		if o.ScheduleLag != nil {
			want["lag-p99"] = report.Duration(time.Duration(o.ScheduleLag.P99))
		}
		for col, w := range want {
			if got := page.Text(t, id+"-"+col); got != w {
				t.Errorf("%s-%s = %q, the document says %q", id, col, got, w)
			}
		}
	}
	sawSoak, sawBreakpoint, sawGrid, sawFlame := false, false, false, false
	for j, s := range p.Scenarios {
		sid := fmt.Sprintf("p0-s%d", j)
		cells(sid+"-total", s.Total)
		if len(s.Ops) > 1 {
			for k, o := range s.Ops {
				cells(fmt.Sprintf("%s-o%d", sid, k), o)
			}
		}
		// The throughput chart plots the document's series (ChartSeries
		// merges a last interval of a few milliseconds into the one
		// before): one value per interval, the largest as in the series.
		thr := sid + "-throughput"
		series, _ := html.ChartSeries(s.Series)
		if len(series) < len(s.Series)-1 || len(series) == 0 {
			t.Errorf("%s: %d of %d intervals charted", thr, len(series), len(s.Series))
		}
		if got := page.Float(t, thr, "data-points"); int(got) != len(series) {
			t.Errorf("%s: %v points, the series has %d intervals", thr, got, len(series))
		}
		peak := 0.0
		for _, pt := range series {
			peak = math.Max(peak, pt.Throughput)
		}
		if got := page.Float(t, thr, "data-ymax"); math.Abs(got-peak) > 1e-6*peak {
			t.Errorf("%s: peak %v, the document's is %v", thr, got, peak)
		}
		for _, kind := range []string{"latency", "errors", "workers", "cpu", "heap", "spectrum"} {
			if !page.Has(sid + "-" + kind) {
				t.Errorf("scenario %s has no %s chart", s.Name, kind)
			}
		}
		if s.Breakpoint != nil {
			sawBreakpoint = true
			if !page.Has(sid + "-breakpoint") {
				t.Errorf("scenario %s: no breakpoint chart", s.Name)
			}
			want := report.UnitRate(s.Breakpoint.BreakingPoint, s.Breakpoint.TimeUnit)
			if s.Breakpoint.Broke && s.Breakpoint.BreakingPoint == 0 {
				want = "< start_rate"
			}
			if got := page.Text(t, sid+"-bp-0"); !strings.Contains(got, want) {
				t.Errorf("breaking point %q, the document says %s", got, want)
			}
		}
		if r := s.Resources; r != nil && r.Soak.HeapSamples >= 3 {
			// The soak chart needs a scenario of report.MinSoakDuration
			// (not a breakpoint search); a shorter one must not have it.
			if time.Duration(s.ElapsedNS) >= report.MinSoakDuration && s.Breakpoint == nil {
				sawSoak = true
				if !page.Has(sid + "-soak") {
					t.Errorf("scenario %s: %d GC cycles but no heap slope chart", s.Name, r.Soak.HeapSamples)
				}
			} else if page.Has(sid + "-soak") {
				t.Errorf("scenario %s: a heap slope chart for a scenario of %s", s.Name, time.Duration(s.ElapsedNS))
			}
		}
		// Run with --profile: each scenario with CPU samples has its
		// flame graph, a frame a function, drawn as Chromium parsed it.
		if s.Profile != nil && len(s.Profile.CPU) > 0 {
			id := sid + "-flame"
			svg := page.ChartSVG(id)
			if frames := page.Float(t, id, "data-frames"); frames < 3 || strings.Count(svg, "<rect") != int(frames) || !strings.Contains(svg, "<title>") {
				t.Errorf("%s: flame graph of %v frames, %d drawn:\n%.400s", s.Name, frames, strings.Count(svg, "<rect"), svg)
			}
			sawFlame = true
		}
		if v, ok := s.TargetStats["l1_hits"]; ok {
			sawGrid = true
			if got := page.Text(t, sid+"-stat-l1-hits"); got != report.Number(v) {
				t.Errorf("%s l1 hits %q, the document says %s", s.Name, got, report.Number(v))
			}
		}
	}
	if !sawBreakpoint || !sawGrid || !sawFlame {
		t.Errorf("breakpoint view %v, tier grid %v, flame graph %v: the plan should show all three", sawBreakpoint, sawGrid, sawFlame)
	}
	if !sawSoak {
		t.Log("no scenario lasted a minute with three GC cycles: the heap slope chart's presence was not checked")
	}
	k := 0
	for _, s := range p.Scenarios {
		for _, a := range s.Assertions {
			id := fmt.Sprintf("p0-a%d", k)
			k++
			want := "PASS"
			if !a.Passed {
				want = "FAIL"
			}
			if got := page.Text(t, id+"-result"); got != want {
				t.Errorf("%s %q: %q, the document says %s", id, a.Condition, got, want)
			}
			score := math.Round(report.AssertionScore(a)*10) / 10
			if got := page.Text(t, id+"-score"); got != report.Number(score) {
				t.Errorf("%s score %q, want %s", id, got, report.Number(score))
			}
		}
	}
}

// syntheticDoc is a run of plan "svc" with one open-model scenario of n
// one-second intervals whose p99 is about scale × 2ms, with a histogram.
func syntheticDoc(seed uint64, start time.Time, n int, scale float64) *report.Document {
	rng := rand.New(rand.NewPCG(seed, 7))
	h := hdrhistogram.New(1, int64(time.Minute), 3)
	var series []report.SeriesDoc
	var ops int64
	for i := range n {
		ih := hdrhistogram.New(1, int64(time.Minute), 3)
		for range 1000 {
			v := int64(scale * 200e3 * math.Exp(rng.NormFloat64()))
			ih.RecordValue(v)
		}
		h.Merge(ih)
		ops += 1000
		series = append(series, report.SeriesDoc{OffsetNS: int64(i+1) * int64(time.Second), Ops: 1000, Throughput: 1000 + 10*rng.NormFloat64(),
			P50NS: ih.ValueAtQuantile(50), P90NS: ih.ValueAtQuantile(90), P95NS: ih.ValueAtQuantile(95), P99NS: ih.ValueAtQuantile(99), MaxNS: ih.Max(), ActiveVUs: 4})
	}
	enc, _ := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	l := report.LatencyDoc{Min: h.Min(), Mean: int64(h.Mean()), P50: h.ValueAtQuantile(50), P75: h.ValueAtQuantile(75), P90: h.ValueAtQuantile(90),
		P95: h.ValueAtQuantile(95), P99: h.ValueAtQuantile(99), P999: h.ValueAtQuantile(99.9), Max: h.Max()}
	end := start.Add(time.Duration(n) * time.Second)
	total := report.OpDoc{Name: "total", Ops: ops, Throughput: float64(ops) / float64(n), Latency: l, ServiceTime: l, Histogram: string(enc)}
	return &report.Document{
		SchemaVersion: report.SchemaVersion, Tool: report.Tool{Name: "perfplan", Version: "test", DurationScale: 1},
		Environment: report.Environment{GitCommit: fmt.Sprintf("%040x", seed), GoVersion: "go1.26", OS: "linux", Arch: "amd64", Cores: 2},
		Start:       start, End: end, Passed: true,
		Plans: []report.PlanDoc{{Name: "svc", File: "svc.hcl", Start: start, End: end, Passed: true, Scenarios: []report.ScenarioDoc{{
			Name: "steady", Executor: "constant-arrival-rate", Start: start, End: end, ElapsedNS: int64(end.Sub(start)),
			Total: total, Ops: []report.OpDoc{total}, Series: series, Assertions: []report.AssertionDoc{}, VUsMax: 4,
		}}}},
	}
}

func writeDoc(t *testing.T, path string, d *report.Document) {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHTMLCompareReportInBrowser compares two runs whose p99 differs by
// half: the page marks the regression with its severity, overlays both
// runs, and shows the comparison's figures.
func TestHTMLCompareReportInBrowser(t *testing.T) {
	chromiumtest.Require(t)
	dir := t.TempDir()
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	base, next := syntheticDoc(1, t0, 60, 1), syntheticDoc(2, t0.Add(time.Hour), 60, 1.6)
	basePath, newPath, htmlPath := filepath.Join(dir, "base.json"), filepath.Join(dir, "new.json"), filepath.Join(dir, "compare.html")
	writeDoc(t, basePath, base)
	writeDoc(t, newPath, next)
	code, out, stderr := mainIn(t, nil, "compare", "--format", "html", basePath, newPath)
	if code != 1 {
		t.Fatalf("compare exit %d, want 1 (a regression)\n%s", code, stderr)
	}
	if err := os.WriteFile(htmlPath, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := compare.Compare(base, next, compare.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	page := chromiumtest.Open(t, htmlPath, 1280, 1800)
	page.CheckClean(t)
	if got := page.Text(t, "verdict"); got != "REGRESSION" {
		t.Errorf("verdict %q, want REGRESSION", got)
	}
	severe := false
	for i, row := range res.Rows {
		id := fmt.Sprintf("cmp-r%d", i)
		verdict := row.Verdict()
		if row.Failing {
			verdict += " (fails)"
		}
		for col, want := range map[string]string{"delta": row.DeltaString(), "verdict": verdict} {
			if got := page.Text(t, id+"-"+col); got != want {
				t.Errorf("%s %s %s: %q, the comparison says %q", row.Scenario, row.Metric.Name, col, got, want)
			}
		}
		severe = severe || row.Metric.Name == "p99" && row.Severity >= compare.High
	}
	if !severe {
		t.Errorf("a p99 60%% higher is not rated High or Critical: %+v", res.Rows)
	}
	for _, kind := range []string{"throughput", "latency", "spectrum"} {
		id := "c0-s0-" + kind
		if got := page.Attr(id, "data-series"); kind != "latency" && got != "2" {
			t.Errorf("%s overlays %q series, want base and new", id, got)
		}
	}
	if got := page.Float(t, "c0-s0-throughput", "data-points"); int(got) != 120 {
		t.Errorf("throughput overlay plots %v values, want 60 per side", got)
	}
}

// TestHTMLHistoryReportInBrowser records twelve runs whose p99 shifts
// after the sixth, and checks the history view: the series, its change
// point and the latest value.
func TestHTMLHistoryReportInBrowser(t *testing.T) {
	chromiumtest.Require(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	store, err := history.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var last *report.Document
	for i := range 12 {
		scale := 1.0
		if i >= 6 {
			scale = 1.6
		}
		last = syntheticDoc(uint64(10+i), t0.Add(time.Duration(i)*time.Hour), 10, scale)
		if err := store.Append(context.Background(), last); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	code, out, stderr := mainIn(t, nil, "history", "--history", db, "--format", "html", "--metric", "latency.p99", "--metric", "throughput", "svc")
	if code != 0 {
		t.Fatalf("history exit %d\n%s", code, stderr)
	}
	htmlPath := filepath.Join(dir, "history.html")
	if err := os.WriteFile(htmlPath, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	page := chromiumtest.Open(t, htmlPath, 1280, 1200)
	page.CheckClean(t)
	charts := page.Charts()
	if len(charts) != 2 {
		t.Fatalf("charts %v, want latency.p99 and throughput", charts)
	}
	// The metrics are in name order: latency.p99, then throughput.
	p99 := float64(last.Plans[0].Scenarios[0].Total.Latency.P99) / 1e6
	if got := page.Text(t, "h0-m0-last"); got != report.FormatMetric("latency.p99", p99) {
		t.Errorf("latest p99 %q, the last document says %s", got, report.FormatMetric("latency.p99", p99))
	}
	if got := page.Float(t, "h0-m0", "data-points"); got != 24 {
		t.Errorf("p99 chart plots %v values, want 12 runs and their trend", got)
	}
	if !page.Has("h0-changes") || !strings.Contains(page.Text(t, "verdict"), "CHANGE POINT") {
		t.Errorf("the p99 shift after run 6 is not marked: verdict %q", page.Text(t, "verdict"))
	}
	if !bytes.Contains([]byte(out), []byte("shift +")) {
		t.Error("no change point marker in the chart data")
	}
}
