package compare

import (
	"fmt"
	"math"
)

// addAdvice writes a line of advice on each regression of one scenario's
// rows, drawn from how the other metrics of the same operation moved and
// from the iterations the runner dropped.
func addAdvice(rows []Row, baseDropped, newDropped int64) {
	byOp := map[string]map[string]*Row{}
	for i := range rows {
		r := &rows[i]
		if byOp[r.Op] == nil {
			byOp[r.Op] = map[string]*Row{}
		}
		byOp[r.Op][r.Metric.Name] = r
	}
	for i := range rows {
		r := &rows[i]
		if !r.Regression {
			continue
		}
		r.Advice = advice(r, byOp[r.Op], baseDropped, newDropped)
	}
}

// moved reports a metric's significant relative change in its bad
// direction (+Inf when it rose from zero), or 0 when it held, had no
// verdict or was not compared.
func moved(m map[string]*Row, name string) float64 {
	r, ok := m[name]
	if !ok || !r.Significant || r.Declined || math.IsNaN(r.Worse) {
		return 0
	}
	return r.Worse
}

// pct renders a relative size as an unsigned percentage; the words around
// it give the direction.
func pct(v float64) string {
	return fmt.Sprintf("%.1f%%", 100*math.Abs(v))
}

// change says in words how metric name moved: "rose 12.0%", "fell 8.7%",
// "rose from 0 to 2.00%", "held" (no significant change), "had no verdict"
// or "was not compared".
func change(m map[string]*Row, name string) string {
	r, ok := m[name]
	switch {
	case !ok:
		return "was not compared"
	case r.Declined:
		return "had no verdict"
	case !r.Significant || r.Worse == 0 || math.IsNaN(r.Worse):
		return "held"
	}
	// The metric's own direction: Worse is the change in the bad
	// direction, which for throughput is down.
	up := r.Worse > 0 != r.Metric.HigherIsBetter
	if math.IsInf(r.Worse, 0) {
		if up {
			return fmt.Sprintf("rose from 0 to %s", fmtValue(r.Metric, r.New.Center))
		}
		return fmt.Sprintf("fell to 0 from %s", fmtValue(r.Metric, r.Base.Center))
	}
	if up {
		return "rose " + pct(r.Worse)
	}
	return "fell " + pct(r.Worse)
}

// errorsRose describes the error rate's rise, "" when it did not rise
// significantly.
func errorsRose(m map[string]*Row) string {
	if moved(m, "error_rate") <= 0 {
		return ""
	}
	r := m["error_rate"]
	return fmt.Sprintf("the error rate rose from %s to %s", fmtValue(r.Metric, r.Base.Center), fmtValue(r.Metric, r.New.Center))
}

// undecided reports whether metric name was compared without a verdict.
func undecided(m map[string]*Row, name string) bool {
	r, ok := m[name]
	return ok && r.Declined
}

func advice(r *Row, m map[string]*Row, baseDropped, newDropped int64) string {
	p50 := moved(m, "p50")
	p99 := moved(m, "p99")
	errs := errorsRose(m)
	self := r.Metric.Name + " " + change(m, r.Metric.Name)
	switch r.Metric.Name {
	case "error_rate":
		return fmt.Sprintf("error rate rose from %s to %s: check the target's errors before reading the latency figures",
			fmtValue(r.Metric, r.Base.Center), fmtValue(r.Metric, r.New.Center))
	case "p90", "p99":
		if errs != "" {
			return fmt.Sprintf("%s while %s: failing or retried calls may be skewing the tail; fix errors first", self, errs)
		}
		if p50 == 0 && undecided(m, "p50") {
			return fmt.Sprintf("%s, but p50 had no verdict, so whether only the tail or the whole distribution moved is unknown; compare runs made with --count to tell", self)
		}
		if p50 < r.Worse/3 {
			return fmt.Sprintf("%s while p50 %s: look at tail causes such as GC pauses, lock contention, queueing bursts or a slow dependency", self, change(m, "p50"))
		}
		return fmt.Sprintf("%s and p50 %s: the whole distribution shifted, so every call got slower; profile the operation's hot path", self, change(m, "p50"))
	case "p50":
		if p99 > 0 && p99 >= 2*r.Worse {
			return fmt.Sprintf("%s and p99 %s: the slowdown grows in the tail, which points at contention or queueing rather than a fixed extra cost", self, change(m, "p99"))
		}
		return fmt.Sprintf("%s: the typical call got slower, a fixed extra cost per operation; profile the hot path (CPU, allocations)", self)
	case "throughput":
		dropped := ""
		if newDropped > baseDropped {
			dropped = fmt.Sprintf("; the runner dropped %d iterations (base %d): raise max_vus or check the runner's CPU", newDropped, baseDropped)
		}
		if errs != "" {
			return fmt.Sprintf("%s while %s: check target errors first%s", self, errs, dropped)
		}
		latency := fmt.Sprintf("p50 %s, p99 %s", change(m, "p50"), change(m, "p99"))
		if p50 <= 0 && p99 <= 0 && (undecided(m, "p50") || undecided(m, "p99")) {
			return fmt.Sprintf("%s (%s): with no verdict on latency the cause is open; compare runs made with --count, and check the runner's CPU and dropped iterations%s", self, latency, dropped)
		}
		if p50 <= 0 && p99 <= 0 {
			flat := "latency flat"
			if p50 < 0 || p99 < 0 {
				flat = "latency flat or lower"
			}
			return fmt.Sprintf("%s with %s (%s): the runner or the target is CPU-bound or short of workers (check vus_max and dropped iterations)%s", self, flat, latency, dropped)
		}
		return fmt.Sprintf("%s as latency rose (%s): with a fixed number of workers slower calls mean fewer of them; fix the latency first%s", self, latency, dropped)
	}
	return ""
}
