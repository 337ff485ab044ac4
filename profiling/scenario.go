package profiling

import (
	"fmt"
	"io"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/perfplan/perfplan/report"
)

// ScenarioDiff is what grew in a scenario's profiles between two sides,
// each side merged over its repetitions.
type ScenarioDiff struct {
	// CPU diffs perfplan's own process (nil when a side has no CPU
	// profile); Remote the system under test's (pprof_url), from
	// RemoteURL.
	CPU, Remote *CPUDiff
	RemoteURL   string
	// Allocs diffs the allocation profiles per operation.
	Allocs *AllocDiff
	// Notes say what is missing and why, and which other scenarios the
	// allocation figures include.
	Notes []string
}

// Empty reports whether d shows nothing.
func (d *ScenarioDiff) Empty() bool {
	return d == nil || d.CPU == nil && d.Remote == nil && d.Allocs == nil
}

// side is one side's profiles of a scenario, merged.
type side struct {
	cpu, allocs, remote    []*profile.Profile
	cpuOps, allocOps, rOps int64
	remoteURL              string
	overlapped             map[string]bool
	notes                  []string
	profiled               int
}

// collect reads the profiles of ss.
func collect(ss []*report.ScenarioDoc) (*side, error) {
	sd := &side{overlapped: map[string]bool{}}
	for _, s := range ss {
		pd := s.Profile
		if pd == nil {
			continue
		}
		sd.profiled++
		for _, o := range pd.Overlapped {
			sd.overlapped[o] = true
		}
		read := func(data []byte, into *[]*profile.Profile, ops *int64) error {
			p, err := Decode(data)
			if err != nil || p == nil {
				return err
			}
			*into = append(*into, p)
			*ops += s.Total.Ops
			return nil
		}
		if err := read(pd.CPU, &sd.cpu, &sd.cpuOps); err != nil {
			return nil, err
		}
		if err := read(pd.Allocs, &sd.allocs, &sd.allocOps); err != nil {
			return nil, err
		}
		if err := read(pd.Remote, &sd.remote, &sd.rOps); err != nil {
			return nil, err
		}
		if pd.RemoteURL != "" {
			sd.remoteURL = pd.RemoteURL
		}
	}
	return sd, nil
}

// DiffScenarios diffs the profiles of one scenario between the base side's
// runs and the new side's (repetitions). It returns nil when neither side
// carries profiles, and a diff with only notes when one side does not.
func DiffScenarios(base, next []*report.ScenarioDoc, top int) (*ScenarioDiff, error) {
	b, err := collect(base)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	n, err := collect(next)
	if err != nil {
		return nil, fmt.Errorf("new: %w", err)
	}
	if b.profiled == 0 && n.profiled == 0 {
		return nil, nil
	}
	d := &ScenarioDiff{}
	switch {
	case b.profiled == 0:
		d.Notes = append(d.Notes, "only the new run carries profiles (run the base with --profile too)")
		return d, nil
	case n.profiled == 0:
		d.Notes = append(d.Notes, "only the base run carries profiles (run the new one with --profile too)")
		return d, nil
	}
	if d.CPU, err = diffCPUSide(b.cpu, n.cpu, b.cpuOps, n.cpuOps, top); err != nil {
		d.Notes = append(d.Notes, fmt.Sprintf("CPU: %v", err))
	}
	if len(b.remote) > 0 || len(n.remote) > 0 {
		d.RemoteURL = n.remoteURL
		if d.Remote, err = diffCPUSide(b.remote, n.remote, b.rOps, n.rOps, top); err != nil {
			d.Notes = append(d.Notes, fmt.Sprintf("system under test: %v", err))
		}
	}
	bm, err := Merge(b.allocs)
	if err == nil {
		var nm *profile.Profile
		if nm, err = Merge(n.allocs); err == nil {
			d.Allocs, err = DiffAllocs(bm, nm, b.allocOps, n.allocOps, top)
		}
	}
	if err != nil {
		d.Notes = append(d.Notes, fmt.Sprintf("allocations: %v", err))
	}
	var over []string
	for o := range b.overlapped {
		over = append(over, o)
	}
	for o := range n.overlapped {
		if !b.overlapped[o] {
			over = append(over, o)
		}
	}
	if len(over) > 0 && d.Allocs != nil {
		d.Notes = append(d.Notes, fmt.Sprintf("the allocation figures include scenarios that ran at the same time (%s): the allocation profile is the process's", strings.Join(over, ", ")))
	}
	return d, nil
}

// diffCPUSide merges each side's CPU profiles and diffs them.
func diffCPUSide(b, n []*profile.Profile, bOps, nOps int64, top int) (*CPUDiff, error) {
	bm, err := Merge(b)
	if err != nil {
		return nil, err
	}
	nm, err := Merge(n)
	if err != nil {
		return nil, err
	}
	if bm == nil || nm == nil {
		return nil, fmt.Errorf("a side has no CPU profile")
	}
	return DiffCPU(bm, nm, bOps, nOps, top)
}

