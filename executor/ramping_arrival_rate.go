package executor

import (
	"time"

	"github.com/perfplan/perfplan/plan"
)

// newRampingArrivalRate returns the ramping-arrival-rate executor: the rate
// goes linearly from startRate to each stage's target over the stage. The
// intended start of each iteration is found by inverting the integral of
// the rate (see arrivalSchedule), so ramps are exact at any rate.
func newRampingArrivalRate(startRate float64, unit time.Duration, stages []plan.Stage, pre, maxVUs int) *arrivalRate {
	return &arrivalRate{sched: newRampingSchedule(startRate, unit, stages), pre: pre, maxVUs: maxVUs}
}
