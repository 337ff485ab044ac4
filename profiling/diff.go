package profiling

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/google/pprof/profile"
)

// DefaultTop is how many functions a diff lists per view.
const DefaultTop = 8

// minZ is the two-proportion z score from which a function's grown share
// counts as beyond sampling noise: CPU samples are counts, and a share of a
// few samples moves by chance.
const minZ = 2

// Growth is one function's CPU share on each side. Shares are fractions of
// the scenario's samples: Flat counts samples whose innermost frame is the
// function, Cum samples with the function anywhere on the stack.
type Growth struct {
	Func                               string
	BaseFlat, NewFlat, BaseCum, NewCum float64
	// BaseFlatNS, NewFlatNS, BaseCumNS and NewCumNS are the function's
	// flat and cumulative CPU time per operation, when both sides'
	// operation counts are known (else 0).
	BaseFlatNS, NewFlatNS, BaseCumNS, NewCumNS float64
	// Z is the z score of the growth the view ranks by: of the CPU time
	// per operation (a test of two Poisson rates over the sample counts)
	// when operation counts are known, else of the share (two
	// proportions).
	Z float64
}

// CPUDiff is what grew between two sides' CPU profiles of a scenario.
type CPUDiff struct {
	// Flat lists the functions whose flat CPU time per operation grew
	// beyond sampling noise, most first; Cum those whose cumulative time
	// per operation did. Without operation counts, shares rank them.
	Flat, Cum []Growth
	// PerOp says whether operation counts were known (the ranking is by
	// time per operation, not by share).
	PerOp bool
	// BaseSamples and NewSamples are the samples per side.
	BaseSamples, NewSamples int64
	// BaseTarget and NewTarget are the shares of samples inside the
	// target's Do (label perfplan=target); -1 when unlabelled (a remote
	// profile).
	BaseTarget, NewTarget float64
	// BaseNSPerOp and NewNSPerOp are the scenario's CPU time per
	// operation (0 when unknown).
	BaseNSPerOp, NewNSPerOp float64
}

// AllocGrowth is one function's allocation per operation on each side.
type AllocGrowth struct {
	Func                                         string
	BaseBytes, NewBytes, BaseObjects, NewObjects float64
}

// AllocDiff is what grew between two sides' allocation profiles of a
// scenario, per operation.
type AllocDiff struct {
	// Funcs lists the functions whose bytes per operation grew most.
	Funcs []AllocGrowth
	// Totals per operation, per side.
	BaseBytes, NewBytes, BaseObjects, NewObjects float64
}

// Merge merges the profiles of a side (one per repetition) into one; nil
// profiles are skipped, and no profile gives nil.
func Merge(ps []*profile.Profile) (*profile.Profile, error) {
	var in []*profile.Profile
	for _, p := range ps {
		if p != nil {
			in = append(in, p)
		}
	}
	switch len(in) {
	case 0:
		return nil, nil
	case 1:
		return in[0], nil
	}
	m, err := profile.Merge(in)
	if err != nil {
		return nil, fmt.Errorf("merge profiles: %w", err)
	}
	return m, nil
}

// sideStats are one side's per-function sample sums.
type sideStats struct {
	flat, cum   map[string]int64 // in the value column used
	total       int64            // value column
	n           int64            // samples (counts)
	target      int64            // value column, label perfplan=target
	labelled    bool
	flatN, cumN map[string]int64 // counts, for the z score
}

// valueIndex finds the sample type named typ; -1 when absent.
func valueIndex(p *profile.Profile, typ string) int {
	for i, st := range p.SampleType {
		if st.Type == typ {
			return i
		}
	}
	return -1
}

// stackFuncs returns the function names of a sample's stack, innermost
// first, inlined frames included.
func stackFuncs(s *profile.Sample) []string {
	var out []string
	for _, loc := range s.Location {
		for _, ln := range loc.Line {
			if ln.Function != nil {
				out = append(out, ln.Function.Name)
			}
		}
		if len(loc.Line) == 0 {
			out = append(out, fmt.Sprintf("0x%x", loc.Address))
		}
	}
	return out
}

