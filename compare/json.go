package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
)

// JSONSchemaVersion is the version of the layout WriteJSON writes
// (perfplan compare --format json, documented in docs/results.md). It
// changes when a field changes meaning or goes away; added fields do not
// change it.
const JSONSchemaVersion = 1

// JSONReport is the machine-readable comparison: the verdict, a summary
// by severity, the regressions with their recommendations, and every
// compared row.
type JSONReport struct {
	Schema        string      `json:"schema"`
	SchemaVersion int         `json:"schema_version"`
	Options       JSONOptions `json:"options"`
	Verdict       JSONVerdict `json:"verdict"`
	Summary       JSONSummary `json:"summary"`
	// Regressions are the significant regressions, worst severity first.
	Regressions []JSONRow `json:"regressions"`
	// Rows are every compared metric, in the order of the table.
	Rows []JSONRow `json:"rows"`
	// Missing lists plans or scenarios present on only one side.
	Missing []string `json:"missing"`
}

// JSONOptions are the comparison's settings.
type JSONOptions struct {
	Alpha      float64 `json:"alpha"`
	Threshold  float64 `json:"threshold"`
	Confidence float64 `json:"confidence"`
	// Cutoffs are the regression sizes rated Medium, High and Critical.
	Cutoffs map[string]float64 `json:"severity_cutoffs"`
}

// JSONVerdict is the comparison's outcome. Status is "regression" (a
// significant regression at or beyond the threshold: perfplan compare
// exits 1), "inconclusive" (every such regression explained by measured
// interference: exit 6), "ok", "no_verdict" (no row could be tested) or
// "nothing_to_compare"; Text is the verdict line of the table.
type JSONVerdict struct {
	Status string `json:"status"`
	Failed bool   `json:"failed"`
	Text   string `json:"text"`
}

// JSONSummary counts the rows: significant regressions by severity (every
// severity present, 0 when none), those failing the threshold,
// improvements and rows without a verdict.
type JSONSummary struct {
	Rows         int            `json:"rows"`
	Regressions  int            `json:"regressions"`
	Failing      int            `json:"failing"`
	BySeverity   map[string]int `json:"by_severity"`
	Improvements int            `json:"improvements"`
	NoVerdict    int            `json:"no_verdict"`
}

// JSONSide is one side's centre and confidence interval, in the metric's
// unit (latencies in nanoseconds, throughput per second, error rate as a
// fraction).
type JSONSide struct {
	N          int      `json:"n"`
	Stat       string   `json:"stat,omitempty"`
	Center     *float64 `json:"center"`
	Low        *float64 `json:"low"`
	High       *float64 `json:"high"`
	Confidence float64  `json:"confidence"`
}

// JSONRow is one compared metric. Change is new/base − 1 and
// ChangeInterval its confidence interval; PValue is the test's p-value;
// each is null where there is none (no verdict, no interval).
type JSONRow struct {
	Plan           string      `json:"plan"`
	Scenario       string      `json:"scenario"`
	Op             string      `json:"op"`
	Metric         string      `json:"metric"`
	Unit           string      `json:"unit"`
	HigherIsBetter bool        `json:"higher_is_better"`
	Base           JSONSide    `json:"base"`
	New            JSONSide    `json:"new"`
	Change         *float64    `json:"change"`
	ChangeInterval [2]*float64 `json:"change_interval"`
	PValue         *float64    `json:"p_value"`
	Method         string      `json:"method"`
	Significant    bool        `json:"significant"`
	Regression     bool        `json:"regression"`
	Improvement    bool        `json:"improvement"`
	NoVerdict      bool        `json:"no_verdict"`
	// Severity is Low, Medium, High or Critical for a regression, else "".
	Severity string `json:"severity"`
	// Failing is a regression at or beyond the threshold.
	Failing bool `json:"failing"`
	// Inconclusive says why measured interference explains a regression
	// that would otherwise fail (added within version 1).
	Inconclusive string `json:"inconclusive,omitempty"`
	// Recommendation is the advice on a regression, drawn from how the
	// operation's other metrics moved; "" when there is none.
	Recommendation string   `json:"recommendation"`
	Warnings       []string `json:"warnings,omitempty"`
}

