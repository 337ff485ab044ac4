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
// direction, or 0 when it held.
func moved(m map[string]*Row, name string) float64 {
	r, ok := m[name]
	if !ok || !r.Significant || math.IsInf(r.Worse, 0) || math.IsNaN(r.Worse) {
		return 0
	}
	return r.Worse
}

func pct(v float64) string {
	if math.IsInf(v, 1) {
		return "+∞"
	}
	return fmt.Sprintf("%+.1f%%", 100*v)
}

func advice(r *Row, m map[string]*Row, baseDropped, newDropped int64) string {
	errRate := moved(m, "error_rate")
	p50 := moved(m, "p50")
	p99 := moved(m, "p99")
	switch r.Metric.Name {
	case "error_rate":
		return fmt.Sprintf("error rate rose from %s to %s: check the target's errors before reading the latency figures",
			fmtValue(r.Metric, r.Base.Center), fmtValue(r.Metric, r.New.Center))
	case "p90", "p99":
		if errRate > 0 {
			return fmt.Sprintf("%s rose %s along with the error rate (%s): failing or retried calls may be skewing the tail; fix errors first", r.Metric.Name, pct(r.Worse), pct(errRate))
		}
		if p50 < r.Worse/3 {
			return fmt.Sprintf("%s rose %s while p50 held (%s): look at tail causes such as GC pauses, lock contention, queueing bursts or a slow dependency", r.Metric.Name, pct(r.Worse), pct(p50))
		}
		return fmt.Sprintf("%s rose %s with p50 %s: the whole distribution shifted, so every call got slower; profile the operation's hot path", r.Metric.Name, pct(r.Worse), pct(p50))
	case "p50":
		if p99 > 0 && p99 >= 2*r.Worse {
			return fmt.Sprintf("p50 rose %s and p99 %s: the slowdown grows in the tail, which points at contention or queueing rather than a fixed extra cost", pct(r.Worse), pct(p99))
		}
		return fmt.Sprintf("p50 rose %s: the typical call got slower, a fixed extra cost per operation; profile the hot path (CPU, allocations)", pct(r.Worse))
	case "throughput":
		dropped := ""
		if newDropped > baseDropped {
			dropped = fmt.Sprintf("; the runner dropped %d iterations (base %d): raise max_vus or check the runner's CPU", newDropped, baseDropped)
		}
		if errRate > 0 {
			return fmt.Sprintf("throughput fell %s as the error rate rose %s: check target errors first%s", pct(r.Worse), pct(errRate), dropped)
		}
		if p50 == 0 && p99 == 0 {
			return fmt.Sprintf("throughput fell %s with latency flat: the runner or the target is CPU-bound or short of workers (check vus_max and dropped iterations)%s", pct(r.Worse), dropped)
		}
		return fmt.Sprintf("throughput fell %s as latency rose (p50 %s, p99 %s): with a fixed number of workers slower calls mean fewer of them; fix the latency first%s", pct(r.Worse), pct(p50), pct(p99), dropped)
	}
	return ""
}