// stats sums p's column vi per function; ci is the count column (-1: use
// vi).
func stats(p *profile.Profile, vi, ci int) sideStats {
	st := sideStats{flat: map[string]int64{}, cum: map[string]int64{}, flatN: map[string]int64{}, cumN: map[string]int64{}}
	for _, s := range p.Sample {
		v := s.Value[vi]
		n := v
		if ci >= 0 {
			n = s.Value[ci]
		}
		st.total += v
		st.n += n
		if l := s.Label["perfplan"]; len(l) > 0 {
			st.labelled = true
			if l[0] == "target" {
				st.target += v
			}
		}
		fs := stackFuncs(s)
		if len(fs) == 0 {
			continue
		}
		st.flat[fs[0]] += v
		st.flatN[fs[0]] += n
		seen := make(map[string]bool, len(fs))
		for _, f := range fs {
			if !seen[f] {
				seen[f] = true
				st.cum[f] += v
				st.cumN[f] += n
			}
		}
	}
	return st
}

// share is part/total, 0 when total is 0.
func share(part, total int64) float64 {
	if total == 0 {
		return 0
	}
	return float64(part) / float64(total)
}

// zScore is the two-proportion z score of k2/n2 over k1/n1.
func zScore(k1, n1, k2, n2 int64) float64 {
	if n1 == 0 || n2 == 0 {
		return 0
	}
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	p := float64(k1+k2) / float64(n1+n2)
	se := math.Sqrt(p * (1 - p) * (1/float64(n1) + 1/float64(n2)))
	if se == 0 {
		if p2 > p1 {
			return math.Inf(1)
		}
		return 0
	}
	return (p2 - p1) / se
}

// DiffCPU compares two sides' CPU profiles of a scenario (each merged over
// its repetitions) and lists the top functions whose flat and cumulative
// shares grew beyond sampling noise. baseOps and newOps are the operations
// each side completed over its profiles (0 when unknown).
func DiffCPU(base, next *profile.Profile, baseOps, newOps int64, top int) (*CPUDiff, error) {
	if base == nil || next == nil {
		return nil, fmt.Errorf("diff CPU profiles: a side has no profile")
	}
	bi, ni := valueIndex(base, "cpu"), valueIndex(next, "cpu")
	if bi < 0 || ni < 0 {
		return nil, fmt.Errorf("diff CPU profiles: no cpu sample type")
	}
	b := stats(base, bi, valueIndex(base, "samples"))
	n := stats(next, ni, valueIndex(next, "samples"))
	d := &CPUDiff{BaseSamples: b.n, NewSamples: n.n, BaseTarget: -1, NewTarget: -1}
	if b.labelled && n.labelled {
		d.BaseTarget, d.NewTarget = share(b.target, b.total), share(n.target, n.total)
	}
	perOp := baseOps > 0 && newOps > 0
	if perOp {
		d.BaseNSPerOp, d.NewNSPerOp = float64(b.total)/float64(baseOps), float64(n.total)/float64(newOps)
	}
	var all []Growth
	names := map[string]bool{}
	for f := range b.cum {
		names[f] = true
	}
	for f := range n.cum {
		names[f] = true
	}
	for f := range names {
		g := Growth{Func: f,
			BaseFlat: share(b.flat[f], b.total), NewFlat: share(n.flat[f], n.total),
			BaseCum: share(b.cum[f], b.total), NewCum: share(n.cum[f], n.total)}
		if perOp {
			g.BaseFlatNS, g.NewFlatNS = float64(b.flat[f])/float64(baseOps), float64(n.flat[f])/float64(newOps)
			g.BaseCumNS, g.NewCumNS = float64(b.cum[f])/float64(baseOps), float64(n.cum[f])/float64(newOps)
		}
		all = append(all, g)
	}
	d.PerOp = perOp
	if perOp {
		d.Flat = topGrowth(all, top, func(g Growth) float64 { return g.NewFlatNS - g.BaseFlatNS },
			func(g Growth) float64 { return rateZ(b.flatN[g.Func], baseOps, n.flatN[g.Func], newOps) })
		cumGrowth := func(g Growth) float64 { return g.NewCumNS - g.BaseCumNS }
		d.Cum = topGrowth(all, pruneWindow, cumGrowth,
			func(g Growth) float64 { return rateZ(b.cumN[g.Func], baseOps, n.cumN[g.Func], newOps) })
		d.Cum = pruneCallers(d.Cum, cumGrowth, base, next, top, func(f, g string) float64 {
			return rateZ(b.cumN[f]-b.cumN[g], baseOps, n.cumN[f]-n.cumN[g], newOps)
		})
		return d, nil
	}
	d.Flat = topGrowth(all, top, func(g Growth) float64 { return g.NewFlat - g.BaseFlat },
		func(g Growth) float64 { return zScore(b.flatN[g.Func], b.n, n.flatN[g.Func], n.n) })
	cumGrowth := func(g Growth) float64 { return g.NewCum - g.BaseCum }
	d.Cum = topGrowth(all, pruneWindow, cumGrowth,
		func(g Growth) float64 { return zScore(b.cumN[g.Func], b.n, n.cumN[g.Func], n.n) })
	d.Cum = pruneCallers(d.Cum, cumGrowth, base, next, top, func(f, g string) float64 {
		return zScore(b.cumN[f]-b.cumN[g], b.n, n.cumN[f]-n.cumN[g], n.n)
	})
	return d, nil
}

