package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/perfplan/perfplan/plan"
)

// csvHeader is the header row of WriteCSV: each latency family's columns
// (plan.FamilyDesc.CSV) after the counters. Latencies are in nanoseconds.
func csvHeader() []string {
	h := []string{
		"plan", "repetition", "scenario", "executor", "stage", "stage_target", "op",
		"ops", "errors", "error_rate", "throughput",
	}
	for _, f := range plan.LatencyFamilies() {
		for _, field := range f.CSVFields {
			h = append(h, f.CSV+"_"+field+"_ns")
		}
	}
	return append(h, "latency_lower_bound", "elapsed_ns", "dropped", "cut", "vus_max", "passed", "grade", "status")
}

// csvFamilies are o's cells of the latency families' columns; empty where
// o has no such family.
func csvFamilies(o *OpDoc) []string {
	var cells []string
	for _, f := range plan.LatencyFamilies() {
		l := o.Family(f.Family)
		for _, field := range f.CSVFields {
			if l == nil {
				cells = append(cells, "")
				continue
			}
			cells = append(cells, itoa(l.Field(field)))
		}
	}
	return cells
}

// Values of the CSV status column, from the most serious: the plan could not
// run, the run was interrupted by a signal (the figures are partial), the
// scenario was aborted early by an abort_on_fail assertion, or it ran to its
// end.
const (
	CSVStatusError       = "error"
	CSVStatusInterrupted = "interrupted"
	CSVStatusAborted     = "aborted"
	CSVStatusOK          = "ok"
)

// CSVHeader returns the column names of WriteCSV's header row.
func CSVHeader() []string { return csvHeader() }

// WriteCSV writes one row per plan, scenario and operation (op "(all)" is
// the scenario total) after a header row, and after a ramping scenario's
// rows the same rows for each of its stages: stage is the stage's name (or
// "stage N"), stage_target its target, elapsed_ns its span, and dropped,
// cut and vus_max, which are counted per scenario, are empty. stage and
// stage_target are empty on a scenario's own rows. latency_lower_bound is
// true where dropped iterations make the row's latencies lower bounds.
// repetition counts plans of the same name from 1, for documents with
// --count repetitions. A plan that could not run has one row with an empty
// scenario. The last column, status, is one of the CSVStatus values:
// "interrupted" on every row of a plan whose run a signal interrupted.
func WriteCSV(w io.Writer, d *Document) error {
	cw := csv.NewWriter(w)
	header := csvHeader()
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	reps := map[string]int{}
	for i := range d.Plans {
		p := &d.Plans[i]
		reps[p.Name]++
		rep := strconv.Itoa(reps[p.Name])
		score, _ := Grade(*p)
		plan := []string{p.Name, rep}
		tail := []string{strconv.FormatBool(p.Passed && p.Error == ""), ftoa(score)}
		if p.Error != "" {
			row := append(append([]string{}, plan...), make([]string, len(header)-5)...)
			row = append(row, tail...)
			row = append(row, CSVStatusError)
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
			continue
		}
		for _, s := range p.Scenarios {
			status := csvStatus(p, &s)
			scenario := []string{itoa(s.ElapsedNS), itoa(s.Dropped), itoa(s.Cut), strconv.Itoa(s.VUsMax)}
			if err := writeCSVOps(cw, plan, &s, nil, s.Total, s.Ops, scenario, tail, status); err != nil {
				return err
			}
			for _, st := range s.Stages {
				span := []string{itoa(st.EndNS - st.StartNS), "", "", ""}
				if err := writeCSVOps(cw, plan, &s, &st, st.Total, st.Ops, span, tail, status); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// writeCSVOps writes the rows of scenario s, or of its stage st when st is
// not nil: the total as op "(all)", then each operation. counts are the
// elapsed_ns, dropped, cut and vus_max cells.
func writeCSVOps(cw *csv.Writer, plan []string, s *ScenarioDoc, st *StageDoc, total OpDoc, ops []OpDoc, counts, tail []string, status string) error {
	stage, target := "", ""
	if st != nil {
		stage, target = StageLabel(*st), ftoa(st.Target)
	}
	for j, o := range append([]OpDoc{total}, ops...) {
		name := o.Name
		if j == 0 {
			name = "(all)"
		}
		row := append(append([]string{}, plan...), s.Name, s.Executor, stage, target, name,
			itoa(o.Ops), itoa(o.Errors), ftoa(o.ErrorRate), ftoa(o.Throughput))
		row = append(row, csvFamilies(&o)...)
		row = append(row, strconv.FormatBool(o.LatencyLowerBound))
		row = append(row, counts...)
		row = append(row, tail...)
		row = append(row, status)
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	return nil
}

// csvStatus is the status column of scenario s of plan p.
func csvStatus(p *PlanDoc, s *ScenarioDoc) string {
	switch {
	case p.Interrupted || s.Interrupted:
		return CSVStatusInterrupted
	case s.Aborted:
		return CSVStatusAborted
	}
	return CSVStatusOK
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
