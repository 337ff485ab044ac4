package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
)

// WriteDocumentTables prints every plan of a run document in the layout of
// WriteTables (repetitions as WriteRepetitionTables prints them): a row per scenario and per operation, the scenario notes, the
// target statistics, the assertions with their observed values, then the
// verdict line with the grade. `perfplan report RUN.json --format table`
// uses it, so a saved run renders as the live run did.
//
// A document interrupted between plans, with no plan marked interrupted,
// ends with a line that says so.
func WriteDocumentTables(w io.Writer, d *Document, opts TableOptions) error {
	rep, of := d.Repetitions()
	for i := range d.Plans {
		if err := WriteRepetitionTables(w, &d.Plans[i], rep[i], of[i], opts); err != nil {
			return fmt.Errorf("plan %s: %w", d.Plans[i].Name, err)
		}
	}
	if InterruptedBetweenPlans(d) {
		fmt.Fprintln(w)
		writeWrapped(w, Paint(opts.Color, "INTERRUPTED: "+InterruptedBetweenPlansNote, Yellow), opts.width(), "", "  ")
	}
	if len(d.Plans) > 1 {
		if err := WriteSummary(w, d, d.ExitCode, opts); err != nil {
			return fmt.Errorf("write tables: %w", err)
		}
	}
	return nil
}

// WriteSummary writes, after an empty line, the overall verdict of a run of
// several plans or repetitions (SummaryLine), wrapped to the table width and
// coloured by the verdict, so that the last line of a run never reads PASS
// when an earlier plan failed. code is the run's exit code.
func WriteSummary(w io.Writer, d *Document, code int, opts TableOptions) error {
	line, color := SummaryLine(d, code)
	var b strings.Builder
	WriteWrapped(&b, line, opts.width(), "", "  ")
	var out strings.Builder
	out.WriteString("\n")
	for _, l := range strings.SplitAfter(strings.TrimSuffix(b.String(), "\n"), "\n") {
		out.WriteString(Paint(opts.Color, strings.TrimSuffix(l, "\n"), color) + "\n")
	}
	_, err := io.WriteString(w, out.String())
	return err
}

// SummaryLine is the overall verdict of a run of several plans or
// repetitions, for example "3 plans: 1 passed, 1 failed (cache), 1
// inconclusive (soak) → FAIL (exit 1)", and the colour it is shown in.
// code is the run's exit code.
func SummaryLine(d *Document, code int) (string, Color) {
	var passed, failed, inconclusive, interrupted []string
	names := map[string]bool{}
	for _, p := range d.Plans {
		names[p.Name] = true
		if p.Interrupted {
			interrupted = append(interrupted, p.Name)
			continue
		}
		switch p.Outcome() {
		case executor.VerdictFail:
			failed = append(failed, p.Name)
		case executor.VerdictInconclusive:
			inconclusive = append(inconclusive, p.Name)
		default:
			passed = append(passed, p.Name)
		}
	}
	list := func(ns []string) string {
		var uniq []string
		seen := map[string]int{}
		for _, n := range ns {
			if seen[n] == 0 {
				uniq = append(uniq, n)
			}
			seen[n]++
		}
		for i, n := range uniq {
			if seen[n] > 1 {
				uniq[i] = fmt.Sprintf("%s ×%d", n, seen[n])
			}
		}
		return strings.Join(uniq, ", ")
	}
	line := fmt.Sprintf("%d plans", len(d.Plans))
	if len(names) < len(d.Plans) {
		line = fmt.Sprintf("%d runs of %d plans", len(d.Plans), len(names))
	}
	line += fmt.Sprintf(": %d passed", len(passed))
	if len(failed) > 0 {
		line += fmt.Sprintf(", %d failed (%s)", len(failed), list(failed))
	}
	if len(inconclusive) > 0 {
		line += fmt.Sprintf(", %d inconclusive (%s)", len(inconclusive), list(inconclusive))
	}
	if len(interrupted) > 0 {
		line += fmt.Sprintf(", %d interrupted (%s)", len(interrupted), list(interrupted))
	}
	word, color := "PASS", Green
	switch {
	case code == 6:
		word, color = "INCONCLUSIVE", Yellow
	case code == 3:
		word, color = "INTERRUPTED", Yellow
	case code != 0:
		word, color = "FAIL", Red
	}
	return fmt.Sprintf("%s → %s (exit %d)", line, word, code), color
}

