package report

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"flag"
	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/executor"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixtureDocument is a fixed run document: a plan with two scenarios (one
// with two operations and target statistics), passing and failing
// assertions, and a plan that failed to start. The assertions of "steady"
// record their comparisons; the others do not, as in documents written
// before comparisons were recorded, so the grade compiles them again.
func fixtureDocument() *Document {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ms := int64(time.Millisecond)
	lat := func(p50 int64) LatencyDoc {
		return LatencyDoc{Min: p50 / 4, Mean: p50 * 11 / 10, StdDev: p50 / 3, P50: p50, P75: p50 * 13 / 10, P90: p50 * 16 / 10,
			P95: p50 * 2, P99: p50 * 3, P999: p50 * 5, Max: p50 * 8}
	}
	return &Document{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "perfplan", Version: "v0.1.0", DurationScale: 1},
		Environment: Environment{GitCommit: "0123456789abcdef0123456789abcdef01234567", GoVersion: "go1.26.0", OS: "linux", Arch: "amd64",
			CPU: "Test CPU @ 3.0GHz", Cores: 2, Host: "ci-host"},
		Start: t0, End: t0.Add(40 * time.Second), Passed: false, ExitCode: 1,
		Plans: []PlanDoc{
			{
				Name: "cache-read-heavy", File: "plans/cache.hcl", Hash: "sha256:abc",
				Variables: map[string]any{"rate": 5000.0},
				Start:     t0, End: t0.Add(30 * time.Second), Passed: false,
				Scenarios: []ScenarioDoc{
					{
						Name: "steady", Executor: "ramping-arrival-rate", Start: t0, End: t0.Add(25 * time.Second),
						ElapsedNS: int64(25 * time.Second), VUsMax: 12, Dropped: 3,
						RunnerSaturated: "schedule lag p99 1.20ms: iterations started late",
						Total: OpDoc{Name: "(all)", Ops: 125000, Errors: 25, ErrorRate: 0.0002, Throughput: 5000, Latency: lat(ms), ServiceTime: lat(ms * 9 / 10),
							ScheduleLag: ptrLat(lat(ms / 10)), Omitted: 3, LatencyLowerBound: true},
						Ops: []OpDoc{
							{Name: "get", Ops: 112500, Errors: 20, ErrorRate: 20.0 / 112500, Throughput: 4500, Latency: lat(ms * 9 / 10), ScheduleLag: ptrLat(lat(ms / 10)), Omitted: 2, LatencyLowerBound: true},
							{Name: "set", Ops: 12500, Errors: 5, ErrorRate: 0.0004, Throughput: 500, Latency: lat(2 * ms), ScheduleLag: ptrLat(lat(ms / 10)), Omitted: 1, LatencyLowerBound: true},
						},
						TargetStats: cacheStats(),
						Assertions: []AssertionDoc{
							{Condition: `latency.p99 < duration("5ms")`, ErrorMessage: "p99 read latency above 5ms", Pos: "plans/cache.hcl:40,5", Passed: true,
								Observed:    map[string]float64{"latency.p99": 3},
								Comparisons: []ComparisonDoc{{Left: "latency.p99", LeftValue: 3, Op: "<", Right: `duration("5ms")`, RightValue: 5, Held: true}}},
							{Condition: `target.hit_ratio >= 0.95 && error_rate < 0.001`, Passed: true,
								Observed: map[string]float64{"target.hit_ratio": 0.962, "error_rate": 0.0002},
								Comparisons: []ComparisonDoc{
									{Left: "target.hit_ratio", LeftValue: 0.962, Op: ">=", Right: "0.95", RightValue: 0.95, Held: true},
									{Left: "error_rate", LeftValue: 0.0002, Op: "<", Right: "0.001", RightValue: 0.001, Held: true},
								}},
							{Condition: `op["set"].latency.p99 < 5`, ErrorMessage: "set | p99 too slow", Passed: false,
								Observed:    map[string]float64{"op.set.latency.p99": 6},
								Comparisons: []ComparisonDoc{{Left: `op["set"].latency.p99`, LeftValue: 6, Op: "<", Right: "5", RightValue: 5}},
								Notes:       []string{"latency is a lower bound: 3 iterations were dropped with every worker up to max_vus busy"}},
						},
					},
					{
						Name: "burst", Executor: "constant-vus", Start: t0.Add(25 * time.Second), End: t0.Add(30 * time.Second),
						ElapsedNS: int64(5 * time.Second), VUsMax: 4,
						Stall: &executor.Stall{Longest: time.Second, Interval: 500 * time.Microsecond, Count: 4, Threshold: 25 * time.Millisecond},
						Total: OpDoc{Name: "(all)", Ops: 40000, Throughput: 8000, Latency: lat(ms / 2), Corrected: ptrLat(lat(ms * 3))},
						Ops:   []OpDoc{{Name: "get", Ops: 40000, Throughput: 8000, Latency: lat(ms / 2), Corrected: ptrLat(lat(ms * 3))}},
						Assertions: []AssertionDoc{
							{Condition: `throughput > var.min_rate`, Passed: true, Observed: map[string]float64{"throughput": 8000}},
						},
					},
					{
						Name: "stress", Executor: "breakpoint", Start: t0.Add(30 * time.Second), End: t0.Add(38 * time.Second),
						ElapsedNS: int64(8 * time.Second), VUsMax: 60, Dropped: 4,
						Total: OpDoc{Name: "(all)", Ops: 2800, Throughput: 350, Latency: lat(20 * ms), ServiceTime: lat(20 * ms)},
						Ops:   []OpDoc{{Name: "op", Ops: 2800, Throughput: 350, Latency: lat(20 * ms), ServiceTime: lat(20 * ms)}},
						Breakpoint: &executor.BreakpointResult{
							StopWhen: `latency.p99 > duration("60ms")`, TimeUnit: time.Second, Broke: true, Reason: executor.ReasonCondition,
							BreakingPoint: 400, PeakRate: 420, BrokeAt: 7 * time.Second, RecoveryRate: 200, Recovered: true,
							RecoveryTime: 500 * time.Millisecond, Stability: 11.0 / 12, Intervals: 12, Failed: 1,
							Steps: []executor.BreakpointStep{
								{Phase: "search", Rate: 380, Start: 0, End: 6 * time.Second, Ops: 2280, Throughput: 380, P99: 26 * time.Millisecond, Intervals: 12, Failed: 1},
								{Phase: "search", Rate: 420, Start: 6 * time.Second, End: 7 * time.Second, Ops: 379, Throughput: 379, P99: 128 * time.Millisecond, Dropped: 4, Intervals: 2, Failed: 2},
								{Phase: "recovery", Rate: 200, Start: 7 * time.Second, End: 8 * time.Second, Ops: 141, Errors: 1, Throughput: 141, P99: 150 * time.Millisecond, Intervals: 2, Failed: 1},
							},
						},
						Assertions: []AssertionDoc{
							{Condition: `breaking_point >= 300 && recovery_time < duration("2s")`, Passed: true,
								Observed: map[string]float64{"breaking_point": 400, "recovery_time": 500}},
						},
					},
				},
			},
			{Name: "redis-down", File: "plans/redis.hcl", Error: "target redis.main: dial tcp 127.0.0.1:6390: connection refused", Scenarios: []ScenarioDoc{}},
		},
	}
}

