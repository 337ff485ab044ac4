package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
)

// SchemaVersion is the version of the run document's layout. It changes when
// a field changes meaning or goes away; added fields do not change it.
const SchemaVersion = 1

// Document is the versioned JSON record of one perfplan invocation: every
// plan it ran, with per-scenario and per-operation figures.
type Document struct {
	SchemaVersion int         `json:"schema_version"`
	Tool          Tool        `json:"tool"`
	Environment   Environment `json:"environment"`
	Start         time.Time   `json:"start"`
	End           time.Time   `json:"end"`
	Interrupted   bool        `json:"interrupted"`
	Passed        bool        `json:"passed"`
	// Verdict is "pass", "fail" or "inconclusive" (see
	// executor.VerdictPass): the run's verdict over every plan (added
	// within schema version 1).
	Verdict  string    `json:"verdict,omitempty"`
	ExitCode int       `json:"exit_code"`
	Plans    []PlanDoc `json:"plans"`
}

// Tool names the program that wrote the document.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// DurationScale is the --duration-scale (or --quick) in force.
	DurationScale float64 `json:"duration_scale"`
}

// Environment describes where the run happened.
type Environment struct {
	GitCommit string `json:"git_commit,omitempty"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPU       string `json:"cpu,omitempty"`
	Cores     int    `json:"cores"`
	Host      string `json:"host,omitempty"`
}

// PlanDoc is one plan's result.
type PlanDoc struct {
	Name string `json:"name"`
	File string `json:"file"`
	Hash string `json:"hash"`
	// Repetition numbers the runs of the same plan in one document (perfplan
	// run --count N), from 1; 0 in documents written before it existed.
	Repetition  int            `json:"repetition,omitempty"`
	Variables   map[string]any `json:"variables,omitempty"`
	Start       time.Time      `json:"start"`
	End         time.Time      `json:"end"`
	Interrupted bool           `json:"interrupted"`
	Passed      bool           `json:"passed"`
	// Verdict is the plan's verdict: "pass", "fail" or "inconclusive"
	// (an assertion failed only on figures that measured interference
	// explains).
	Verdict string `json:"verdict,omitempty"`
	// Error is set when the plan could not run, for example when a target
	// failed to start.
	Error string `json:"error,omitempty"`
	// Errors lists problems outside any scenario, such as a target whose
	// Close failed or panicked.
	Errors []string `json:"errors,omitempty"`
	// Segment is set when the run drove one segment of the plan's load
	// (perfplan run --segment I/N); perfplan merge joins the segments'
	// documents into one whose Merged says which it holds.
	Segment *plan.Segment `json:"segment,omitempty"`
	// Retries is how many times the plan was run again because its
	// verdict was inconclusive (perfplan run --retry-inconclusive); the
	// document keeps the last run.
	Retries int `json:"retries,omitempty"`
	// Merged is set on a plan that perfplan merge made from segments.
	Merged    *MergeInfo    `json:"merged,omitempty"`
	Scenarios []ScenarioDoc `json:"scenarios"`
	// Assertions are the plan-level assertions (see crossdoc.go).
	Assertions []AssertionDoc `json:"assertions,omitempty"`
	// Duets are the paired comparisons of the plan's duet blocks.
	Duets []DuetDoc `json:"duets,omitempty"`
}

// StageDoc is one stage of a ramping executor: the operations completed
// from the stage's start to its end (StartNS and EndNS, from the scenario's
// start), throughput over that span. Name is empty for a stage the plan
// does not name.
type StageDoc struct {
	Name    string  `json:"name,omitempty"`
	Index   int     `json:"index"`
	Target  float64 `json:"target"`
	StartNS int64   `json:"start_ns"`
	EndNS   int64   `json:"end_ns"`
	Total   OpDoc   `json:"total"`
	Ops     []OpDoc `json:"ops"`
}

// ScenarioDoc is one scenario's figures.
type ScenarioDoc struct {
	Name     string `json:"name"`
	Executor string `json:"executor"`
	// Target is the workload's target, "KIND.NAME": its kind says which
	// TargetStats are counters, gauges and ratios when segments merge.
	Target    string    `json:"target,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	ElapsedNS int64     `json:"elapsed_ns"`
	Total     OpDoc     `json:"total"`
	Ops       []OpDoc   `json:"ops"`
	Dropped   int64     `json:"dropped"`
	Cut       int64     `json:"cut"`
	// CutRampDown and CutInterrupt are the cuts of Cut made at the end of
	// graceful_ramp_down and by a signal; the rest were made when
	// graceful_stop expired (added within schema version 1; absent when 0
	// and in older documents).
	CutRampDown  int64              `json:"cut_ramp_down,omitempty"`
	CutInterrupt int64              `json:"cut_interrupt,omitempty"`
	VUsMax       int                `json:"vus_max"`
	Aborted      bool               `json:"aborted"`
	AbortReason  string             `json:"abort_reason,omitempty"`
	Interrupted  bool               `json:"interrupted"`
	TargetStats  map[string]float64 `json:"target_stats,omitempty"`
	Series       []SeriesDoc        `json:"series"`
	// Stages holds a ramping executor's figures per stage (added within
	// schema version 1; absent for the other executors).
	Stages []StageDoc `json:"stages,omitempty"`
	// Sweep identifies the instance of a scenario declared with for_each:
	// the block's name, the instance's key and the swept value (added
	// within schema version 1).
	Sweep      *plan.Sweep    `json:"sweep,omitempty"`
	Assertions []AssertionDoc `json:"assertions"`
	// Resources holds the process resource figures and the soak analysis
	// (added within schema version 1; absent in older documents and when
	// sampling was off). Durations are nanoseconds, sizes bytes.
	Resources *executor.Resources `json:"resources,omitempty"`
	// Availability is the successful operations over all and the share
	// of intervals within the error budget (added within schema version
	// 1; absent when the scenario completed no operation).
	Availability *executor.Availability `json:"availability,omitempty"`
	// Breakpoint is the breakpoint executor's search: breaking point,
	// recovery, stability and a row per step (added within schema version
	// 1; absent for the other executors).
	Breakpoint *executor.BreakpointResult `json:"breakpoint,omitempty"`
	// AllowOmitted is the scenario's allow_omitted attribute.
	AllowOmitted bool `json:"allow_omitted,omitempty"`
	// Stall describes a closed-model stall (durations in nanoseconds);
	// the latency figures corrected for coordinated omission are in each
	// OpDoc's corrected_latency_ns.
	Stall *executor.Stall `json:"stall,omitempty"`
	// RunnerSaturated explains why the runner was saturated (its schedule
	// lag or its CPU); empty when it was not.
	RunnerSaturated string `json:"runner_saturated,omitempty"`
	// Interference is what was measured of the machine's neighbours, the
	// cgroup's quota and pauses of the process (added within schema
	// version 1; absent when resources were not sampled).
	Interference *executor.Interference `json:"interference,omitempty"`
	// TargetFailure says why the scenario's target could not make a worker
	// (an error or a panic in NewWorker).
	TargetFailure string `json:"target_failure,omitempty"`
	// Panics counts the target's panics in Do, each counted as a failed
	// operation; the ops' error_samples show them.
	Panics int64 `json:"panics,omitempty"`
	// WorkerErrors and EventErrors list run-time problems: a worker the
	// target could not make, a Stats that panicked, an event that failed
	// or was not applied.
	WorkerErrors []string `json:"worker_errors,omitempty"`
	EventErrors  []string `json:"event_errors,omitempty"`
	// Segments are, in a merged run (perfplan merge), each segment's own
	// figures, resources and target statistics.
	Segments []SegmentDoc `json:"segments,omitempty"`
	// Profile holds the scenario's CPU and allocation profiles (perfplan
	// run --profile); nil when it was not profiled.
	Profile *ProfileDoc `json:"profile,omitempty"`
}