// pruneWindow is how many functions of the cumulative view pruneCallers
// looks at.
const pruneWindow = 40

// explains is the share of a caller's cumulative growth that one of its
// callees must account for to stand for it.
const explains = 0.9

// pruneCallers drops from the cumulative view (largest growth first) each
// function that a callee outside the standard library stands for: a callee
// whose samples all lie under the function, on both sides (when both are on
// the same samples, the deeper frame stands for the other), and whose own
// growth is at least 90 % of the function's. It also drops a function of the
// runtime or the standard library whose samples all lie under a function of
// the program that grew at least 90 % as much: the program's function names
// the change, and the flat view shows where in the runtime the time went.
// The chain of callers above a slower function (the worker loop, the
// target's Do) all grow as much as it does; the view names the deepest of
// them that is not the runtime or the standard library, so the function that
// got slower comes first. It keeps the first top functions that remain.
//
// restZ(f, g) is the z score of the growth of f's samples that are not
// g's: a callee also stands for a caller when the rest of the caller did not
// grow beyond sampling noise, so that noise in the caller's other callees
// does not put it first.
func pruneCallers(gs []Growth, growth func(Growth) float64, base, next *profile.Profile, top int, restZ func(f, g string) float64) []Growth {
	idx := map[string]int{}
	for i, g := range gs {
		idx[g.Func] = i
	}
	k := len(gs)
	// within[i][j]: samples with both i and j on the stack; alone[j]:
	// samples with j. j lies under i when within[i][j] == alone[j] on
	// both sides.
	within := make([][]int64, k)
	for i := range within {
		within[i] = make([]int64, k)
	}
	under := make([][]bool, k)
	// deeper[i][j]: wherever i and j are on one stack, j is called (not
	// necessarily directly) by i: it is nearer the innermost frame.
	deeper := make([][]bool, k)
	for i := range under {
		under[i] = make([]bool, k)
		deeper[i] = make([]bool, k)
		for j := range under[i] {
			under[i][j] = true
			deeper[i][j] = true
		}
	}
	for _, p := range []*profile.Profile{base, next} {
		alone := make([]int64, k)
		for i := range within {
			clear(within[i])
		}
		for _, s := range p.Sample {
			var present []int
			pos := map[int]int{}
			for at, f := range stackFuncs(s) {
				if i, ok := idx[f]; ok {
					if _, dup := pos[i]; !dup {
						pos[i] = at
						present = append(present, i)
					}
				}
			}
			for _, j := range present {
				alone[j]++
				for _, i := range present {
					within[i][j]++
					if pos[j] >= pos[i] {
						deeper[i][j] = false
					}
				}
			}
		}
		for i := range k {
			for j := range k {
				if within[i][j] != alone[j] {
					under[i][j] = false
				}
			}
		}
	}
	var out []Growth
	for i, g := range gs {
		stood := false
		for j, h := range gs {
			// j stands for i: its samples lie within i's and either
			// i's reach further, or they are the same samples and j
			// is the deeper frame.
			within := under[i][j] && (!under[j][i] || deeper[i][j])
			if i != j && within && !stdlib(h.Func) && (growth(h) >= explains*growth(g) || restZ(g.Func, h.Func) < minZ) {
				stood = true
				break
			}
			// A runtime or standard library function called only from
			// a function of the program that grew as much: the
			// program's function names the change (the flat view
			// still shows where the time went).
			if i != j && stdlib(g.Func) && !stdlib(h.Func) && under[j][i] && growth(h) >= explains*growth(g) {
				stood = true
				break
			}
		}
		if !stood {
			out = append(out, g)
		}
		if len(out) == top {
			break
		}
	}
	return out
}

