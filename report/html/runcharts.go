package html

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/report"
)

// The run view's charts, as Chart values the page draws.

// htmlMaxPoints bounds the points of a time-series chart: longer series are
// merged as the executor merges them (counts add up, percentiles take the
// larger), so an hour's soak stays a few hundred KB.
const htmlMaxPoints = 720

// thinSeries merges groups of consecutive points so that at most limit
// remain: counts add up, throughput is recomputed over the merged span,
// percentiles and workers take the largest. It returns the points and how
// many intervals each merged point holds.
func thinSeries(in []report.SeriesDoc, limit int) ([]report.SeriesDoc, int) {
	if len(in) <= limit || limit < 1 {
		return in, 1
	}
	k := (len(in) + limit - 1) / limit
	out := make([]report.SeriesDoc, 0, limit)
	var prevEnd int64
	for i := 0; i < len(in); i += k {
		g := in[i:min(i+k, len(in))]
		m := g[0]
		for _, p := range g[1:] {
			m.Ops += p.Ops
			m.Errors += p.Errors
			m.P50NS, m.P90NS, m.P95NS, m.P99NS, m.MaxNS = max(m.P50NS, p.P50NS), max(m.P90NS, p.P90NS), max(m.P95NS, p.P95NS), max(m.P99NS, p.P99NS), max(m.MaxNS, p.MaxNS)
			m.LagP99NS = max(m.LagP99NS, p.LagP99NS)
			m.ActiveVUs = max(m.ActiveVUs, p.ActiveVUs)
		}
		m.OffsetNS = g[len(g)-1].OffsetNS
		if span := m.OffsetNS - prevEnd; span > 0 {
			m.Throughput = float64(m.Ops) / (float64(span) / 1e9)
		}
		prevEnd = m.OffsetNS
		out = append(out, m)
	}
	return out, k
}

// positive returns v, or NaN (a gap) when it is not above 0: log scales
// cannot show 0.
func positive(v float64) float64 {
	if v <= 0 {
		return math.NaN()
	}
	return v
}

// ChartSeries returns the series as the HTML report's charts plot it: a
// last interval shorter than half the one before (the moments between the
// last snapshot and the end, when workers are already stopping) is merged
// into the one before, since a rate over a few milliseconds means little;
// then, past htmlMaxPoints points, consecutive points are merged
// (thinSeries). merged is the intervals per point.
func ChartSeries(in []report.SeriesDoc) (out []report.SeriesDoc, merged int) {
	if n := len(in); n >= 2 {
		last, prev := in[n-1], in[n-2]
		var before int64
		if n >= 3 {
			before = in[n-3].OffsetNS
		}
		if 2*(last.OffsetNS-prev.OffsetNS) < prev.OffsetNS-before {
			m := prev
			m.OffsetNS = last.OffsetNS
			m.Ops += last.Ops
			m.Errors += last.Errors
			m.P50NS, m.P90NS, m.P95NS, m.P99NS, m.MaxNS = max(m.P50NS, last.P50NS), max(m.P90NS, last.P90NS), max(m.P95NS, last.P95NS), max(m.P99NS, last.P99NS), max(m.MaxNS, last.MaxNS)
			m.LagP99NS = max(m.LagP99NS, last.LagP99NS)
			if span := m.OffsetNS - before; span > 0 {
				m.Throughput = float64(m.Ops) / (float64(span) / 1e9)
			}
			in = append(append([]report.SeriesDoc(nil), in[:n-2]...), m)
		}
	}
	return thinSeries(in, htmlMaxPoints)
}