func ptrLat(l LatencyDoc) *LatencyDoc { return &l }

// cacheStats are the target statistics of a two-tier cache (its l3 not
// configured), as the cache target reports them.
func cacheStats() map[string]float64 {
	return map[string]float64{
		"hits": 108225, "misses": 4275, "hit_ratio": 0.962, "evictions": 1200, "promotions": 8225, "entries": 62000,
		"l1_hits": 100000, "l1_misses": 12500, "l1_hit_ratio": 0.8889, "l1_evictions": 1150, "l1_promotions": 8225, "l1_entries": 10000,
		"l2_hits": 8225, "l2_misses": 4275, "l2_hit_ratio": 0.658, "l2_evictions": 50, "l2_promotions": 0, "l2_entries": 52000,
		"l3_hits": 0, "l3_misses": 0, "l3_hit_ratio": 0, "l3_evictions": 0, "l3_promotions": 0, "l3_entries": 0,
		"loads": 0, "load_errors": 0, "load_dropped": 0, "load_waits": 0, "not_found": 0, "negative_hits": 0,
		"redis_errors": 0, "sets": 12500, "deletes": 0, "corrupt": 0, "heap_growth_bytes": 31457280,
		"l3_timeouts": 0, "l3_bypassed": 0, "l3_breaker_opens": 0, "l3_breaker_closes": 0, "l3_breaker_state": 0,
	}
}