// OpDoc is one operation's figures. Latencies are in nanoseconds. Histogram
// holds the HdrHistogram in its standard compressed, base64 V2 encoding, so
// that runs merge exactly.
//
// In an open model that dropped iterations, Omitted counts them and
// OmitHistogram holds their lateness when dropped; Latency then summarises
// both histograms together and its percentiles are lower bounds
// (LatencyLowerBound).
type OpDoc struct {
	Name             string     `json:"name"`
	Ops              int64      `json:"ops"`
	Errors           int64      `json:"errors"`
	ErrorRate        float64    `json:"error_rate"`
	Throughput       float64    `json:"throughput"`
	Latency          LatencyDoc `json:"latency_ns"`
	ServiceTime      LatencyDoc `json:"service_time_ns"`
	Histogram        string     `json:"histogram,omitempty"`
	ServiceHistogram string     `json:"service_histogram,omitempty"`
	// ScheduleLag is the actual start minus the intended start (open
	// models only).
	ScheduleLag       *LatencyDoc `json:"schedule_lag_ns,omitempty"`
	LagHistogram      string      `json:"schedule_lag_histogram,omitempty"`
	Omitted           int64       `json:"omitted,omitempty"`
	OmitHistogram     string      `json:"omitted_histogram,omitempty"`
	LatencyLowerBound bool        `json:"latency_lower_bound,omitempty"`
	// Corrected is the latency corrected for coordinated omission, for a
	// closed model that stalled.
	Corrected *LatencyDoc `json:"corrected_latency_ns,omitempty"`
	// ErrorSamples are the first distinct error messages (a target's panic
	// reads "panic: VALUE at FILE:LINE (FUNC)").
	ErrorSamples []executor.ErrorSample `json:"error_samples,omitempty"`
}

