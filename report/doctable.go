package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/perfplan/perfplan/dsl"
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
	if interruptedBetweenPlans(d) {
		if _, err := fmt.Fprintln(w, "\n"+Paint(opts.Color, "INTERRUPTED: "+interruptedBetweenPlansNote, Yellow)); err != nil {
			return fmt.Errorf("write tables: %w", err)
		}
	}
	return nil
}

// interruptedBetweenPlansNote explains a document that interruptedBetweenPlans.
const interruptedBetweenPlansNote = "the run was interrupted by a signal between plans or repetitions; the ones still to run are not in these results"

// interruptedBetweenPlans reports whether d is interrupted while none of its
// plans is: the signal came between two plans or repetitions. (Otherwise
// the interrupted plan carries the mark.)
func interruptedBetweenPlans(d *Document) bool {
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
	fmt.Fprintf(w, "\nplan %s (%s)", p.Name, p.File)
	if p.Interrupted {
		fmt.Fprint(w, "  [INTERRUPTED: partial results]")
	}
	fmt.Fprintln(w)
	if p.Error != "" {
		fmt.Fprintln(w, Paint(opts.Color, "ERROR: "+p.Error, Red))
		return nil
	}
	for _, e := range p.Errors {
		fmt.Fprintln(w, Paint(opts.Color, "ERROR: "+e, Red))
	}
	header := []string{"scenario", "op", "ops", "throughput", "errors", "p50", "p95", "p99", "p99.9", "max"}
	align := []tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight}
	lag := false
	for _, s := range p.Scenarios {
		lag = lag || s.Total.ScheduleLag != nil
	}
	if lag {
		header = append(header, "lag p99")
		align = append(align, tw.AlignRight)
	}
	t := newTable(w, header, align)
	row := func(scenario, op string, o OpDoc, l LatencyDoc) error {
		r := opDocRow(scenario, op, o, l)
		if lag {
			r = append(r, lagCell(o))
		}
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
	for _, note := range scenarioDocNotes(p) {
		fmt.Fprintln(w, "  "+note)
	}
	if err := writeBreakpointTables(w, p); err != nil {
		return err
	}
	if err := writeDocTargetStats(w, p); err != nil {
		return err
	}
	writeDuets(w, p)
	if err := writeDocAssertions(w, p, opts); err != nil {
		return err
	}
	fmt.Fprintln(w, docVerdictLine(p, opts))
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

// lagCell is the schedule lag p99 of an open-model row, "-" for a closed one.
func lagCell(o OpDoc) string {
	if o.ScheduleLag == nil {
		return "-"
	}
	return Duration(time.Duration(o.ScheduleLag.P99))
}

func isOpenModel(executor string) bool {
	return executor == "constant-arrival-rate" || executor == "ramping-arrival-rate" || executor == "breakpoint"
}

func scenarioDocNotes(p *PlanDoc) []string {
	var notes []string
	for _, s := range p.Scenarios {
		line := fmt.Sprintf("%s: %s, %s, up to %d workers", s.Name, s.Executor, Duration(time.Duration(s.ElapsedNS)), s.VUsMax)
		if isOpenModel(s.Executor) {
			line += fmt.Sprintf("; latency from intended start, service time p99 %s", Duration(time.Duration(s.Total.ServiceTime.P99)))
			if l := s.Total.ScheduleLag; l != nil {
				line += fmt.Sprintf(", schedule lag p50 %s p99 %s max %s", Duration(time.Duration(l.P50)), Duration(time.Duration(l.P99)), Duration(time.Duration(l.Max)))
			}
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
		if s.Cut > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d iterations cut at graceful_stop", s.Name, s.Cut))
		}
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
		for _, e := range o.ErrorSamples {
			notes = append(notes, fmt.Sprintf("%s: %s error (%d): %s", s.Name, o.Name, e.Count, e.Message))
		}
	}
	return notes
}

// trustNotes are the lines that say which of a scenario's figures cannot be
// trusted as they stand: dropped iterations (lower bounds), a closed-model
// stall (a corrected view), a saturated runner. warn prefixes each line.
func trustNotes(s ScenarioDoc, warn string) []string {
	var notes []string
	if s.Dropped > 0 && s.Breakpoint == nil {
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
// by any others in name order.
func ObservedRefs(a AssertionDoc) []string {
	if len(a.Refs) > 0 {
		return a.Refs
	}
	var refs []string
	seen := map[string]bool{}
	// An older document without refs: parse them from the condition (the
	// names without observed values, var.* among them, drop out).
	read, _ := dsl.ConditionRefs(a.Condition)
	for _, r := range read {
		if _, ok := a.Observed[r]; ok && !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	for _, k := range sortedKeys(a.Observed) {
		if !seen[k] {
			refs = append(refs, k)
		}
	}
	return refs
}

// assertionMessage is the message shown for a failed assertion.
func assertionMessage(a AssertionDoc) string {
	if a.Passed {
		return ""
	}
	msg := a.ErrorMessage
	if a.Error != "" {
		msg = strings.TrimSpace(msg + " " + a.Error)
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
		[]tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft})
	for _, s := range assertionGroups(p) {
		for _, a := range s.Assertions {
			verdict := Paint(opts.Color, "PASS", Green)
			if !a.Passed {
				verdict = Paint(opts.Color, "FAIL", Red)
			}
			if a.Aborted {
				verdict += " (aborted run)"
			}
			if err := t.Append([]string{verdict, s.Name, a.Condition, observedText(a), assertionMessage(a)}); err != nil {
				return fmt.Errorf("table row: %w", err)
			}
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

func assertionCounts(p *PlanDoc) (total, failed int) {
	for _, a := range p.Assertions {
		total++
		if !a.Passed {
			failed++
		}
	}
	for _, s := range p.Scenarios {
		for _, a := range s.Assertions {
			total++
			if !a.Passed {
				failed++
			}
		}
	}
	return total, failed
}

func docVerdictLine(p *PlanDoc, opts TableOptions) string {
	total, failed := assertionCounts(p)
	score, word := Grade(*p)
	grade := fmt.Sprintf("  grade %s (%s)", Number(score), word)
	switch {
	case p.Interrupted:
		return Paint(opts.Color, fmt.Sprintf("INTERRUPTED: %d of %d assertions failed on partial results", failed, total), Yellow) + grade
	case failed > 0:
		return Paint(opts.Color, fmt.Sprintf("FAIL: %d of %d assertions failed", failed, total), Red) + grade
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
		total, failed := len(s.Assertions), 0
		for _, a := range s.Assertions {
			if !a.Passed {
				failed++
			}
		}
		verdict := "no assertions"
		if total > 0 {
			verdict = fmt.Sprintf("%d/%d assertions held", total-failed, total)
		}
		fmt.Fprintf(w, "  %-16s ops %-9d %10s  p50 %-8s p99 %-8s errors %-6s %s\n", s.Name, s.Total.Ops,
			Rate(s.Total.Throughput), Duration(time.Duration(s.Total.Latency.P50)),
			Duration(time.Duration(s.Total.Latency.P99)), Percent(s.Total.ErrorRate), verdict)
		for _, a := range s.Assertions {
			if !a.Passed {
				msg := assertionMessage(a)
				if msg == "" {
					msg = "does not hold"
				}
				fmt.Fprintf(w, "    %s %s: %s\n", Paint(opts.Color, "FAIL", Red), a.Condition, msg)
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

// resourceNotes are a scenario's resource line and, when showSoak, its soak
// line, e.g.
// "steady: cpu 143% rss 52.0MiB heap 12.0MiB gc 4 (p99 300µs) goroutines 9 allocs/op 0".
func resourceNotes(s ScenarioDoc) []string {
	r := s.Resources
	res := fmt.Sprintf("%s: cpu %.0f%% rss %s heap %s gc %d (p99 %s) goroutines %d allocs/op %s",
		s.Name, r.CPUPercent, Bytes(r.RSSPeak), Bytes(r.HeapInUsePeak), r.GCCount, Duration(r.GCPauseP99),
		r.GoroutinesMax, Number(r.AllocsPerOp))
	if !showSoak(s) {
		return []string{res}
	}
	sk := r.Soak
	soak := fmt.Sprintf("%s: soak throughput cv %s, p99 drift %sms/min, ", s.Name, Number(sk.ThroughputCV), Number(sk.P99Drift))
	switch {
	case sk.HeapSamples < minHeapSamples:
		return []string{res, soak + fmt.Sprintf("heap slope: no verdict, %d GC cycles (%d needed; run longer)", sk.HeapSamples, minHeapSamples)}
	case sk.Leak:
		soak += fmt.Sprintf("heap slope %s/min [%s, %s] over %d GC cycles: LEAK (above %s/min)",
			Bytes(int64(sk.HeapSlope)), Bytes(int64(sk.HeapSlopeLow)), Bytes(int64(sk.HeapSlopeHigh)), sk.HeapSamples, Bytes(int64(sk.LeakThreshold)))
	default:
		soak += fmt.Sprintf("heap slope %s/min [%s, %s] over %d GC cycles: no leak",
			Bytes(int64(sk.HeapSlope)), Bytes(int64(sk.HeapSlopeLow)), Bytes(int64(sk.HeapSlopeHigh)), sk.HeapSamples)
	}
	return []string{res, soak}
}

// showSoak reports whether a scenario's soak line means something: the
// scenario lasted the GC cycles the heap regression needs for a verdict,
// or an assertion reads a soak.* or heap.* figure (then the line explains
// it, verdict or not). A short scenario's throughput spread, p99 drift and
// heap slope say nothing about a soak, so its line is left out; nor do a
// breakpoint search's, whose load climbs by design.
func showSoak(s ScenarioDoc) bool {
	if s.Resources != nil && s.Resources.Soak.HeapSamples >= minHeapSamples && s.Breakpoint == nil {
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

// observedText is an assertion's observed values, one a line, then the tag
// of each of its notes in brackets: the first clause names the case, and
// the scenario's notes above the table explain it.
func observedText(a AssertionDoc) string {
	obs := FormatObserved(a.Observed, ObservedRefs(a))
	for _, n := range a.Notes {
		tag, _, _ := strings.Cut(n, ":")
		obs += "\n(" + tag + ")"
	}
	return obs
}
