package plan

import "strings"

// ScenarioPrefix starts a cross-scenario metric: scenario.NAME.X is metric X
// of the plan's scenario NAME, read once NAME has finished.
const ScenarioPrefix = "scenario."

// DuetPrefix starts a duet metric: duet.NAME.X.change (and .low, .high) is
// the paired relative difference of metric X between the duet's members.
const DuetPrefix = "duet."

// SplitScenarioRef splits scenario.NAME.METRIC into NAME and METRIC; ok is
// false for any other name.
func SplitScenarioRef(name string) (scenario, metric string, ok bool) {
	return splitRef(name, ScenarioPrefix)
}

// SplitDuetRef splits duet.NAME.REST into NAME and REST; ok is false for
// any other name.
func SplitDuetRef(name string) (duet, rest string, ok bool) {
	return splitRef(name, DuetPrefix)
}

func splitRef(name, prefix string) (string, string, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return "", "", false
	}
	head, tail, ok := strings.Cut(rest, ".")
	if !ok || head == "" || tail == "" {
		return "", "", false
	}
	return head, tail, true
}

// CrossScenarios returns the names of the scenarios whose figures the
// metric names refs read, directly (scenario.NAME.X) or through a duet of
// duets (duet.NAME.X reads every member of NAME), each once, in order.
func CrossScenarios(refs []string, duets []*Duet) []string {
	var out []string
	add := func(n string) {
		for _, o := range out {
			if o == n {
				return
			}
		}
		out = append(out, n)
	}
	for _, r := range refs {
		if sc, _, ok := SplitScenarioRef(r); ok {
			add(sc)
		}
		if d, _, ok := SplitDuetRef(r); ok {
			for _, du := range duets {
				if du.Name == d {
					for _, m := range du.Members {
						add(m)
					}
				}
			}
		}
	}
	return out
}

// Duet declares scenarios that are variants of one measurement: they run
// the same load at the same time, and each member after the first is
// compared with the first interval by interval (a duet block).
type Duet struct {
	Name string
	// Members are the scenarios' names; the first is the reference (A).
	Members []string
	// Pos is where the duet block is, "FILE:LINE:COL".
	Pos string
}

// DuetStats are the paired statistics of a duet metric: the relative
// change of the member against the reference and its confidence interval's
// bounds, as fractions (0.05 is 5 % higher), and the number of pairs.
var DuetStats = []string{"change", "low", "high", "pairs"}

// DuetFigures are the per-interval figures a duet pairs: the latency
// percentiles of each interval and its throughput.
var DuetFigures = []string{"latency.p50", "latency.p90", "latency.p95", "latency.p99", "latency.max", "throughput"}

// DuetMetricNames returns the metric names of duet d: duet.NAME.FIGURE.STAT
// for two members (the second against the first), and
// duet.NAME.MEMBER.FIGURE.STAT for every member after the first.
func DuetMetricNames(d *Duet) []string {
	var names []string
	add := func(prefix string) {
		for _, f := range DuetFigures {
			for _, st := range DuetStats {
				names = append(names, prefix+f+"."+st)
			}
		}
	}
	if len(d.Members) == 2 {
		add(DuetPrefix + d.Name + ".")
	}
	for _, m := range d.Members[min(1, len(d.Members)):] {
		add(DuetPrefix + d.Name + "." + m + ".")
	}
	return names
}