func scenarioCharts(s *report.ScenarioDoc, id string) []Chart {
	var charts []Chart
	series, merged := ChartSeries(s.Series)
	note := ""
	if merged > 1 {
		note = fmt.Sprintf("(%d intervals per point)", merged)
	}
	timeAxis := Axis{Label: "time", Unit: "s"}
	markers := breakpointTimeMarkers(s.Breakpoint)
	if n := len(series); n > 0 {
		xs := make(Values, n)
		thr, errs, vus := make(Values, n), make(Values, n), make(Values, n)
		p50, p95, p99, pmax, lag := make(Values, n), make(Values, n), make(Values, n), make(Values, n), make(Values, n)
		var hasP95, hasLag bool
		var prev int64
		for i, p := range series {
			xs[i] = float64(p.OffsetNS) / 1e9
			thr[i] = p.Throughput
			if span := p.OffsetNS - prev; span > 0 {
				errs[i] = float64(p.Errors) / (float64(span) / 1e9)
			}
			prev = p.OffsetNS
			vus[i] = float64(p.ActiveVUs)
			p50[i], p95[i], p99[i], pmax[i], lag[i] = positive(float64(p.P50NS)), positive(float64(p.P95NS)), positive(float64(p.P99NS)), positive(float64(p.MaxNS)), positive(float64(p.LagP99NS))
			hasP95 = hasP95 || p.P95NS > 0
			hasLag = hasLag || p.LagP99NS > 0
		}
		charts = append(charts, Chart{ID: id + "-throughput", Title: "Throughput", Note: note, X: timeAxis, Y: Axis{Label: "ops/s", Unit: "/s", Zero: true}, Xs: xs,
			Series: []Series{{Label: "throughput", Color: colorBlue, Data: thr}}, Markers: markers})
		lat := []Series{{Label: "p50", Color: colorGreen, Data: p50}}
		if hasP95 {
			lat = append(lat, Series{Label: "p95", Color: colorOrange, Data: p95})
		}
		lat = append(lat, Series{Label: "p99", Color: colorRed, Data: p99}, Series{Label: "max", Color: colorGrey, Dash: true, Width: 1, Data: pmax})
		if hasLag {
			lat = append(lat, Series{Label: "schedule lag p99", Color: colorPurple, Dash: true, Data: lag})
		}
		latNote := note
		if report.IsOpenModel(s.Executor) {
			latNote = strings.TrimSpace("from the intended start " + note)
		}
		charts = append(charts, Chart{ID: id + "-latency", Title: "Latency over time", Note: latNote, X: timeAxis, Y: Axis{Label: "latency", Unit: "ns", Log: true}, Xs: xs, Series: lat, Markers: markers})
		charts = append(charts, Chart{ID: id + "-errors", Title: "Errors", Note: fmt.Sprintf("%d in all", s.Total.Errors), X: timeAxis, Y: Axis{Label: "errors/s", Unit: "/s", Zero: true}, Xs: xs,
			Series: []Series{{Label: "errors", Color: colorRed, Data: errs}}, Markers: markers})
		charts = append(charts, Chart{ID: id + "-workers", Title: "Active workers", Note: fmt.Sprintf("peak %d", s.VUsMax), X: timeAxis, Y: Axis{Label: "workers", Zero: true}, Xs: xs,
			Series: []Series{{Label: "workers", Color: colorBrown, Data: vus}}, Markers: markers})
	}
	charts = append(charts, resourceCharts(s, id, timeAxis)...)
	if c, ok := spectrumChart(s, id); ok {
		charts = append(charts, c)
	}
	if c, ok := breakpointChart(s.Breakpoint, id); ok {
		charts = append(charts, c)
	}
	// The soak chart shows when the soak line does (MinSoakDuration).
	if c, ok := soakChart(s.Resources, id); ok && report.ShowSoak(*s) {
		charts = append(charts, c)
	}
	return charts
}

// breakpointTimeMarkers mark when a breakpoint search broke and recovered.
func breakpointTimeMarkers(b *executor.BreakpointResult) []Marker {
	if b == nil || !b.Broke {
		return nil
	}
	at := b.BrokeAt.Seconds()
	ms := []Marker{{X: at, Label: "broke at " + report.UnitRate(b.BreakingPoint, b.TimeUnit), Color: colorRed}}
	if b.Recovered {
		ms = append(ms, Marker{X: (b.BrokeAt + b.RecoveryTime).Seconds(), Label: "recovered", Color: colorGreen})
	}
	return ms
}