// LatencyDoc is a latency summary in nanoseconds.
type LatencyDoc struct {
	Min    int64 `json:"min"`
	Mean   int64 `json:"mean"`
	StdDev int64 `json:"stddev"`
	P50    int64 `json:"p50"`
	P75    int64 `json:"p75"`
	P90    int64 `json:"p90"`
	P95    int64 `json:"p95"`
	P99    int64 `json:"p99"`
	P999   int64 `json:"p999"`
	Max    int64 `json:"max"`
}

// Field returns the statistic field of l (one of plan.LatencyFields, such
// as "p99"), 0 for an unknown field.
func (l *LatencyDoc) Field(field string) int64 {
	switch field {
	case "min":
		return l.Min
	case "mean":
		return l.Mean
	case "stddev":
		return l.StdDev
	case "p50":
		return l.P50
	case "p75":
		return l.P75
	case "p90":
		return l.P90
	case "p95":
		return l.P95
	case "p99":
		return l.P99
	case "p999":
		return l.P999
	case "max":
		return l.Max
	}
	return 0
}

// SeriesDoc is one interval of the time series.
type SeriesDoc struct {
	OffsetNS   int64   `json:"offset_ns"`
	Ops        int64   `json:"ops"`
	Errors     int64   `json:"errors"`
	Throughput float64 `json:"throughput"`
	P50NS      int64   `json:"p50_ns"`
	P90NS      int64   `json:"p90_ns"`
	// P95NS and LagP99NS (the schedule lag's p99, open models) were added
	// within schema version 1; they are absent in older documents.
	P95NS     int64 `json:"p95_ns,omitempty"`
	P99NS     int64 `json:"p99_ns"`
	MaxNS     int64 `json:"max_ns"`
	LagP99NS  int64 `json:"schedule_lag_p99_ns,omitempty"`
	ActiveVUs int   `json:"active_vus"`
}

// AssertionDoc is one assertion's outcome.
type AssertionDoc struct {
	Condition    string `json:"condition"`
	ErrorMessage string `json:"error_message,omitempty"`
	Pos          string `json:"pos,omitempty"`
	Passed       bool   `json:"passed"`
	// Verdict is "pass", "fail" or "inconclusive"; Inconclusive says why
	// measured interference explains the failure, or that a duet it reads
	// gave no verdict.
	Verdict      string             `json:"verdict,omitempty"`
	Inconclusive string             `json:"inconclusive,omitempty"`
	Error        string             `json:"error,omitempty"`
	Observed     map[string]float64 `json:"observed"`
	// Refs lists the metrics the condition reads, in order of appearance.
	Refs []string `json:"refs,omitempty"`
	// Comparisons are the condition's top-level comparisons, in source
	// order, as the run evaluated them at the end of the scenario; the
	// grade reads their margins. Absent when the condition could not be
	// evaluated, and in documents written before they were recorded
	// (within schema version 1), whose conditions the grade compiles
	// again.
	Comparisons []ComparisonDoc `json:"comparisons,omitempty"`
	// Logic is how the condition combines Comparisons through &&, || and
	// !, when it is not simply their conjunction (one comparison, or
	// several joined by &&); absent when it is.
	Logic       *LogicDoc `json:"logic,omitempty"`
	AbortOnFail bool      `json:"abort_on_fail,omitempty"`
	Aborted     bool      `json:"aborted,omitempty"`
	// AbortComparisons are the comparisons as the live evaluation saw
	// them when this assertion stopped the scenario (Aborted).
	AbortComparisons []ComparisonDoc `json:"abort_comparisons,omitempty"`
	// Notes say what the observed figures mean where it matters to the
	// verdict: a lower bound, a corrected view, a saturated runner.
	Notes []string `json:"notes,omitempty"`
}