// interruptedDocument is fixtureDocument interrupted by a signal during its
// last scenario ("stress"), after "steady" was aborted by an abort_on_fail
// assertion; the plan that failed to start comes before the interrupted one.
func interruptedDocument() *Document {
	d := fixtureDocument()
	d.Interrupted, d.ExitCode = true, 3
	d.Plans[0], d.Plans[1] = d.Plans[1], d.Plans[0]
	p := &d.Plans[1]
	p.Interrupted = true
	steady := &p.Scenarios[0]
	steady.Aborted, steady.AbortReason = true, "set | p99 too slow"
	steady.Assertions[2].AbortOnFail, steady.Assertions[2].Aborted = true, true
	steady.Assertions[2].AbortComparisons = []ComparisonDoc{{Left: `op["set"].latency.p99`, LeftValue: 5.5, Op: "<", Right: "5", RightValue: 5}}
	stress := &p.Scenarios[2]
	stress.Interrupted = true
	stress.Assertions = append(stress.Assertions, AssertionDoc{Condition: `error_rate < 0.01`, ErrorMessage: "too many errors", Passed: false,
		Observed: map[string]float64{"error_rate": 0.02}})
	return d
}

// interruptedWithoutAssertionsDocument has one plan, interrupted during a
// scenario without assertions, and a second plan marked interrupted although
// its scenarios finished (the signal came as it ended).
func interruptedWithoutAssertionsDocument() *Document {
	d := fixtureDocument()
	d.Interrupted, d.ExitCode = true, 3
	a := d.Plans[0]
	a.Name, a.Scenarios = "no-asserts", a.Scenarios[1:2]
	a.Scenarios[0].Assertions = []AssertionDoc{}
	a.Scenarios[0].Interrupted = true
	a.Interrupted = true
	b := fixtureDocument().Plans[0]
	b.Name, b.Scenarios = "signal-at-end", b.Scenarios[1:2]
	b.Interrupted = true
	d.Plans = []PlanDoc{a, b}
	return d
}

// betweenPlansDocument is fixtureDocument interrupted between its plans:
// no plan is marked, but the document is.
func betweenPlansDocument() *Document {
	d := fixtureDocument()
	d.Interrupted, d.ExitCode = true, 3
	return d
}

// inconclusiveDocument is fixtureDocument's first plan alone, run beside a
// busy neighbour: its failed assertion is inconclusive, the machine's
// figures and the interference are recorded, and the run exits 6.
func inconclusiveDocument() *Document {
	d := fixtureDocument()
	d.ExitCode, d.Verdict = 6, executor.VerdictInconclusive
	d.Plans = d.Plans[:1]
	p := &d.Plans[0]
	p.Verdict = executor.VerdictInconclusive
	steady := &p.Scenarios[0]
	a := &steady.Assertions[2]
	a.Verdict = executor.VerdictInconclusive
	a.Inconclusive = "holds once measured interference is allowed for (wake-ups late by up to 18.00ms, p99 4.00ms; 30 pauses of the process, 210.00ms in all): other processes used up to 180% CPU of 2 cores (25 of 25 intervals)"
	f := func(v float64) *float64 { return &v }
	steady.Resources = &executor.Resources{CPUPercent: 60, RSSPeak: 40 << 20, HeapInUsePeak: 10 << 20,
		Machine: &executor.Machine{Cores: 2, CPUPressure: f(85), Steal: f(0), OtherCPU: f(170), IOPressure: f(1)}}
	steady.Interference = &executor.Interference{Intervals: 25, Disturbed: 25,
		Reasons: []string{"other processes used up to 180% CPU of 2 cores (25 of 25 intervals)"},
		Jitter:  100 * time.Microsecond, PauseFloor: 2 * time.Millisecond, WakeP50: 80 * time.Microsecond,
		WakeP99: 4 * time.Millisecond, WakeMax: 18 * time.Millisecond, Pauses: 30, PauseTotal: 210 * time.Millisecond}
	for i := range p.Scenarios[1:] {
		for j := range p.Scenarios[1+i].Assertions {
			p.Scenarios[1+i].Assertions[j].Passed = true
		}
	}
	return d
}