// resourceCharts are the process's CPU and RSS, and its Go heap and GC
// pauses, over time.
func resourceCharts(s *report.ScenarioDoc, id string, timeAxis Axis) []Chart {
	r := s.Resources
	if r == nil || len(r.Heap) == 0 {
		return nil
	}
	n := len(r.Heap)
	xs := make(Values, n)
	cpu, rss, inUse, live, pause := make(Values, n), make(Values, n), make(Values, n), make(Values, n), make(Values, n)
	hasRSS, hasPause := false, false
	for i, h := range r.Heap {
		xs[i] = h.Offset.Seconds()
		cpu[i], rss[i] = h.CPUPercent, float64(h.RSS)
		inUse[i], live[i] = float64(h.InUse), float64(h.Live)
		pause[i] = math.NaN()
		if h.GCPauseMax > 0 {
			pause[i] = float64(h.GCPauseMax)
			hasPause = true
		}
		hasRSS = hasRSS || h.RSS > 0
	}
	var charts []Chart
	if hasRSS {
		c := Chart{ID: id + "-cpu", Title: "CPU and memory", Note: fmt.Sprintf("cpu %.0f%% on average, rss peak %s", r.CPUPercent, report.RSS(r.RSSPeak)),
			X: timeAxis, Y: Axis{Label: "cpu", Unit: "%", Zero: true}, Y2: &Axis{Label: "rss", Unit: "B", Zero: true}, Xs: xs,
			Series: []Series{{Label: "cpu (% of a core)", Color: colorBlue, Data: cpu}, {Label: "rss", Color: colorPurple, Axis: 2, Data: rss}}}
		addNeighbourBand(&c, r.Heap, cpu, s.Interference)
		charts = append(charts, c)
	}
	heap := Chart{ID: id + "-heap", Title: "Go heap and GC pauses", Note: fmt.Sprintf("%d GC cycles, pause p99 %s", r.GCCount, report.Duration(r.GCPauseP99)),
		X: timeAxis, Y: Axis{Label: "heap", Unit: "B", Zero: true}, Xs: xs,
		Series: []Series{{Label: "heap in use", Color: colorBlue, Data: inUse}, {Label: "heap live", Color: colorGreen, Data: live}}}
	if hasPause {
		heap.Y2 = &Axis{Label: "gc pause", Unit: "ns", Zero: true}
		heap.Series = append(heap.Series, Series{Label: "longest gc pause", Color: colorRed, Axis: 2, Points: true, Data: pause})
	}
	charts = append(charts, heap)
	if c, ok := ioChart(r, id, timeAxis, xs); ok {
		charts = append(charts, c)
	}
	return charts
}

// ioChart is the process's I/O rates per interval: bytes through read and
// write calls, to and from the storage layer, and the network namespace's
// traffic; a gap where an interval was not measured.
func ioChart(r *executor.Resources, id string, timeAxis Axis, xs Values) (Chart, bool) {
	n := len(r.Heap)
	names := []string{"io read", "io write", "disk read", "disk write", "net sent", "net received"}
	colors := []string{colorBlue, colorPurple, colorGreen, colorRed, colorBlue, colorGreen}
	data := make([]Values, len(names))
	for j := range data {
		data[j] = make(Values, n)
	}
	any := false
	for i, h := range r.Heap {
		vals := []float64{math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}
		if io := h.IO; io != nil {
			if p := io.Process; p != nil {
				vals[0], vals[1], vals[2], vals[3] = p.ReadBytesPerSec, p.WriteBytesPerSec, p.DiskReadBytesPerSec, p.DiskWriteBytesPerSec
				any = true
			}
			if nw := io.Network; nw != nil {
				vals[4], vals[5] = nw.SentBytesPerSec, nw.ReceivedBytesPerSec
				any = true
			}
		}
		for j := range data {
			data[j][i] = vals[j]
		}
	}
	if !any {
		return Chart{}, false
	}
	c := Chart{ID: id + "-io", Title: "Disk and network I/O", Note: report.IOText(r.IO) + " (network: the whole namespace)",
		X: timeAxis, Y: Axis{Label: "rate", Unit: "B/s", Zero: true}, Xs: xs}
	for j, name := range names {
		c.Series = append(c.Series, Series{Label: name, Color: colors[j], Data: data[j], Dash: j >= 4})
	}
	return c, true
}

