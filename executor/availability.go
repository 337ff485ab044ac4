package executor

// AvailabilityBudget is the error budget of one snapshot interval for
// availability_windows: an interval met it when at most this share of the
// operations completed in it failed (1 %).
const AvailabilityBudget = 0.01

// Availability is a scenario's availability: Ratio is the successful
// operations over all completed operations, (ops − errors) / ops; Windows
// is the share of the snapshot intervals (the series' points) that met the
// error budget, WindowsMet of WindowsTotal. An interval that completed no
// operation is left out (it measured nothing); dropped iterations are not
// operations and do not count here (they flag the run instead).
type Availability struct {
	Ratio float64 `json:"ratio"`
	// Windows is nil when no interval completed an operation.
	Windows      *float64 `json:"windows,omitempty"`
	WindowsMet   int      `json:"windows_met"`
	WindowsTotal int      `json:"windows_total"`
	// ErrorBudget is the largest error rate of an interval that met it.
	ErrorBudget float64 `json:"error_budget"`
}

// AvailabilityOf computes the availability of a scenario from its totals
// and its series; nil when it completed no operation.
func AvailabilityOf(total OpStats, series []SeriesPoint) *Availability {
	if total.Ops == 0 {
		return nil
	}
	a := &Availability{Ratio: float64(total.Ops-total.Errors) / float64(total.Ops), ErrorBudget: AvailabilityBudget}
	for _, p := range series {
		if p.Ops == 0 {
			continue
		}
		a.WindowsTotal++
		if float64(p.Errors) <= AvailabilityBudget*float64(p.Ops) {
			a.WindowsMet++
		}
	}
	if a.WindowsTotal > 0 {
		w := float64(a.WindowsMet) / float64(a.WindowsTotal)
		a.Windows = &w
	}
	return a
}

// Metric resolves availability and availability_windows.
func (a *Availability) Metric(name string) (float64, bool) {
	if a == nil {
		return 0, false
	}
	switch name {
	case "availability":
		return a.Ratio, true
	case "availability_windows":
		if a.Windows == nil {
			return 0, false
		}
		return *a.Windows, true
	}
	return 0, false
}