// pctPt renders a share as a percentage.
func pctPt(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

// nsString renders nanoseconds per operation.
func nsString(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fms", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fµs", v/1e3)
	}
	return fmt.Sprintf("%.0fns", v)
}

// bytesString renders bytes per operation.
func bytesString(v float64) string {
	switch {
	case v >= 1<<20:
		return fmt.Sprintf("%.1fMiB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.1fKiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0fB", v)
}

// Table is a rendered view of a diff: a title, a header and rows of cells,
// for the text, Markdown and HTML writers.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
}

// Tables renders d as tables: what grew in perfplan's process (flat, then
// cumulative), in the system under test, and in allocations.
func (d *ScenarioDiff) Tables() []Table {
	var out []Table
	if d == nil {
		return nil
	}
	cpuTables := func(c *CPUDiff, who string) {
		if c == nil {
			return
		}
		sub := fmt.Sprintf("%d → %d samples", c.BaseSamples, c.NewSamples)
		if c.BaseNSPerOp > 0 && c.NewNSPerOp > 0 {
			sub += fmt.Sprintf("; CPU per op %s → %s", nsString(c.BaseNSPerOp), nsString(c.NewNSPerOp))
		}
		if c.BaseTarget >= 0 {
			sub += fmt.Sprintf("; inside the target's Do %s → %s", pctPt(c.BaseTarget), pctPt(c.NewTarget))
		}
		measure := "share"
		if c.PerOp {
			measure = "CPU time per op"
		}
		for _, view := range []struct {
			name string
			gs   []Growth
		}{{"flat", c.Flat}, {"cumulative", c.Cum}} {
			t := Table{Title: fmt.Sprintf("%s CPU: functions whose %s %s grew (%s)", who, view.name, measure, sub),
				Header: []string{"function", "flat share", "cum share", "z"}}
			if c.PerOp {
				t.Header = []string{"function", "flat/op", "cum/op", "flat share", "cum share", "z"}
			}
			for _, g := range view.gs {
				row := []string{ShortName(g.Func)}
				if c.PerOp {
					row = append(row, nsString(g.BaseFlatNS)+" → "+nsString(g.NewFlatNS), nsString(g.BaseCumNS)+" → "+nsString(g.NewCumNS))
				}
				row = append(row, pctPt(g.BaseFlat)+" → "+pctPt(g.NewFlat), pctPt(g.BaseCum)+" → "+pctPt(g.NewCum), fmt.Sprintf("%.1f", g.Z))
				t.Rows = append(t.Rows, row)
			}
			if len(t.Rows) == 0 {
				t.Title += ": none beyond sampling noise"
			}
			out = append(out, t)
		}
	}
	cpuTables(d.CPU, "perfplan's process")
	if d.Remote != nil {
		who := "system under test"
		if d.RemoteURL != "" {
			who += " (" + d.RemoteURL + ")"
		}
		cpuTables(d.Remote, who)
	}
	if a := d.Allocs; a != nil {
		t := Table{Title: fmt.Sprintf("allocations per op: %s → %s, %.2f → %.2f objects; functions whose bytes per op grew", bytesString(a.BaseBytes), bytesString(a.NewBytes), a.BaseObjects, a.NewObjects),
			Header: []string{"function", "bytes/op", "objects/op"}}
		for _, g := range a.Funcs {
			t.Rows = append(t.Rows, []string{ShortName(g.Func), bytesString(g.BaseBytes) + " → " + bytesString(g.NewBytes), fmt.Sprintf("%.2f → %.2f", g.BaseObjects, g.NewObjects)})
		}
		if len(t.Rows) == 0 {
			t.Title += ": none"
		}
		out = append(out, t)
	}
	return out
}

// WriteText prints d's tables as aligned plain text, each line indented.
func (d *ScenarioDiff) WriteText(w io.Writer, indent string) {
	for _, t := range d.Tables() {
		fmt.Fprintf(w, "%s%s\n", indent, t.Title)
		if len(t.Rows) == 0 {
			continue
		}
		widths := make([]int, len(t.Header))
		for i, h := range t.Header {
			widths[i] = len([]rune(h))
		}
		for _, r := range t.Rows {
			for i, c := range r {
				widths[i] = max(widths[i], len([]rune(c)))
			}
		}
		line := func(cells []string) {
			var b strings.Builder
			b.WriteString(indent + "  ")
			for i, c := range cells {
				pad := widths[i] - len([]rune(c))
				if i == 0 {
					b.WriteString(c + strings.Repeat(" ", pad))
				} else {
					b.WriteString("  " + strings.Repeat(" ", pad) + c)
				}
			}
			fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		}
		line(t.Header)
		for _, r := range t.Rows {
			line(r)
		}
	}
	for _, n := range d.Notes {
		fmt.Fprintf(w, "%snote: %s\n", indent, n)
	}
}