// spectrumQuantiles are percentiles always on the spectrum's grid, so that
// its points read as the tables do.
var spectrumQuantiles = []float64{50, 75, 90, 95, 99, 99.9, 99.99, 99.999, 99.9999}

// spectrumGrid returns the x values (1/(1−p)) of the percentile spectrum
// for histograms of up to n values: twenty per decade and the
// spectrumQuantiles, up to n (beyond which every percentile is the max)
// and at most 10⁶ (99.9999%).
func spectrumGrid(n int64) []float64 {
	limit := math.Min(float64(n), 1e6)
	var xs []float64
	for k := 0; ; k++ {
		x := math.Pow(10, float64(k)/20)
		if x > limit {
			break
		}
		xs = append(xs, x)
	}
	for _, q := range spectrumQuantiles {
		if x := 100 / (100 - q); x <= limit {
			xs = append(xs, x)
		}
	}
	sort.Float64s(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x/out[len(out)-1] > 1+1e-9 {
			out = append(out, x)
		}
	}
	return out
}

// decodeLatency decodes an operation's latency histogram with its dropped
// iterations' lateness, as its latency figures count them; nil when there
// is none.
func decodeLatency(o report.OpDoc) *hdrhistogram.Histogram {
	h, err := o.LatencyHist()
	if err != nil || h == nil || h.TotalCount() == 0 {
		return nil
	}
	return h
}