// stdlib reports whether function f is in the Go runtime or standard
// library: its import path's first element has no dot, and it is not
// package main.
func stdlib(f string) bool {
	if strings.HasPrefix(f, "main.") {
		return false
	}
	first, _, _ := strings.Cut(f, "/")
	if !strings.Contains(f, "/") {
		// "runtime.mallocgc", "time.Now": the first dot ends the
		// package name.
		return true
	}
	return !strings.Contains(first, ".")
}

// rateZ is the z score of the growth of a Poisson rate, k2 events over
// exposure e2 against k1 over e1 (samples per operation).
func rateZ(k1, e1, k2, e2 int64) float64 {
	r1, r2 := float64(k1)/float64(e1), float64(k2)/float64(e2)
	v := float64(k1)/(float64(e1)*float64(e1)) + float64(k2)/(float64(e2)*float64(e2))
	if v == 0 {
		return 0
	}
	return (r2 - r1) / math.Sqrt(v)
}

// topGrowth returns the top functions by growth whose z score reaches minZ,
// largest growth first (ties by name).
func topGrowth(all []Growth, top int, growth, z func(Growth) float64) []Growth {
	var out []Growth
	for _, g := range all {
		if growth(g) <= 0 {
			continue
		}
		g.Z = z(g)
		if g.Z >= minZ {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		gi, gj := growth(out[i]), growth(out[j])
		if gi != gj {
			return gi > gj
		}
		return out[i].Func < out[j].Func
	})
	if len(out) > top {
		out = out[:top]
	}
	return out
}

// DiffAllocs compares two sides' allocation profiles of a scenario per
// operation and lists the top functions whose bytes allocated per
// operation grew (flat: allocated by the function itself).
func DiffAllocs(base, next *profile.Profile, baseOps, newOps int64, top int) (*AllocDiff, error) {
	if base == nil || next == nil {
		return nil, fmt.Errorf("diff allocation profiles: a side has no profile")
	}
	if baseOps <= 0 || newOps <= 0 {
		return nil, fmt.Errorf("diff allocation profiles: a side completed no operation")
	}
	bs, bo := valueIndex(base, "alloc_space"), valueIndex(base, "alloc_objects")
	ns, no := valueIndex(next, "alloc_space"), valueIndex(next, "alloc_objects")
	if bs < 0 || bo < 0 || ns < 0 || no < 0 {
		return nil, fmt.Errorf("diff allocation profiles: no alloc_space or alloc_objects sample type")
	}
	bB, bO := stats(base, bs, -1), stats(base, bo, -1)
	nB, nO := stats(next, ns, -1), stats(next, no, -1)
	fb, fn := float64(baseOps), float64(newOps)
	d := &AllocDiff{BaseBytes: float64(bB.total) / fb, NewBytes: float64(nB.total) / fn,
		BaseObjects: float64(bO.total) / fb, NewObjects: float64(nO.total) / fn}
	names := map[string]bool{}
	for f := range bB.flat {
		names[f] = true
	}
	for f := range nB.flat {
		names[f] = true
	}
	for f := range names {
		g := AllocGrowth{Func: f, BaseBytes: float64(bB.flat[f]) / fb, NewBytes: float64(nB.flat[f]) / fn,
			BaseObjects: float64(bO.flat[f]) / fb, NewObjects: float64(nO.flat[f]) / fn}
		if g.NewBytes > g.BaseBytes || g.NewObjects > g.BaseObjects {
			d.Funcs = append(d.Funcs, g)
		}
	}
	sort.Slice(d.Funcs, func(i, j int) bool {
		gi, gj := d.Funcs[i].NewBytes-d.Funcs[i].BaseBytes, d.Funcs[j].NewBytes-d.Funcs[j].BaseBytes
		if gi != gj {
			return gi > gj
		}
		return d.Funcs[i].Func < d.Funcs[j].Func
	})
	if len(d.Funcs) > top {
		d.Funcs = d.Funcs[:top]
	}
	return d, nil
}

// ShortName trims a function name's import path to its last element:
// "github.com/perfplan/perfplan/targets/sleep.spin" reads "sleep.spin".
func ShortName(f string) string {
	// The package path ends at the last slash before the first dot after
	// it; method receivers such as (*T) contain no slash.
	paren := strings.IndexByte(f, '(')
	head := f
	if paren >= 0 {
		head = f[:paren]
	}
	if i := strings.LastIndexByte(head, '/'); i >= 0 {
		return f[i+1:]
	}
	return f
}