// InterruptedBetweenPlansNote explains a document that InterruptedBetweenPlans.
const InterruptedBetweenPlansNote = "the run was interrupted by a signal between plans or repetitions; the ones still to run are not in these results"

// InterruptedBetweenPlans reports whether d is interrupted while none of its
// plans is: the signal came between two plans or repetitions. (Otherwise
// the interrupted plan carries the mark.)
func InterruptedBetweenPlans(d *Document) bool {
	if !d.Interrupted {
		return false
	}
	for _, p := range d.Plans {
		if p.Interrupted {
			return false
		}
	}
	return true
}

// WritePlanTables prints one plan of a run document: the live run and
// `perfplan report` both render through it, so their output is identical.
func WritePlanTables(w io.Writer, p *PlanDoc, opts TableOptions) error {
	title := fmt.Sprintf("plan %s (%s)", p.Name, p.File)
	if p.Interrupted {
		title += "  [INTERRUPTED: partial results]"
	}
	fmt.Fprintln(w)
	writeWrapped(w, title, opts.width(), "", "  ")
	if p.Error != "" {
		writeWrapped(w, Paint(opts.Color, "ERROR: "+p.Error, Red), opts.width(), "", "  ")
		return nil
	}
	for _, e := range p.Errors {
		writeWrapped(w, Paint(opts.Color, "ERROR: "+e, Red), opts.width(), "", "  ")
	}
	header := []string{"scenario", "op", "ops", "throughput", "errors", "p50", "p95", "p99", "p99.9", "max"}
	align := []tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight}
	cols := FamilyColumns(p.Scenarios...)
	for _, f := range cols {
		header = append(header, f.Column)
		align = append(align, tw.AlignRight)
	}
	t := newTable(w, header, align, opts.width())
	t.Keys(2)
	row := func(scenario, op string, o OpDoc, l LatencyDoc) error {
		r := append(opDocRow(scenario, op, o, l), FamilyCells(o, cols)...)
		if err := t.Append(r); err != nil {
			return fmt.Errorf("table row: %w", err)
		}
		return nil
	}
	for _, s := range p.Scenarios {
		name := s.Name
		if s.RunnerSaturated != "" {
			name += " (runner saturated)"
		}
		if err := row(name, "(all)", s.Total, s.Total.Latency); err != nil {
			return err
		}
		if c := s.Total.Corrected; c != nil {
			if err := row("", "(all) CO-corrected", s.Total, *c); err != nil {
				return err
			}
		}
		if len(s.Ops) > 1 {
			for _, op := range s.Ops {
				if err := row("", op.Name, op, op.Latency); err != nil {
					return err
				}
			}
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	if err := writeStageTable(w, p, opts.width()); err != nil {
		return err
	}
	if err := writeSweepTables(w, p, opts); err != nil {
		return err
	}
	for _, note := range ScenarioNotes(p) {
		writeNote(w, note, opts.width())
	}
	if err := writeBreakpointTables(w, p, opts.width()); err != nil {
		return err
	}
	if err := writeDocTargetStats(w, p, opts.width()); err != nil {
		return err
	}
	writeDuets(w, p)
	if err := writeDocAssertions(w, p, opts); err != nil {
		return err
	}
	writeWrapped(w, docVerdictLine(p, opts), opts.width(), "", "  ")
	return nil
}

// opDocRow is one row of the main table with the latency figures l: o's own,
// or its corrected view. A lower bound (dropped iterations) shows as "≥".
func opDocRow(scenario, op string, o OpDoc, l LatencyDoc) []string {
	lat := func(ns int64) string {
		if o.LatencyLowerBound {
			return "≥" + Duration(time.Duration(ns))
		}
		return Duration(time.Duration(ns))
	}
	return []string{
		scenario, op,
		fmt.Sprintf("%d", o.Ops),
		Rate(o.Throughput),
		Percent(o.ErrorRate),
		lat(l.P50), lat(l.P95), lat(l.P99), lat(l.P999), lat(l.Max),
	}
}

// FamilyColumns returns the latency families with a table column
// (plan.FamilyDesc.Column) that any of the scenarios measured.
func FamilyColumns(scenarios ...ScenarioDoc) []plan.FamilyDesc {
	var cols []plan.FamilyDesc
	for _, f := range plan.LatencyFamilies() {
		if f.Column == "" {
			continue
		}
		for i := range scenarios {
			if scenarios[i].Total.Family(f.Family) != nil {
				cols = append(cols, f)
				break
			}
		}
	}
	return cols
}

// FamilyCells are o's cells of the family columns cols: each family's
// ColumnField, "-" where o has no such family (a closed model).
func FamilyCells(o OpDoc, cols []plan.FamilyDesc) []string {
	cells := make([]string, len(cols))
	for i, f := range cols {
		cells[i] = "-"
		if l := o.Family(f.Family); l != nil {
			cells[i] = Duration(time.Duration(l.Field(f.ColumnField)))
		}
	}
	return cells
}

// IsOpenModel reports whether the executor called name is an open model,
// as its executor.Kind says.
func IsOpenModel(name string) bool { return executor.IsOpen(name) }

// cutNotes say how many in-flight iterations were cut, by cause: at the end
// of graceful_stop, of graceful_ramp_down, or by a signal.
func cutNotes(s ScenarioDoc) []string {
	var notes []string
	if n := s.Cut - s.CutRampDown - s.CutInterrupt; n > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d iterations cut at graceful_stop", s.Name, n))
	}
	if s.CutRampDown > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d iterations cut at graceful_ramp_down (workers removed by a ramp whose iteration outlasted it)", s.Name, s.CutRampDown))
	}
	if s.CutInterrupt > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d iterations cut by the interrupt", s.Name, s.CutInterrupt))
	}
	return notes
}