func decodeHist(s string) *hdrhistogram.Histogram {
	if s == "" {
		return nil
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil || h.TotalCount() == 0 {
		return nil
	}
	return h
}

// spectrumCurve is one curve of a percentile spectrum.
type spectrumCurve struct {
	label, color string
	dash         bool
	h            *hdrhistogram.Histogram
}

// spectrumChart is the HDR percentile spectrum: latency against 1/(1−p) on
// log axes, as HdrHistogram plots it, for the scenario, each operation,
// and in open models the service time.
func spectrumChart(s *report.ScenarioDoc, id string) (Chart, bool) {
	var curves []spectrumCurve
	if h := decodeLatency(s.Total); h != nil {
		curves = append(curves, spectrumCurve{label: "latency (all)", color: colorBlue, h: h})
	}
	if len(s.Ops) > 1 {
		colors := []string{colorGreen, colorOrange, colorPurple, colorBrown, colorGrey}
		for k, o := range s.Ops {
			if h := decodeLatency(o); h != nil {
				curves = append(curves, spectrumCurve{label: o.Name, color: colors[k%len(colors)], h: h})
			}
		}
	}
	if report.IsOpenModel(s.Executor) {
		if h := decodeHist(s.Total.ServiceHistogram); h != nil {
			curves = append(curves, spectrumCurve{label: "service time (all)", color: colorRed, dash: true, h: h})
		}
	}
	c, ok := spectrumFromCurves(id+"-spectrum", curves)
	if ok && s.Total.LatencyLowerBound {
		c.Note = "lower bounds: iterations were dropped"
	}
	return c, ok
}

// spectrumOverlay is the percentile spectrum of several operations' latency
// histograms, labelled and coloured in order: the compare view overlays
// base and new with it. ok is false when none has a histogram.
func spectrumOverlay(id string, labels, colors []string, ops []*report.OpDoc) (Chart, bool) {
	var curves []spectrumCurve
	for i, o := range ops {
		if h := decodeLatency(*o); h != nil {
			curves = append(curves, spectrumCurve{label: labels[i], color: colors[i], h: h})
		}
	}
	return spectrumFromCurves(id, curves)
}

func spectrumFromCurves(id string, curves []spectrumCurve) (Chart, bool) {
	if len(curves) == 0 {
		return Chart{}, false
	}
	var n int64
	for _, c := range curves {
		n = max(n, c.h.TotalCount())
	}
	xs := spectrumGrid(n)
	qs := make([]float64, len(xs))
	for i, x := range xs {
		qs[i] = 100 - 100/x
	}
	c := Chart{ID: id, Title: "Latency by percentile", Note: "HdrHistogram spectrum", X: Axis{Label: "percentile", Unit: "p", Log: true},
		Y: Axis{Label: "latency", Unit: "ns", Log: true}, Xs: Values(xs)}
	for _, cv := range curves {
		vals := cv.h.ValueAtPercentilesSlice(qs)
		data := make(Values, len(xs))
		for i, x := range xs {
			data[i] = math.NaN()
			if x <= float64(cv.h.TotalCount()) {
				data[i] = positive(float64(vals[i]))
			}
		}
		c.Series = append(c.Series, Series{Label: cv.label, Color: cv.color, Dash: cv.dash, Data: data})
	}
	return c, true
}

// breakpointChart plots the search's p99 and throughput against the
// offered rate, with the breaking point and the recovery marked.
func breakpointChart(b *executor.BreakpointResult, id string) (Chart, bool) {
	if b == nil || len(b.Steps) == 0 {
		return Chart{}, false
	}
	type pt struct {
		x, p99, thr float64
		recovery    bool
	}
	var pts []pt
	for _, st := range b.Steps {
		if st.Ops == 0 && st.Intervals == 0 {
			continue
		}
		pts = append(pts, pt{x: st.Rate, p99: float64(st.P99), thr: st.Throughput, recovery: st.Phase == "recovery"})
	}
	if len(pts) == 0 {
		return Chart{}, false
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].x < pts[j].x })
	n := len(pts)
	xs, search, rec, thr := make(Values, n), make(Values, n), make(Values, n), make(Values, n)
	var recP99 float64
	for i, p := range pts {
		xs[i] = p.x
		search[i], rec[i], thr[i] = math.NaN(), math.NaN(), math.NaN()
		if p.recovery {
			rec[i] = positive(p.p99)
			recP99 = p.p99
		} else {
			search[i] = positive(p.p99)
			thr[i] = p.thr
		}
	}
	unit, label := "/s", "offered rate"
	if b.TimeUnit > 0 && b.TimeUnit != time.Second {
		unit, label = "", "offered rate per "+report.Duration(b.TimeUnit)
	}
	c := Chart{ID: id + "-breakpoint", Title: "Breaking point: p99 against the offered rate", Note: "stop when " + b.StopWhen,
		X: Axis{Label: label, Unit: unit}, Y: Axis{Label: "p99", Unit: "ns", Log: true}, Y2: &Axis{Label: "throughput", Unit: "/s", Zero: true}, Xs: xs,
		Series: []Series{
			{Label: "p99 (search)", Color: colorRed, Span: true, Data: search},
			{Label: "p99 (recovery)", Color: colorGreen, Points: true, Data: rec},
			{Label: "throughput", Color: colorBlue, Axis: 2, Dash: true, Span: true, Data: thr},
		}}
	bp := "breaking point " + report.UnitRate(b.BreakingPoint, b.TimeUnit)
	if b.Reason == executor.ReasonMaxRate {
		bp = "max_rate held: " + report.UnitRate(b.BreakingPoint, b.TimeUnit)
	}
	c.Markers = append(c.Markers, Marker{X: b.BreakingPoint, Label: bp, Color: colorRed})
	if b.Broke && recP99 > 0 {
		label := "not recovered"
		if b.Recovered {
			label = "recovered in " + report.Duration(b.RecoveryTime)
			if b.RecoveryTime == 0 {
				label = "recovered within an interval"
			}
		}
		y := recP99
		c.Markers = append(c.Markers, Marker{X: b.RecoveryRate, Y: &y, Label: label, Color: colorGreen})
	}
	return c, true
}