// fixtures are the documents of the golden files, by file name prefix.
var fixtures = []struct {
	name string
	doc  func() *Document
}{
	{"golden", fixtureDocument},
	{"interrupted", interruptedDocument},
	{"interrupted-no-asserts", interruptedWithoutAssertionsDocument},
	{"interrupted-between-plans", betweenPlansDocument},
	{"inconclusive", inconclusiveDocument},
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func TestGoldenFormats(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures {
		for name, write := range Writers() {
			ext := map[string]string{"json": "json", "table": "txt", "markdown": "md", "csv": "csv", "junit": "xml"}[name]
			t.Run(fx.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				var b bytes.Buffer
				d := fx.doc()
				if name != "json" {
					// As the CLI reads a document: the fixtures'
					// assertions are older ones, without comparisons.
					d.Recompile(dsl.Conditions{})
				}
				if err := write(d, &b); err != nil {
					t.Fatal(err)
				}
				golden(t, fx.name+"."+ext, b.Bytes())
			})
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteJSON(&b, fixtureDocument()); err != nil {
		t.Fatal(err)
	}
	d, err := ReadDocument(&b)
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := WriteDocumentTables(&again, d, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	var direct bytes.Buffer
	if err := WriteDocumentTables(&direct, fixtureDocument(), TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if again.String() != direct.String() {
		t.Errorf("tables from the decoded document differ:\n%s\nvs\n%s", again.String(), direct.String())
	}
}

func TestReadDocumentErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"not json", "plans:", "decode run document"},
		{"no version", `{"plans":[]}`, "no schema_version"},
		{"newer", `{"schema_version": 99}`, "newer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadDocument(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestCSVShape(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteCSV(&b, fixtureDocument()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// header + steady (all,get,set) + burst (all,get) + stress (all,op) + failed plan
	if len(rows) != 1+3+2+2+1 {
		t.Fatalf("got %d rows, want 9", len(rows))
	}
	for i, r := range rows {
		if len(r) != len(CSVHeader()) {
			t.Errorf("row %d has %d fields, want %d", i, len(r), len(CSVHeader()))
		}
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if got := rows[1][col["latency_p99_ns"]]; got != strconv.FormatInt(3*int64(time.Millisecond), 10) {
		t.Errorf("p99 = %s", got)
	}
	if got := rows[8][col["passed"]]; got != "false" {
		t.Errorf("failed plan passed = %s", got)
	}
}

// TestCSVStatus checks the status column: error for a plan that could not
// run, interrupted on every row of an interrupted plan, aborted for a
// scenario stopped by abort_on_fail, ok otherwise.
func TestCSVStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		doc  *Document
		want map[string]string // "plan/scenario" → status
	}{
		{"complete", fixtureDocument(), map[string]string{
			"cache-read-heavy/steady": "ok", "cache-read-heavy/burst": "ok", "cache-read-heavy/stress": "ok", "redis-down/": "error"}},
		{"interrupted", interruptedDocument(), map[string]string{
			"cache-read-heavy/steady": "interrupted", "cache-read-heavy/burst": "interrupted", "cache-read-heavy/stress": "interrupted", "redis-down/": "error"}},
		{"aborted", func() *Document {
			d := fixtureDocument()
			d.Plans[0].Scenarios[0].Aborted = true
			return d
		}(), map[string]string{
			"cache-read-heavy/steady": "aborted", "cache-read-heavy/burst": "ok", "cache-read-heavy/stress": "ok", "redis-down/": "error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := WriteCSV(&b, tc.doc); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(&b).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			header := rows[0]
			if header[len(header)-1] != "status" {
				t.Fatalf("last column %q, want status", header[len(header)-1])
			}
			for _, r := range rows[1:] {
				key := r[0] + "/" + r[2]
				if got := r[len(r)-1]; got != tc.want[key] {
					t.Errorf("%s (op %s): status %q, want %q", key, r[4], got, tc.want[key])
				}
			}
		})
	}
}

// TestJUnitStructure decodes the JUnit XML generically and checks it against
// the Ant/Jenkins junit-10 schema's structure: element nesting, required
// attributes, and counts that agree with the test cases.
func TestJUnitStructure(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			checkJUnitStructure(t, fx.doc())
		})
	}
	j := JUnit(fixtureDocument())
	if len(j.Suites) != 2 {
		t.Fatalf("got %d testsuites, want 2", len(j.Suites))
	}
	if j.Suites[0].Tests != 5 || j.Suites[0].Failures != 1 || j.Suites[1].Errors != 1 {
		t.Errorf("unexpected counts: %+v", j)
	}
	fail := j.Suites[0].Cases[2].Failure
	if fail == nil || fail.Message != "set | p99 too slow" || !strings.Contains(fail.Text, "op.set.latency.p99=6.00ms") {
		t.Errorf("failure element: %+v", fail)
	}
	if j.Suites[1].Cases[0].Name != "start" || j.Suites[1].Cases[0].Error == nil {
		t.Errorf("failed plan: %+v", j.Suites[1].Cases)
	}
}