// ComparisonDoc is one comparison of a condition as the run evaluated it:
// LeftValue Op RightValue, and whether it held. Left and Right are the
// sides' source texts; values are in the metrics' units (milliseconds for
// latencies and duration()).
type ComparisonDoc struct {
	Left       string  `json:"left"`
	LeftValue  float64 `json:"left_value"`
	Op         string  `json:"op"`
	Right      string  `json:"right"`
	RightValue float64 `json:"right_value"`
	Held       bool    `json:"held"`
}

// LogicDoc is a node of a condition's boolean structure (plan.Logic).
type LogicDoc struct {
	// Op is "&&" or "||" (over two or more Args), "!" (over one), "cmp"
	// (the comparison at index Cmp of Comparisons) or "term": another
	// boolean expression, such as a conditional, whose truth is not
	// recorded (Text is its source).
	Op   string     `json:"op"`
	Cmp  *int       `json:"cmp,omitempty"`
	Text string     `json:"text,omitempty"`
	Args []LogicDoc `json:"args,omitempty"`
}

// logicDoc converts a plan.Logic.
func logicDoc(l plan.Logic) LogicDoc {
	d := LogicDoc{Op: l.Op.String()}
	switch l.Op {
	case plan.LogicCompare:
		i := l.Index
		d.Cmp = &i
	case plan.LogicTerm:
		d.Text = l.Text
	}
	for _, a := range l.Args {
		d.Args = append(d.Args, logicDoc(a))
	}
	return d
}

func comparisonDocs(cs []executor.ComparisonResult) []ComparisonDoc {
	if len(cs) == 0 {
		return nil
	}
	out := make([]ComparisonDoc, len(cs))
	for i, c := range cs {
		out[i] = ComparisonDoc{Left: c.Left, LeftValue: c.LeftValue, Op: c.Op, Right: c.Right, RightValue: c.RightValue, Held: c.Held}
	}
	return out
}

// NewDocument starts a document with the environment filled in. dir is a
// directory inside the repository whose git commit is recorded, if any.
func NewDocument(version string, scale float64, dir string) *Document {
	host, _ := os.Hostname()
	return &Document{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "perfplan", Version: version, DurationScale: scale},
		Environment: Environment{
			GitCommit: gitCommit(dir),
			GoVersion: runtime.Version(),
			OS:        runtime.GOOS,
			Arch:      runtime.GOARCH,
			CPU:       cpuModel(),
			Cores:     runtime.NumCPU(),
			Host:      host,
		},
	}
}

// AddResult appends a plan's result.
func (d *Document) AddResult(r *executor.Result) {
	pd := PlanDoc{
		Name:        r.Plan.Name,
		File:        r.Plan.File,
		Hash:        r.Plan.Hash,
		Variables:   r.Plan.Variables,
		Start:       r.Start,
		End:         r.End,
		Interrupted: r.Interrupted,
		Passed:      r.Passed() && !r.Interrupted,
		Verdict:     r.Verdict(),
		Errors:      r.Errors,
		Scenarios:   []ScenarioDoc{},
	}
	if seg := r.Plan.Segment; !seg.Whole() {
		pd.Segment = &seg
	}
	for i, s := range r.Scenarios {
		sd := scenarioDoc(s)
		if i < len(r.Plan.Scenarios) && r.Plan.Scenarios[i].Name == s.Name {
			if wl := r.Plan.Scenarios[i].Workload; wl != nil && wl.Target != nil {
				sd.Target = wl.Target.ID()
			}
		}
		pd.Scenarios = append(pd.Scenarios, sd)
	}
	addCross(&pd, r)
	d.Plans = append(d.Plans, pd)
}