// soakChart plots the live heap, one point per GC cycle as the leak
// regression reads it, with the fitted slope and its 95% confidence band
// (the lines through the points' centroid at the interval's slopes).
func soakChart(r *executor.Resources, id string) (Chart, bool) {
	if r == nil || r.Soak.HeapSamples < 3 {
		return Chart{}, false
	}
	var xs, ys []float64
	var last int64
	for _, h := range r.Heap {
		if h.GCs > last {
			last = h.GCs
			xs = append(xs, h.Offset.Minutes())
			ys = append(ys, float64(h.Live))
		}
	}
	if len(xs) < 3 {
		return Chart{}, false
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(len(xs))
	my /= float64(len(xs))
	sk := r.Soak
	line := func(slope float64) Values {
		out := make(Values, len(xs))
		for i, x := range xs {
			out[i] = my + slope*(x-mx)
		}
		return out
	}
	// The band is the region between the lines at the interval's two
	// slopes: above the centroid one is higher, below it the other.
	hi, lo := line(sk.HeapSlopeHigh), line(sk.HeapSlopeLow)
	upper, lower := make(Values, len(xs)), make(Values, len(xs))
	for i := range xs {
		upper[i], lower[i] = max(hi[i], lo[i]), min(hi[i], lo[i])
	}
	verdict := "no leak"
	if sk.Leak {
		verdict = "LEAK"
	}
	return Chart{ID: id + "-soak", Title: "Soak: live heap slope",
		Note: fmt.Sprintf("%s/min [%s, %s] over %d GC cycles: %s (threshold %s/min)", report.Bytes(int64(sk.HeapSlope)), report.Bytes(int64(sk.HeapSlopeLow)), report.Bytes(int64(sk.HeapSlopeHigh)), sk.HeapSamples, verdict, report.Bytes(int64(sk.LeakThreshold))),
		X:    Axis{Label: "time", Unit: "min"}, Y: Axis{Label: "live heap", Unit: "B"}, Xs: Values(xs),
		Series: []Series{
			{Label: "live heap (per GC cycle)", Color: colorBlue, Points: true, Data: Values(ys)},
			{Label: "slope " + report.Bytes(int64(sk.HeapSlope)) + "/min", Color: colorRed, Line: true, Data: line(sk.HeapSlope)},
			{Label: "95% interval", Color: "rgba(214,39,40,0.45)", Width: 1, Dash: true, Line: true, Data: upper},
			{Label: "95% interval", Color: "rgba(214,39,40,0.45)", Width: 1, Dash: true, Line: true, Data: lower},
		},
		Bands: [][2]int{{2, 3}},
	}, true
}

// addNeighbourBand adds to the CPU chart c the CPU that other processes
// used, as a band stacked on perfplan's own (cpu), where the machine was
// measured, and says in the note how many intervals were disturbed.
func addNeighbourBand(c *Chart, heap []executor.HeapPoint, cpu Values, in *executor.Interference) {
	stacked := make(Values, len(heap))
	measured := false
	for i, h := range heap {
		stacked[i] = math.NaN()
		if h.Machine != nil && h.Machine.OtherCPU != nil {
			stacked[i] = cpu[i] + *h.Machine.OtherCPU
			measured = true
		}
	}
	if !measured {
		return
	}
	c.Series = append(c.Series, Series{Label: "+ other processes", Color: "rgba(214,39,40,0.6)", Width: 1, Dash: true, Line: true, Data: stacked})
	c.Bands = append(c.Bands, [2]int{len(c.Series) - 1, 0})
	if in != nil && in.Disturbed > 0 {
		c.Note += fmt.Sprintf("; interference in %d of %d intervals", in.Disturbed, in.Intervals)
	}
}

// Chart colours, as the page's palette orders them.
const (
	colorBlue   = "#1f77b4"
	colorRed    = "#d62728"
	colorGreen  = "#2ca02c"
	colorOrange = "#ff7f0e"
	colorPurple = "#9467bd"
	colorBrown  = "#8c564b"
	colorGrey   = "#7f7f7f"
)