// checkJUnitStructure checks d's JUnit XML against the junit-10 schema's
// structure: element nesting, required attributes, and counts that agree
// with the test cases.
func checkJUnitStructure(t *testing.T, d *Document) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJUnit(&b, d); err != nil {
		t.Fatal(err)
	}
	var root struct{ XMLName xml.Name }
	if err := xml.Unmarshal(b.Bytes(), &root); err != nil {
		t.Fatal(err)
	}
	if root.XMLName.Local != "testsuites" {
		t.Fatalf("root element %q", root.XMLName.Local)
	}
	attrs := attributesByElement(t, b.Bytes())
	required := map[string][]string{
		"testsuites": {"tests", "failures", "errors", "time"},
		"testsuite":  {"name", "tests", "failures", "errors", "time"},
		"testcase":   {"name", "classname", "time"},
		"failure":    {"message", "type"},
		"error":      {"message", "type"},
		"skipped":    {"message"},
		"property":   {"name", "value"},
	}
	for el, list := range attrs {
		want, ok := required[el]
		if !ok && el != "properties" {
			t.Errorf("unexpected element <%s>", el)
		}
		for i, got := range list {
			for _, a := range want {
				if _, ok := got[a]; !ok {
					t.Errorf("<%s> #%d lacks attribute %s", el, i, a)
				}
			}
			for _, a := range []string{"tests", "failures", "errors", "skipped"} {
				if v, ok := got[a]; ok {
					if _, err := strconv.Atoi(v); err != nil {
						t.Errorf("<%s> %s=%q is not an integer", el, a, v)
					}
				}
			}
			if v, ok := got["time"]; ok {
				if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 {
					t.Errorf("<%s> time=%q is not a non-negative decimal", el, v)
				}
			}
		}
	}
	// Counts per suite agree with the cases.
	j := JUnit(d)
	if len(attrs["testsuite"]) != len(j.Suites) {
		t.Errorf("XML has %d testsuites, JUnit %d", len(attrs["testsuite"]), len(j.Suites))
	}
	totalTests, totalFail, totalErr := 0, 0, 0
	for _, s := range j.Suites {
		f, e, sk := 0, 0, 0
		for _, c := range s.Cases {
			if c.Skipped != nil {
				sk++
			}
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
		}
		if s.Skipped != sk {
			t.Errorf("suite %s: skipped=%d, cases say %d", s.Name, s.Skipped, sk)
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e {
			t.Errorf("suite %s: tests=%d failures=%d errors=%d, cases say %d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, len(s.Cases), f, e)
		}
		totalTests += s.Tests
		totalFail += s.Failures
		totalErr += s.Errors
	}
	if j.Tests != totalTests || j.Failures != totalFail || j.Errors != totalErr {
		t.Errorf("root counts %d/%d/%d, suites sum to %d/%d/%d", j.Tests, j.Failures, j.Errors, totalTests, totalFail, totalErr)
	}
	for _, s := range j.Suites {
		for _, c := range s.Cases {
			if c.Error != nil && c.Failure != nil {
				t.Errorf("case %s has both an error and a failure", c.Name)
			}
		}
	}
}

// TestJUnitInterrupted checks that an interrupted run fails in JUnit: each
// test case of an interrupted scenario carries an "interrupted" error, passed
// or not, and the counts say so; a plan or a document interrupted without
// such a case gets a test case of its own.
func TestJUnitInterrupted(t *testing.T) {
	t.Parallel()
	interrupted := func(c JUnitTestCase) bool {
		return c.Error != nil && c.Error.Type == JUnitInterrupted && strings.Contains(c.Error.Message, "interrupted")
	}
	for _, tc := range []struct {
		name string
		doc  *Document
		// cases lists, per suite, the names of the cases that must carry an
		// interrupted error; every other case must not.
		cases  map[string][]string
		errors int
	}{
		{"none", fixtureDocument(), map[string][]string{}, 1},
		{"during a scenario", interruptedDocument(), map[string][]string{
			"cache-read-heavy": {`stress: breaking_point >= 300 && recovery_time < duration("2s")`, "stress: error_rate < 0.01"},
		}, 3},
		{"no assertions, and at the end", interruptedWithoutAssertionsDocument(), map[string][]string{
			"no-asserts": {"burst: interrupted"}, "signal-at-end": {"interrupted"},
		}, 2},
		{"between plans", betweenPlansDocument(), map[string][]string{"perfplan": {"interrupted"}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := JUnit(tc.doc)
			if j.Errors != tc.errors {
				t.Errorf("errors = %d, want %d", j.Errors, tc.errors)
			}
			for _, s := range j.Suites {
				want := map[string]bool{}
				for _, n := range tc.cases[s.Name] {
					want[n] = true
				}
				for _, c := range s.Cases {
					if got := interrupted(c); got != want[c.Name] {
						t.Errorf("suite %s case %q: interrupted error %v, want %v (%+v)", s.Name, c.Name, got, want[c.Name], c.Error)
					}
					delete(want, c.Name)
				}
				for n := range want {
					t.Errorf("suite %s has no case %q", s.Name, n)
				}
			}
		})
	}
	// The interrupted error of an assertion that failed on the partial
	// results keeps its verdict and observed values in the body.
	j := JUnit(interruptedDocument())
	last := j.Suites[1].Cases[len(j.Suites[1].Cases)-1]
	if last.Error == nil || !strings.Contains(last.Error.Text, "on the partial results the assertion failed (too many errors)") ||
		!strings.Contains(last.Error.Text, "error_rate=") {
		t.Errorf("interrupted failing assertion: %+v", last.Error)
	}
}

// TestJUnitSchema validates the JUnit output against testdata/junit-10.xsd
// (the Ant/Jenkins schema's shape) with xmllint when it is installed
// (Debian package libxml2-utils); no pure-Go XSD validator is used.
func TestJUnitSchema(t *testing.T) {
	t.Parallel()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("PERFPLAN_REQUIRE_XMLLINT") != "" {
			t.Fatal("xmllint not on PATH and PERFPLAN_REQUIRE_XMLLINT is set")
		}
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := WriteJUnit(&b, fx.doc()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "junit.xml")
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "junit-10.xsd"), path).CombinedOutput()
			if err != nil {
				t.Fatalf("xmllint: %v\n%s", err, out)
			}
		})
	}
}