// AddFailure records a plan that could not run.
func (d *Document) AddFailure(name, file, hash string, err error) {
	d.Plans = append(d.Plans, PlanDoc{Name: name, File: file, Hash: hash, Error: err.Error(), Scenarios: []ScenarioDoc{}})
}

// ScenarioDocOf returns the document of a scenario's result, as a run
// records it (package merge records a merged scenario with it).
func ScenarioDocOf(s *executor.ScenarioResult) ScenarioDoc { return scenarioDoc(s) }

func scenarioDoc(s *executor.ScenarioResult) ScenarioDoc {
	sd := ScenarioDoc{
		Name: s.Name, Executor: s.Executor, Start: s.Start, End: s.End,
		ElapsedNS: int64(s.Elapsed), Total: opDoc(s.Total), Dropped: s.Dropped, Cut: s.Cut,
		CutRampDown: s.CutRampDown, CutInterrupt: s.CutInterrupt,
		VUsMax: s.VUsMax, Aborted: s.Aborted, AbortReason: s.AbortReason, Interrupted: s.Interrupted,
		TargetStats: s.TargetStats, Ops: []OpDoc{}, Series: []SeriesDoc{}, Assertions: []AssertionDoc{},
		Resources: s.Resources, Breakpoint: s.Breakpoint,
		AllowOmitted: s.AllowOmitted, Stall: s.Stall, RunnerSaturated: s.Saturated, Interference: s.Interference,
		TargetFailure: s.TargetFailure, Panics: s.Panics, WorkerErrors: s.WorkerErrors, EventErrors: s.EventErrors,
	}
	for _, op := range s.Ops {
		sd.Ops = append(sd.Ops, opDoc(op))
	}
	sd.Sweep = s.Sweep
	for _, st := range s.Stages {
		d := StageDoc{Name: st.Name, Index: st.Index, Target: st.Target, StartNS: int64(st.Start), EndNS: int64(st.End),
			Total: opDoc(st.Total), Ops: []OpDoc{}}
		for _, op := range st.Ops {
			d.Ops = append(d.Ops, opDoc(op))
		}
		sd.Stages = append(sd.Stages, d)
	}
	for _, p := range s.Series {
		sd.Series = append(sd.Series, SeriesDoc{
			OffsetNS: int64(p.Offset), Ops: p.Ops, Errors: p.Errors, Throughput: p.Throughput,
			P50NS: int64(p.P50), P90NS: int64(p.P90), P95NS: int64(p.P95), P99NS: int64(p.P99), MaxNS: int64(p.Max),
			LagP99NS: int64(p.LagP99), ActiveVUs: p.ActiveVUs,
		})
	}
	sd.Availability = executor.AvailabilityOf(s.Total, s.Series)
	for _, a := range s.Assertions {
		sd.Assertions = append(sd.Assertions, assertionDoc(a))
	}
	return sd
}

func assertionDoc(a executor.AssertionResult) AssertionDoc {
	obs := a.Observed
	if obs == nil {
		obs = map[string]float64{}
	}
	ad := AssertionDoc{
		Condition: a.Assertion.Expr, ErrorMessage: a.Assertion.ErrorMessage, Pos: a.Assertion.Pos,
		Passed: a.Passed, Verdict: a.Verdict(), Inconclusive: a.Inconclusive, Error: a.Err, Observed: obs, AbortOnFail: a.Assertion.AbortOnFail, Aborted: a.Aborted,
		Notes: a.Notes, Comparisons: comparisonDocs(a.Comparisons), AbortComparisons: comparisonDocs(a.AbortComparisons),
	}
	if cond := a.Assertion.Condition; cond != nil {
		ad.Refs = cond.Refs()
		if l := cond.Logic(); !l.Conjunction(len(cond.Comparisons())) {
			ld := logicDoc(l)
			ad.Logic = &ld
		}
	}
	return ad
}

func opDoc(o executor.OpStats) OpDoc {
	d := OpDoc{
		Name: o.Name, Ops: o.Ops, Errors: o.Errors, ErrorRate: o.ErrorRate(), Throughput: o.Throughput,
		Latency: latencyDoc(o.Latency), ServiceTime: latencyDoc(o.ServiceTime),
		Histogram: encodeHist(o.Hist), ServiceHistogram: encodeHist(o.ServiceHist),
		Omitted: o.Omitted, OmitHistogram: encodeHist(o.OmitHist), LatencyLowerBound: o.LowerBound(),
		ErrorSamples: o.ErrorSamples,
	}
	if o.LagHist != nil {
		l := latencyDoc(o.ScheduleLag)
		d.ScheduleLag, d.LagHistogram = &l, encodeHist(o.LagHist)
	}
	if o.Corrected != nil {
		c := latencyDoc(*o.Corrected)
		d.Corrected = &c
	}
	return d
}

