package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// csvHeader is the header row of WriteCSV. Latencies are in nanoseconds.
var csvHeader = []string{
	"plan", "repetition", "scenario", "executor", "op",
	"ops", "errors", "error_rate", "throughput",
	"latency_min_ns", "latency_mean_ns", "latency_stddev_ns", "latency_p50_ns", "latency_p75_ns", "latency_p90_ns",
	"latency_p95_ns", "latency_p99_ns", "latency_p999_ns", "latency_max_ns",
	"service_p50_ns", "service_p99_ns", "service_max_ns",
	"elapsed_ns", "dropped", "cut", "vus_max", "passed", "grade", "status",
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
func CSVHeader() []string { return append([]string(nil), csvHeader...) }

// WriteCSV writes one row per plan, scenario and operation (op "(all)" is
// the scenario total) after a header row. repetition counts plans of the
// same name from 1, for documents with --count repetitions. A plan that could
// not run has one row with an empty scenario. The last column, status, is
// one of the CSVStatus values: "interrupted" on every row of a plan whose run
// a signal interrupted.
func WriteCSV(w io.Writer, d *Document) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
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
			row := append(append([]string{}, plan...), make([]string, len(csvHeader)-5)...)
			row = append(row, tail...)
			row = append(row, CSVStatusError)
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
			continue
		}
		for _, s := range p.Scenarios {
			ops := append([]OpDoc{s.Total}, s.Ops...)
			for j, o := range ops {
				name := o.Name
				if j == 0 {
					name = "(all)"
				}
				row := append(append([]string{}, plan...), s.Name, s.Executor, name,
					itoa(o.Ops), itoa(o.Errors), ftoa(o.ErrorRate), ftoa(o.Throughput),
					itoa(o.Latency.Min), itoa(o.Latency.Mean), itoa(o.Latency.StdDev), itoa(o.Latency.P50), itoa(o.Latency.P75),
					itoa(o.Latency.P90), itoa(o.Latency.P95), itoa(o.Latency.P99), itoa(o.Latency.P999), itoa(o.Latency.Max),
					itoa(o.ServiceTime.P50), itoa(o.ServiceTime.P99), itoa(o.ServiceTime.Max),
					itoa(s.ElapsedNS), itoa(s.Dropped), itoa(s.Cut), strconv.Itoa(s.VUsMax))
				row = append(row, tail...)
				row = append(row, csvStatus(p, &s))
				if err := cw.Write(row); err != nil {
					return fmt.Errorf("write csv: %w", err)
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