// attributesByElement lists, for each element name, the attributes of each
// occurrence.
func attributesByElement(t *testing.T, data []byte) map[string][]map[string]string {
	t.Helper()
	out := map[string][]map[string]string{}
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok {
			m := map[string]string{}
			for _, a := range se.Attr {
				m[a.Name.Local] = a.Value
			}
			out[se.Name.Local] = append(out[se.Name.Local], m)
		}
	}
	return out
}

// TestWriteFileAtomic checks that result files are readable by everyone
// (FileMode less the umask, as os.WriteFile gives; not os.CreateTemp's
// 0600), also when they replace a private file, that missing directories are
// created, and that no temporary file is left behind.
func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The reference: what os.WriteFile makes of FileMode under this
	// process's umask.
	ref := filepath.Join(dir, "ref")
	if err := os.WriteFile(ref, nil, FileMode); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(ref)
	if err != nil {
		t.Fatal(err)
	}
	want := st.Mode().Perm()
	private := filepath.Join(dir, "private.json")
	if err := os.WriteFile(private, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path string }{
		{"new file", filepath.Join(dir, "run.json")},
		{"replaces a 0600 file", private},
		{"missing directories", filepath.Join(dir, "a", "b", "run.json")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := WriteFileAtomic(tc.path, []byte("new\n")); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(tc.path)
			if err != nil || string(got) != "new\n" {
				t.Fatalf("read back %q, %v", got, err)
			}
			st, err := os.Stat(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != want {
				t.Errorf("mode %v, want %v", st.Mode().Perm(), want)
			}
			entries, err := os.ReadDir(filepath.Dir(tc.path))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp") {
					t.Errorf("temporary file left behind: %s", e.Name())
				}
			}
		})
	}
}