// familyNotes is the summary of o's latency families with NoteFields, as
// ", service time p99 1ms, schedule lag p50 …".
func familyNotes(o *OpDoc) string {
	var b strings.Builder
	for _, f := range plan.LatencyFamilies() {
		l := o.Family(f.Family)
		if len(f.NoteFields) == 0 || l == nil {
			continue
		}
		b.WriteString(", " + f.Label)
		for _, field := range f.NoteFields {
			b.WriteString(" " + field + " " + Duration(time.Duration(l.Field(field))))
		}
	}
	return b.String()
}

// ScenarioNotes are the notes the tables print under a plan's scenarios.
func ScenarioNotes(p *PlanDoc) []string {
	var notes []string
	for _, s := range p.Scenarios {
		line := fmt.Sprintf("%s: %s, %s, up to %d workers", s.Name, s.Executor, Duration(time.Duration(s.ElapsedNS)), s.VUsMax)
		if IsOpenModel(s.Executor) {
			line += "; latency from intended start" + familyNotes(&s.Total)
		}
		if a := s.Availability; a != nil {
			line += "; " + availabilityText(a)
		}
		notes = append(notes, line)
		notes = append(notes, trustNotes(s, "WARNING ")...)
		notes = append(notes, errorNotes(s)...)
		if s.Resources != nil {
			notes = append(notes, resourceNotes(s)...)
		}
		if s.Dropped > 0 && s.Breakpoint != nil {
			notes = append(notes, fmt.Sprintf("%s: %d iterations dropped once the load passed what max_vus workers could start (a stop signal of the search)", s.Name, s.Dropped))
		}
		notes = append(notes, cutNotes(s)...)
		if s.Aborted {
			notes = append(notes, fmt.Sprintf("%s: ABORTED early: %s", s.Name, s.AbortReason))
		}
		if s.Interrupted {
			notes = append(notes, fmt.Sprintf("%s: interrupted by signal", s.Name))
		}
	}
	return notes
}

// errorNotes are a scenario's problems beyond its counters: a target that
// failed to start, run-time errors, and each operation's error samples,
// shown once.
func errorNotes(s ScenarioDoc) []string {
	var notes []string
	if s.TargetFailure != "" {
		notes = append(notes, fmt.Sprintf("%s: ERROR target failed to start: %s", s.Name, s.TargetFailure))
	}
	for _, e := range s.WorkerErrors {
		if e != s.TargetFailure {
			notes = append(notes, fmt.Sprintf("%s: error: %s", s.Name, e))
		}
	}
	for _, e := range s.EventErrors {
		notes = append(notes, fmt.Sprintf("%s: event: %s", s.Name, e))
	}
	if s.Panics > 0 {
		notes = append(notes, fmt.Sprintf("%s: WARNING the target panicked %d times in Do; each panic counts as a failed operation", s.Name, s.Panics))
	}
	ops := s.Ops
	if len(ops) == 0 {
		ops = []OpDoc{s.Total}
	}
	for _, o := range ops {
		// The counts are exact when they add up to the op's errors; past
		// the fifth distinct message the sampler stops counting, and each
		// count is then a lower bound.
		var sum int64
		for _, e := range o.ErrorSamples {
			sum += e.Count
		}
		for _, e := range o.ErrorSamples {
			count := fmt.Sprint(e.Count)
			if sum != o.Errors {
				count = "at least " + count
			}
			notes = append(notes, fmt.Sprintf("%s: %s error (%s): %s", s.Name, o.Name, count, e.Message))
		}
	}
	return notes
}