func latencyDoc(l executor.LatencyStats) LatencyDoc {
	return LatencyDoc{
		Min: int64(l.Min), Mean: int64(l.Mean), StdDev: int64(l.StdDev), P50: int64(l.P50), P75: int64(l.P75),
		P90: int64(l.P90), P95: int64(l.P95), P99: int64(l.P99), P999: int64(l.P999), Max: int64(l.Max),
	}
}

func encodeHist(h *hdrhistogram.Histogram) string {
	if h == nil || h.TotalCount() == 0 {
		return ""
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return ""
	}
	return string(b)
}

// WriteFile writes the document as indented JSON to path atomically: to a
// temporary file in the same directory, then renamed over path.
func (d *Document) WriteFile(path string) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encode run document: %w", err)
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// FileMode is the permission of the files WriteFileAtomic creates, before
// the process umask: run documents and reports are shared artefacts, so they
// are readable by everyone, as files written by most tools are.
const FileMode = 0o644

// WriteFileAtomic writes data to path through a temporary file in the same
// directory, fsynced, and a rename, so that readers never see a partial file,
// even after a crash. Missing
// parent directories are created (mode 0755 before the umask). The file gets
// FileMode less the umask, whatever the mode of a file it replaces.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := createTemp(dir, "."+filepath.Base(path)+".tmp", FileMode)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	// The data reaches the disk before the name does: a crash after the
	// rename never leaves an empty or partial file under the final name.
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	// And the rename itself: sync the directory. Some file systems cannot
	// (it is an error to open a directory for sync there); the file is
	// written either way, so that is not an error.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// createTemp creates a new file in dir named prefix and a random suffix,
// with mode perm less the umask. os.CreateTemp cannot be used: it always
// creates files with mode 0600.
func createTemp(dir, prefix string, perm os.FileMode) (*os.File, error) {
	for range 1000 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("create temporary file in %s: too many name collisions", dir)
}

func gitCommit(dir string) string {
	if dir == "" {
		dir = "."
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Outcome returns the assertion's verdict: its recorded Verdict, or, in a
// document written before verdicts were recorded, pass or fail.
func (a AssertionDoc) Outcome() string {
	if a.Verdict != "" {
		return a.Verdict
	}
	if a.Passed {
		return executor.VerdictPass
	}
	return executor.VerdictFail
}

// Outcome returns the plan's verdict: fail when it could not run or any
// assertion failed, inconclusive when any assertion was and none failed,
// else pass.
func (p PlanDoc) Outcome() string {
	if p.Error != "" {
		return executor.VerdictFail
	}
	if p.Verdict != "" {
		return p.Verdict
	}
	v := executor.VerdictPass
	for _, s := range AssertionGroups(&p) {
		if s.TargetFailure != "" || len(s.WorkerErrors) > 0 {
			return executor.VerdictFail
		}
		for _, a := range s.Assertions {
			v = executor.WorseVerdict(v, a.Outcome())
		}
	}
	return v
}

// Family returns o's summary of the latency family f, or nil when o has
// none (an open-only family in a closed model).
//
// This file and executor/result.go are where a family has a field of its
// own; the rest of report reads families through plan.LatencyFamilies.
func (o *OpDoc) Family(f plan.Family) *LatencyDoc {
	switch f {
	case plan.Latency:
		return &o.Latency
	case plan.ServiceTime:
		return &o.ServiceTime
	case plan.ScheduleLag:
		return o.ScheduleLag
	}
	return nil
}

// FamilyHistogram returns o's encoded histogram of the latency family f,
// "" for none.
func (o *OpDoc) FamilyHistogram(f plan.Family) string {
	switch f {
	case plan.Latency:
		return o.Histogram
	case plan.ServiceTime:
		return o.ServiceHistogram
	case plan.ScheduleLag:
		return o.LagHistogram
	}
	return ""
}