// TestCSVStages checks a ramping scenario's per-stage rows: after the
// scenario's own rows (stage empty), each stage's total and operations with
// its label, target and span, whether its latencies are lower bounds, and
// no scenario-wide counts.
func TestCSVStages(t *testing.T) {
	t.Parallel()
	d := fixtureDocument()
	s := &d.Plans[0].Scenarios[0]
	sec := int64(time.Second)
	s.Stages = []StageDoc{
		{Name: "warm", Index: 0, Target: 1000, StartNS: 0, EndNS: 5 * sec,
			Total: OpDoc{Name: "(all)", Ops: 5000, Throughput: 1000, Latency: LatencyDoc{P99: 2e6}},
			Ops:   []OpDoc{{Name: "get", Ops: 4500, Throughput: 900}, {Name: "set", Ops: 500, Throughput: 100}}},
		{Index: 1, Target: 5000, StartNS: 5 * sec, EndNS: 25 * sec,
			Total: OpDoc{Name: "(all)", Ops: 120000, Errors: 25, Throughput: 6000, Latency: LatencyDoc{P99: 3e6}, LatencyLowerBound: true},
			Ops:   []OpDoc{{Name: "get", Ops: 108000, Throughput: 5400}, {Name: "set", Ops: 12000, Throughput: 600}}},
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, d); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var got []string
	for _, r := range rows[1:] {
		if r[col["scenario"]] != "steady" {
			continue
		}
		got = append(got, strings.Join([]string{r[col["stage"]], r[col["stage_target"]], r[col["op"]], r[col["ops"]],
			r[col["throughput"]], r[col["latency_p99_ns"]], r[col["latency_lower_bound"]], r[col["elapsed_ns"]], r[col["dropped"]], r[col["vus_max"]], r[col["status"]]}, "|"))
	}
	want := []string{
		"||(all)|125000|5000|3000000|true|25000000000|3|12|ok",
		"||get|112500|4500|2700000|true|25000000000|3|12|ok",
		"||set|12500|500|6000000|true|25000000000|3|12|ok",
		"warm|1000|(all)|5000|1000|2000000|false|5000000000|||ok",
		"warm|1000|get|4500|900|0|false|5000000000|||ok",
		"warm|1000|set|500|100|0|false|5000000000|||ok",
		"stage 1|5000|(all)|120000|6000|3000000|true|20000000000|||ok",
		"stage 1|5000|get|108000|5400|0|false|20000000000|||ok",
		"stage 1|5000|set|12000|600|0|false|20000000000|||ok",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("steady's rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