// trustNotes are the lines that say which of a scenario's figures cannot be
// trusted as they stand: dropped iterations (lower bounds), a closed-model
// stall (a corrected view), a saturated runner. warn prefixes each line.
func trustNotes(s ScenarioDoc, warn string) []string {
	var notes []string
	if s.Dropped > 0 && s.Breakpoint == nil && !IsOpenModel(s.Executor) {
		notes = append(notes, fmt.Sprintf("%s: %s%d iterations never started: max_duration ended the scenario first (k6's dropped_iterations); raise max_duration or lower iterations",
			s.Name, warn, s.Dropped))
	} else if s.Dropped > 0 && s.Breakpoint == nil {
		verdict := "latency assertions fail on them unless the scenario sets allow_omitted"
		if s.AllowOmitted {
			verdict = "allow_omitted: latency assertions read the lower bounds"
		}
		notes = append(notes, fmt.Sprintf("%s: %s%d iterations dropped with all max_vus workers busy; each counts in latency with its lateness when dropped, so the percentiles are lower bounds (≥); %s; raise max_vus or lower the rate",
			s.Name, warn, s.Dropped, verdict))
	}
	if st := s.Stall; st != nil {
		verdict := "latency assertions read the corrected figures"
		if s.AllowOmitted {
			verdict = "allow_omitted: latency assertions read the raw figures"
		}
		notes = append(notes, fmt.Sprintf("%s: %sclosed-model stall: the longest operation took %s (%d of at least %s); a closed loop sends nothing while it waits, so the raw percentiles hide it. The CO-corrected row adds the arrivals a client would have made every %s (the median); %s",
			s.Name, warn, Duration(st.Longest), st.Count, Duration(st.Threshold), Duration(st.Interval), verdict))
	}
	if s.RunnerSaturated != "" {
		notes = append(notes, fmt.Sprintf("%s: %srunner saturated: %s", s.Name, warn, s.RunnerSaturated))
	}
	return notes
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ObservedRefs returns the names of an assertion's observed values in the
// order the condition reads them (as the live tables print them), followed
// by any others in name order. An older document without refs lists them
// in name order, unless Document.Recompile gave it refs.
func ObservedRefs(a AssertionDoc) []string {
	if len(a.Refs) > 0 {
		return a.Refs
	}
	return observedOrder(nil, a.Observed)
}

// AssertionMessage is the message shown for a failed assertion.
func AssertionMessage(a AssertionDoc) string {
	if a.Passed {
		return ""
	}
	msg := a.ErrorMessage
	if a.Error != "" {
		msg = strings.TrimSpace(msg + " " + a.Error)
	}
	if a.Inconclusive != "" {
		msg = strings.TrimSpace(msg + " (inconclusive: " + a.Inconclusive + ")")
	}
	return msg
}

func writeDocAssertions(w io.Writer, p *PlanDoc, opts TableOptions) error {
	n := len(p.Assertions)
	for _, s := range p.Scenarios {
		n += len(s.Assertions)
	}
	if n == 0 {
		fmt.Fprintln(w, "  no assertions")
		return nil
	}
	t := newTable(w, []string{"result", "scenario", "condition", "observed", "message"},
		[]tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft}, opts.width())
	for _, s := range AssertionGroups(p) {
		for _, a := range s.Assertions {
			verdict := verdictWord(a.Outcome(), opts)
			if a.Aborted {
				verdict += " (aborted run)"
			}
			if err := t.Append([]string{verdict, s.Name, a.Condition, ObservedText(a), AssertionMessage(a)}); err != nil {
				return fmt.Errorf("table row: %w", err)
			}
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

// verdictWord is an assertion's verdict as the tables show it.
func verdictWord(v string, opts TableOptions) string {
	switch v {
	case executor.VerdictFail:
		return Paint(opts.Color, "FAIL", Red)
	case executor.VerdictInconclusive:
		return Paint(opts.Color, "INCONCLUSIVE", Yellow)
	}
	return Paint(opts.Color, "PASS", Green)
}

// AssertionCounts counts p's assertions, those that failed and those that
// were inconclusive (not counted as failed).
func AssertionCounts(p *PlanDoc) (total, failed, inconclusive int) {
	for _, s := range AssertionGroups(p) {
		for _, a := range s.Assertions {
			total++
			switch a.Outcome() {
			case executor.VerdictFail:
				failed++
			case executor.VerdictInconclusive:
				inconclusive++
			}
		}
	}
	return total, failed, inconclusive
}

// InconclusiveWhy says in a few words why p's inconclusive assertions are:
// measured interference explains their failure, a duet gave no verdict on
// the figure they read, or some of each.
func InconclusiveWhy(p *PlanDoc) string {
	var duet, other bool
	for _, s := range AssertionGroups(p) {
		for _, a := range s.Assertions {
			if a.Outcome() != executor.VerdictInconclusive {
				continue
			}
			if strings.HasPrefix(a.Inconclusive, executor.DuetNoVerdict) {
				duet = true
			} else {
				other = true
			}
		}
	}
	switch {
	case duet && other:
		return "failed only on figures that measured interference explains or read a duet that gave no verdict"
	case duet:
		return "read a duet that gave no verdict"
	}
	return "failed only on figures that measured interference explains"
}

// targetTrouble says why a plan whose assertions held did not pass.
func targetTrouble(p *PlanDoc) string {
	for _, s := range p.Scenarios {
		if s.TargetFailure != "" {
			return fmt.Sprintf("the target of scenario %s failed to start", s.Name)
		}
	}
	for _, s := range p.Scenarios {
		if len(s.WorkerErrors) > 0 {
			return fmt.Sprintf("scenario %s: %s", s.Name, s.WorkerErrors[0])
		}
	}
	return "the run did not pass"
}

func docVerdictLine(p *PlanDoc, opts TableOptions) string {
	total, failed, inconclusive := AssertionCounts(p)
	score, word := Grade(*p)
	grade := fmt.Sprintf("  grade %s (%s)", Number(score), word)
	switch {
	case p.Interrupted:
		return Paint(opts.Color, fmt.Sprintf("INTERRUPTED: %d of %d assertions failed on partial results", failed+inconclusive, total), Yellow) + grade
	case p.Error != "":
		return Paint(opts.Color, "FAIL: the plan could not run: "+p.Error, Red) + grade
	case failed > 0:
		line := fmt.Sprintf("FAIL: %d of %d assertions failed", failed, total)
		if inconclusive > 0 {
			line += fmt.Sprintf(", %d inconclusive", inconclusive)
		}
		return Paint(opts.Color, line, Red) + grade
	case p.Outcome() == executor.VerdictFail:
		return Paint(opts.Color, "FAIL: "+targetTrouble(p), Red) + grade
	case inconclusive > 0:
		return Paint(opts.Color, fmt.Sprintf("INCONCLUSIVE: %d of %d assertions %s", inconclusive, total, InconclusiveWhy(p)), Yellow) + grade
	}
	return Paint(opts.Color, fmt.Sprintf("PASS: %d assertions held", total), Green) + grade
}

// WriteRepetitionTables prints repetition rep of the of runs of a plan (perfplan
// run --count). A single run gets the full tables of WritePlanTables; with
// several, each repetition gets a summary line per scenario and its failed
// assertions, and the last one the full tables too.
func WriteRepetitionTables(w io.Writer, p *PlanDoc, rep, of int, opts TableOptions) error {
	if of <= 1 {
		return WritePlanTables(w, p, opts)
	}
	fmt.Fprintf(w, "plan %s repetition %d/%d:", p.Name, rep, of)
	if p.Error != "" {
		fmt.Fprintln(w, " "+Paint(opts.Color, "ERROR: "+p.Error, Red))
		return nil
	}
	if p.Interrupted {
		fmt.Fprint(w, "  [INTERRUPTED: partial results]")
	}
	fmt.Fprintln(w)
	for _, s := range p.Scenarios {
		total, failed, inconclusive := len(s.Assertions), 0, 0
		for _, a := range s.Assertions {
			switch a.Outcome() {
			case executor.VerdictFail:
				failed++
			case executor.VerdictInconclusive:
				inconclusive++
			}
		}
		verdict := "no assertions"
		if total > 0 {
			verdict = fmt.Sprintf("%d/%d assertions held", total-failed-inconclusive, total)
			if inconclusive > 0 {
				verdict += fmt.Sprintf(", %d inconclusive", inconclusive)
			}
		}
		fmt.Fprintf(w, "  %-16s ops %-9d %10s  p50 %-8s p99 %-8s errors %-6s %s\n", s.Name, s.Total.Ops,
			Rate(s.Total.Throughput), Duration(time.Duration(s.Total.Latency.P50)),
			Duration(time.Duration(s.Total.Latency.P99)), Percent(s.Total.ErrorRate), verdict)
		for _, a := range s.Assertions {
			if !a.Passed {
				msg := AssertionMessage(a)
				if msg == "" {
					msg = "does not hold"
				}
				fmt.Fprintf(w, "    %s %s: %s\n", verdictWord(a.Outcome(), opts), a.Condition, msg)
			}
		}
	}
	if rep == of {
		fmt.Fprintf(w, "\nlast repetition of plan %s in full:", p.Name)
		return WritePlanTables(w, p, opts)
	}
	return nil
}

// minHeapSamples is the number of GC cycles below which the executor's
// soak analysis gives the heap slope no verdict.
const minHeapSamples = 3

// MinSoakDuration is the shortest scenario whose soak line (throughput
// spread, p99 drift, heap slope) and soak chart are shown without an
// assertion that reads them: over less than a minute a drift per minute is
// an extrapolation of noise (a 20-second scenario read -7473ms/min).
const MinSoakDuration = time.Minute

// resourceNotes are a scenario's resource line and, when ShowSoak, its soak
// line, e.g.
// "steady: cpu 143% rss 52.0MiB heap 12.0MiB gc 4 (p99 300µs) goroutines 9 allocs/op 0".
func resourceNotes(s ScenarioDoc) []string {
	r := s.Resources
	res := fmt.Sprintf("%s: cpu %.0f%% rss %s heap %s gc %d (p99 %s) goroutines %d allocs/op %s",
		s.Name, r.CPUPercent, RSS(r.RSSPeak), Bytes(r.HeapInUsePeak), r.GCCount, Duration(r.GCPauseP99),
		r.GoroutinesMax, Number(r.AllocsPerOp))
	res += " " + IOText(r.IO)
	lines := []string{res}
	if m := r.Machine; m != nil {
		lines = append(lines, s.Name+": machine: "+machineText(m))
	}
	if in := s.Interference; in.Measured() {
		lines = append(lines, s.Name+": "+interferenceText(in))
	}
	if !ShowSoak(s) {
		return lines
	}
	sk := r.Soak
	soak := fmt.Sprintf("%s: soak throughput cv %s, p99 drift %sms/min, ", s.Name, Number(sk.ThroughputCV), Number(sk.P99Drift))
	switch {
	case sk.HeapSamples < minHeapSamples:
		soak += fmt.Sprintf("heap slope: no verdict, %d GC cycles (%d needed; run longer)", sk.HeapSamples, minHeapSamples)
	case sk.Leak:
		soak += fmt.Sprintf("heap slope %s/min [%s, %s] over %d GC cycles: LEAK (above %s/min)",
			Bytes(int64(sk.HeapSlope)), Bytes(int64(sk.HeapSlopeLow)), Bytes(int64(sk.HeapSlopeHigh)), sk.HeapSamples, Bytes(int64(sk.LeakThreshold)))
	default:
		soak += fmt.Sprintf("heap slope %s/min [%s, %s] over %d GC cycles: no leak",
			Bytes(int64(sk.HeapSlope)), Bytes(int64(sk.HeapSlopeLow)), Bytes(int64(sk.HeapSlopeHigh)), sk.HeapSamples)
	}
	return append(lines, soak)
}

// ShowSoak reports whether a scenario's soak line means something: the
// scenario lasted MinSoakDuration and the GC cycles the heap regression
// needs for a verdict, or an assertion reads a soak.* or heap.* figure (then the line explains
// it, verdict or not). A short scenario's throughput spread, p99 drift and
// heap slope say nothing about a soak, so its line is left out; nor do a
// breakpoint search's, whose load climbs by design.
func ShowSoak(s ScenarioDoc) bool {
	if s.Resources != nil && s.Resources.Soak.HeapSamples >= minHeapSamples && s.Breakpoint == nil &&
		time.Duration(s.ElapsedNS) >= MinSoakDuration {
		return true
	}
	for _, a := range s.Assertions {
		for _, ref := range ObservedRefs(a) {
			ref = strings.TrimPrefix(ref, "baseline.")
			if strings.HasPrefix(ref, "soak.") || strings.HasPrefix(ref, "heap.") {
				return true
			}
		}
	}
	return false
}

// ObservedText is an assertion's observed values, one a line, then the tag
// of each of its notes in brackets: the first clause names the case, and
// the scenario's notes above the table explain it.
func ObservedText(a AssertionDoc) string {
	obs := FormatObserved(a.Observed, ObservedRefs(a))
	for _, n := range a.Notes {
		tag, _, _ := strings.Cut(n, ":")
		obs += "\n(" + tag + ")"
	}
	return obs
}

// machineText summarises what the machine did over a scenario, saying "not
// measured" where a figure was not available.
func machineText(m *executor.Machine) string {
	pct := func(p *float64) string {
		if p == nil {
			return "not measured"
		}
		return fmt.Sprintf("%.0f%%", *p)
	}
	return fmt.Sprintf("other processes cpu %s, steal %s, cpu pressure %s, io pressure %s, throttled %s",
		pct(m.OtherCPU), pct(m.Steal), pct(m.CPUPressure), pct(m.IOPressure), pct(m.Throttled))
}

// interferenceText says how many intervals interference disturbed, why,
// and how late the probe woke.
func interferenceText(in *executor.Interference) string {
	s := fmt.Sprintf("interference in %d of %d intervals", in.Disturbed, in.Intervals)
	if len(in.Reasons) > 0 {
		s += ": " + strings.Join(in.Reasons, "; ")
	}
	s += fmt.Sprintf("; probe woke up to %s late (p99 %s, %d pauses of at least %s)",
		Duration(in.WakeMax), Duration(in.WakeP99), in.Pauses, Duration(in.PauseFloor))
	if in.Attributed > 0 {
		s += fmt.Sprintf("; %d long operations (up to %s) put down to pauses, not to the target", in.Attributed, Duration(in.AttributedMax))
	}
	return s
}

// availabilityText is "availability 99.5%, 58/60 intervals within the 1%
// error budget".
func availabilityText(a *executor.Availability) string {
	return fmt.Sprintf("availability %s, %d/%d intervals within the %s error budget",
		AvailabilityPercent(a.Ratio), a.WindowsMet, a.WindowsTotal, AvailabilityPercent(a.ErrorBudget))
}

// AvailabilityPercent formats an availability ratio in percent, rounded
// down to four decimals so that 99.99999% never reads 100%.
func AvailabilityPercent(r float64) string {
	s := strconv.FormatFloat(math.Floor(r*1e6+1e-6)/1e4, 'f', 4, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

// IOText is the I/O part of the resource line, e.g. "io r 2.00KiB w 0B
// (20/0 calls) disk r 8.00KiB w 0B net tx 1000B rx 4.88KiB", with "not
// measured" for what the system does not give.
func IOText(io *executor.IO) string {
	var p *executor.ProcessIO
	var n *executor.NetworkIO
	if io != nil {
		p, n = io.Process, io.Network
	}
	out := "io not measured"
	if p != nil {
		out = fmt.Sprintf("io r %s w %s (%d/%d calls) disk r %s w %s", Bytes(p.ReadBytes), Bytes(p.WriteBytes), p.ReadOps, p.WriteOps,
			Bytes(p.DiskReadBytes), Bytes(p.DiskWriteBytes))
	}
	if n == nil {
		return out + " net not measured"
	}
	return out + fmt.Sprintf(" net tx %s rx %s", Bytes(n.SentBytes), Bytes(n.ReceivedBytes))
}

// IOTile is the HTML report's I/O tile: the bytes through read and write
// calls, and the network's, or "not measured".
func IOTile(id string, io *executor.IO) HTMLTile {
	t := HTMLTile{ID: id + "-tile-io", Label: "i/o", Value: "not measured"}
	if io != nil && io.Process != nil {
		t.Value = fmt.Sprintf("r %s w %s", Bytes(io.Process.ReadBytes), Bytes(io.Process.WriteBytes))
	}
	t.Note = "net not measured"
	if io != nil && io.Network != nil {
		t.Note = fmt.Sprintf("net tx %s rx %s", Bytes(io.Network.SentBytes), Bytes(io.Network.ReceivedBytes))
	}
	return t
}

// StageLabel is a stage's name, or "stage N" for an unnamed one.
func StageLabel(st StageDoc) string {
	if st.Name != "" {
		return st.Name
	}
	return fmt.Sprintf("stage %d", st.Index)
}

// StageHeader heads the per-stage tables (the terminal's after a
// "scenario" column, Markdown's and the HTML report's); StageRow is one
// stage's row under it.
func StageHeader() []string {
	return []string{"stage", "target", "time", "ops", "throughput", "errors", "p50", "p95", "p99", "max"}
}

// StageRow is a stage's row under StageHeader: its name, target, span,
// and the figures of the operations completed in it.
func StageRow(st StageDoc) []string {
	r := opDocRow("", StageLabel(st), st.Total, st.Total.Latency)
	span := Duration(time.Duration(st.StartNS)) + "–" + Duration(time.Duration(st.EndNS))
	if st.StartNS == 0 {
		span = "0–" + Duration(time.Duration(st.EndNS))
	}
	return []string{r[1], Number(st.Target), span, r[2], r[3], r[4], r[5], r[6], r[7], r[9]}
}

// writeStageTable prints the per-stage figures of the plan's ramping
// scenarios: a row per stage with its target, its span, and the figures
// of the operations completed in it.
func writeStageTable(w io.Writer, p *PlanDoc, width int) error {
	var t *Table
	for _, s := range p.Scenarios {
		for i, st := range s.Stages {
			if t == nil {
				t = NewTable(w, append([]string{"scenario"}, StageHeader()...),
					[]tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight}, width).Keys(2)
			}
			name := ""
			if i == 0 {
				name = s.Name
			}
			if err := t.Append(append([]string{name}, StageRow(st)...)); err != nil {
				return err
			}
		}
	}
	if t == nil {
		return nil
	}
	return t.Render()
}

// writeSweepTables prints, for each scenario declared with for_each, one
// table of its instances with the swept value as a column: key, value,
// ops, throughput, errors, p50, p99, max and the assertions held.
func writeSweepTables(w io.Writer, p *PlanDoc, opts TableOptions) error {
	var order []string
	byName := map[string][]ScenarioDoc{}
	for _, s := range p.Scenarios {
		if s.Sweep == nil {
			continue
		}
		if _, ok := byName[s.Sweep.Name]; !ok {
			order = append(order, s.Sweep.Name)
		}
		byName[s.Sweep.Name] = append(byName[s.Sweep.Name], s)
	}
	for _, name := range order {
		fmt.Fprintln(w, "sweep "+name+" (for_each):")
		t := NewTable(w, []string{"each.key", "each.value", "ops", "throughput", "errors", "p50", "p99", "max", "assertions"},
			[]tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft}, opts.width())
		var flagged []string
		for _, s := range byName[name] {
			// The latencies assertions read: a stalled closed model's
			// corrected view (unless allow_omitted), marked.
			l, key := s.Total.Latency, s.Sweep.Key
			if c := s.Total.Corrected; c != nil && !s.AllowOmitted {
				l, key = *c, key+" *"
			}
			if s.RunnerSaturated != "" || s.Total.Corrected != nil || s.Total.LatencyLowerBound {
				flagged = append(flagged, s.Name)
			}
			r := opDocRow("", "", s.Total, l)
			held := 0
			for _, a := range s.Assertions {
				if a.Passed {
					held++
				}
			}
			verdict := fmt.Sprintf("%d/%d held", held, len(s.Assertions))
			if held < len(s.Assertions) {
				verdict = Paint(opts.Color, verdict, Red)
			}
			if err := t.Append([]string{key, s.Sweep.Value, r[2], r[3], r[4], r[5], r[7], r[9], verdict}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		if len(flagged) > 0 {
			writeNote(w, fmt.Sprintf("figures of %s cannot be trusted as they stand (a stall, dropped iterations or a saturated runner): see their notes below; * marks latencies corrected for coordinated omission", strings.Join(flagged, ", ")), opts.width())
		}
	}
	return nil
}
