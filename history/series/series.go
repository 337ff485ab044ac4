// Package series holds a history's series as plain values, a metric of a
// scenario of a plan over the recorded runs (Key, Point), and their
// analysis: the least-squares trend (FitTrend) and the change points found
// by E-Divisive means (ChangePoints). It knows nothing of storage, so that
// the reports that draw a history (report/html) need no database driver;
// package history reads and writes the store.
package series

import "time"

// Key names one series: a metric of a scenario of a plan.
type Key struct {
	Plan, Scenario, Metric string
}

// String is "plan/scenario metric".
func (k Key) String() string { return k.Plan + "/" + k.Scenario + " " + k.Metric }

// Point is one value of a series: the median over the repetitions of one
// run document.
type Point struct {
	DocumentID int64
	// RunID is the first run (repetition) of the document.
	RunID  int64
	Start  time.Time
	Commit string
	Value  float64
	// N is the number of repetitions the value summarises.
	N int
}