// finite is v, or nil when v is NaN or infinite (JSON has neither).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func jsonSide(s Summary) JSONSide {
	js := JSONSide{N: s.N, Stat: s.Stat, Center: finite(s.Center), Confidence: s.Confidence}
	if s.Confidence > 0 {
		js.Low, js.High = finite(s.Lo), finite(s.Hi)
	}
	return js
}

func jsonRow(r Row) JSONRow {
	jr := JSONRow{
		Plan: r.Plan, Scenario: r.Scenario, Op: r.Op, Metric: r.Metric.Name, Unit: r.Metric.Unit, HigherIsBetter: r.Metric.HigherIsBetter,
		Base: jsonSide(r.Base), New: jsonSide(r.New), Change: finite(r.Delta), ChangeInterval: [2]*float64{finite(r.DeltaLo), finite(r.DeltaHi)},
		PValue: finite(r.P), Method: r.Method.String(), Significant: r.Significant, Regression: r.Regression, Improvement: r.Improvement,
		NoVerdict: r.Declined, Severity: r.Severity.String(), Failing: r.Failing, Recommendation: r.Advice,
	}
	for _, w := range r.Warnings {
		if !slices.Contains(jr.Warnings, w) {
			jr.Warnings = append(jr.Warnings, w)
		}
	}
	if r.Declined {
		jr.Significant = false
	}
	jr.Inconclusive = r.Inconclusive
	return jr
}

// JSON builds the machine-readable report of r.
func (r *Result) JSON() JSONReport {
	text, _ := r.verdict()
	o := r.Options
	rep := JSONReport{
		Schema: "perfplan-compare", SchemaVersion: JSONSchemaVersion,
		Options: JSONOptions{Alpha: o.Alpha, Threshold: o.Threshold, Confidence: o.Confidence,
			Cutoffs: map[string]float64{"Medium": o.Cutoffs.Medium, "High": o.Cutoffs.High, "Critical": o.Cutoffs.Critical}},
		Verdict:     JSONVerdict{Failed: r.Failed(), Text: text},
		Summary:     JSONSummary{Rows: len(r.Rows), BySeverity: map[string]int{}},
		Regressions: []JSONRow{}, Rows: []JSONRow{}, Missing: append([]string{}, r.Missing...),
	}
	for s := Low; s <= Critical; s++ {
		rep.Summary.BySeverity[s.String()] = 0
	}
	for _, row := range r.Rows {
		rep.Rows = append(rep.Rows, jsonRow(row))
		switch {
		case row.Declined:
			rep.Summary.NoVerdict++
		case row.Regression:
			rep.Summary.Regressions++
			rep.Summary.BySeverity[row.Severity.String()]++
			if row.Failing {
				rep.Summary.Failing++
			}
		case row.Improvement:
			rep.Summary.Improvements++
		}
	}
	// Worst first; the table's order within a severity.
	for s := Critical; s >= Low; s-- {
		for _, row := range r.Rows {
			if row.Regression && row.Severity == s {
				rep.Regressions = append(rep.Regressions, jsonRow(row))
			}
		}
	}
	switch {
	case len(r.Rows) == 0:
		rep.Verdict.Status = "nothing_to_compare"
	case r.Failed():
		rep.Verdict.Status = "regression"
	case r.Inconclusive():
		rep.Verdict.Status = "inconclusive"
	case rep.Summary.NoVerdict == len(r.Rows):
		rep.Verdict.Status = "no_verdict"
	default:
		rep.Verdict.Status = "ok"
	}
	return rep
}

// WriteJSON writes the machine-readable report (see JSON), indented.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r.JSON()); err != nil {
		return fmt.Errorf("write comparison JSON: %w", err)
	}
	return nil
}
