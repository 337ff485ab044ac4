package profiling

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// builder makes synthetic CPU and allocation profiles: each sample is a
// stack of function names, innermost first, with its values.
type builder struct {
	p     *profile.Profile
	funcs map[string]*profile.Function
	locs  map[string]*profile.Location
}

func newCPU() *builder {
	return &builder{p: &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}, Period: 10_000_000,
	}, funcs: map[string]*profile.Function{}, locs: map[string]*profile.Location{}}
}

func newAllocs() *builder {
	return &builder{p: &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"}},
		PeriodType: &profile.ValueType{Type: "space", Unit: "bytes"}, Period: 512 * 1024,
	}, funcs: map[string]*profile.Function{}, locs: map[string]*profile.Location{}}
}

func (b *builder) loc(name string) *profile.Location {
	if l, ok := b.locs[name]; ok {
		return l
	}
	f := &profile.Function{ID: uint64(len(b.funcs) + 1), Name: name, SystemName: name}
	b.funcs[name] = f
	b.p.Function = append(b.p.Function, f)
	l := &profile.Location{ID: uint64(len(b.locs) + 1), Address: uint64(0x1000 + len(b.locs)), Line: []profile.Line{{Function: f}}}
	b.locs[name] = l
	b.p.Location = append(b.p.Location, l)
	return l
}

// add adds n samples of the stack (innermost first), each of 10ms.
func (b *builder) add(n int64, labels map[string][]string, stack ...string) *builder {
	s := &profile.Sample{Value: []int64{n, n * 10_000_000}, Label: labels}
	for _, f := range stack {
		s.Location = append(s.Location, b.loc(f))
	}
	b.p.Sample = append(b.p.Sample, s)
	return b
}

// alloc adds an allocation sample.
func (b *builder) alloc(objects, bytes int64, stack ...string) *builder {
	s := &profile.Sample{Value: []int64{objects, bytes, 0, 0}}
	for _, f := range stack {
		s.Location = append(s.Location, b.loc(f))
	}
	b.p.Sample = append(b.p.Sample, s)
	return b
}

// roundTrip writes and reads the profile, as the run document does.
func (b *builder) roundTrip(t *testing.T) *profile.Profile {
	t.Helper()
	if err := b.p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := b.p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	p, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	loop   = "github.com/perfplan/perfplan/executor.(*worker).closedLoop"
	do     = "example.com/db.(*worker).Do"
	parse  = "example.com/db.parseRow"
	check  = "example.com/db.checksumRow"
	now    = "time.Now"
	record = "github.com/perfplan/perfplan/executor/metrics.(*Recorder).Record"
)

var target = map[string][]string{"scenario": {"s"}, "perfplan": {"target"}}
var runner = map[string][]string{"scenario": {"s"}, "perfplan": {"runner"}}

// cpuSide makes a CPU profile where checksumRow takes checks samples.
func cpuSide(checks int64) *builder {
	return newCPU().
		add(300, target, parse, do, loop).
		add(checks, target, check, do, loop).
		add(100, target, now, check, do, loop).
		add(50, runner, record, loop)
}

// TestDiffCPUNamesTheSlowerFunction: checksumRow takes three times the
// samples over the same operations; it comes first in the flat and in the
// cumulative view (its callers, Do and the worker loop, grow as much but
// checksumRow stands for them), and parseRow, unchanged, is in neither.
func TestDiffCPUNamesTheSlowerFunction(t *testing.T) {
	t.Parallel()
	base, next := cpuSide(200).roundTrip(t), cpuSide(600).roundTrip(t)
	d, err := DiffCPU(base, next, 10_000, 10_000, DefaultTop)
	if err != nil {
		t.Fatal(err)
	}
	if !d.PerOp {
		t.Fatal("per-op ranking not used with operation counts")
	}
	if len(d.Flat) == 0 || d.Flat[0].Func != check {
		t.Fatalf("flat view: %+v, want %s first", d.Flat, check)
	}
	if len(d.Cum) == 0 || d.Cum[0].Func != check {
		t.Fatalf("cumulative view: %+v, want %s first", d.Cum, check)
	}
	for _, g := range append(d.Flat, d.Cum...) {
		if g.Func == parse || g.Func == do || g.Func == loop {
			t.Errorf("%s listed as grown: %+v", g.Func, g)
		}
	}
	g := d.Flat[0]
	// 200 samples of 10ms over 10k ops: 200µs per op; then 600µs.
	if g.BaseFlatNS != 200e3 || g.NewFlatNS != 600e3 {
		t.Errorf("flat per op %v → %v, want 200µs → 600µs", g.BaseFlatNS, g.NewFlatNS)
	}
	if want := 200.0 / 650; g.BaseFlat != want {
		t.Errorf("base flat share %v, want %v", g.BaseFlat, want)
	}
	if d.BaseTarget != 600.0/650 || d.NewTarget != 1000.0/1050 {
		t.Errorf("target shares %v → %v", d.BaseTarget, d.NewTarget)
	}
	var text bytes.Buffer
	(&ScenarioDiff{CPU: d}).WriteText(&text, "")
	if !strings.Contains(text.String(), "db.checksumRow") || !strings.Contains(text.String(), "200.0µs → 600.0µs") {
		t.Errorf("text lacks the function or its per-op time:\n%s", text.String())
	}
}

// TestDiffCPUNoise: a growth of a few samples is sampling noise and lists
// nothing; shares rank when operation counts are unknown.
func TestDiffCPUNoise(t *testing.T) {
	t.Parallel()
	base, next := cpuSide(200).roundTrip(t), cpuSide(206).roundTrip(t)
	d, err := DiffCPU(base, next, 10_000, 10_000, DefaultTop)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Flat) != 0 || len(d.Cum) != 0 {
		t.Errorf("noise listed: flat %+v, cum %+v", d.Flat, d.Cum)
	}
	d, err = DiffCPU(cpuSide(200).roundTrip(t), cpuSide(600).roundTrip(t), 0, 0, DefaultTop)
	if err != nil {
		t.Fatal(err)
	}
	if d.PerOp || len(d.Flat) == 0 || d.Flat[0].Func != check {
		t.Errorf("share ranking: per-op %v, flat %+v", d.PerOp, d.Flat)
	}
}

// TestDiffAllocs: bytes and objects per operation, the grown function
// first, from profiles merged over two repetitions.
func TestDiffAllocs(t *testing.T) {
	t.Parallel()
	base := newAllocs().alloc(1000, 64_000, parse, do).alloc(1000, 32_000, check, do).roundTrip(t)
	rep1 := newAllocs().alloc(1000, 64_000, parse, do).alloc(2000, 256_000, check, do).roundTrip(t)
	rep2 := newAllocs().alloc(1000, 64_000, parse, do).alloc(2000, 256_000, check, do).roundTrip(t)
	next, err := Merge([]*profile.Profile{rep1, nil, rep2})
	if err != nil {
		t.Fatal(err)
	}
	d, err := DiffAllocs(base, next, 1000, 2000, DefaultTop)
	if err != nil {
		t.Fatal(err)
	}
	if d.BaseBytes != 96 || d.NewBytes != 320 || d.BaseObjects != 2 || d.NewObjects != 3 {
		t.Errorf("totals per op: %+v", d)
	}
	if len(d.Funcs) != 1 || d.Funcs[0].Func != check || d.Funcs[0].BaseBytes != 32 || d.Funcs[0].NewBytes != 256 {
		t.Errorf("grown functions: %+v, want only %s 32 → 256 B/op", d.Funcs, check)
	}
}

// TestSubtract: the allocation delta over a span keeps the growth and
// drops the profiler's own allocations.
func TestSubtract(t *testing.T) {
	t.Parallel()
	before := newAllocs().alloc(10, 1000, parse, do).alloc(5, 500, check, do).roundTrip(t)
	after := newAllocs().alloc(30, 3000, parse, do).alloc(5, 500, check, do).
		alloc(7, 7000, "github.com/perfplan/perfplan/profiling.allocSnapshot").roundTrip(t)
	d, err := Subtract(after, before)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Sample) != 1 {
		t.Fatalf("%d samples, want 1 (parseRow's growth): %v", len(d.Sample), d)
	}
	s := d.Sample[0]
	if s.Value[0] != 20 || s.Value[1] != 2000 || stackFuncs(s)[0] != parse {
		t.Errorf("delta sample %v %v", stackFuncs(s), s.Value)
	}
}

func TestShortNameStdlib(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, short string
		std       bool
	}{
		{"github.com/perfplan/perfplan/targets/sleep.spin", "sleep.spin", false},
		{"github.com/perfplan/perfplan/executor.(*worker).closedLoop", "executor.(*worker).closedLoop", false},
		{"time.Now", "time.Now", true},
		{"runtime.mallocgc", "runtime.mallocgc", true},
		{"net/http.(*conn).serve", "http.(*conn).serve", true},
		{"example.com/db.checksumRow", "db.checksumRow", false},
		{"main.main", "main.main", false},
		{"example.com/x.(*T).m", "x.(*T).m", false},
	} {
		if got := ShortName(c.in); got != c.short {
			t.Errorf("ShortName(%q) = %q, want %q", c.in, got, c.short)
		}
		if got := stdlib(c.in); got != c.std {
			t.Errorf("stdlib(%q) = %v, want %v", c.in, got, c.std)
		}
	}
}

// TestDiffCPUSameStacks: when the slower function's callers are on exactly
// the same samples (the busy sleep target: spin under Do under the worker
// loop) the deepest program frame stands for them, and the runtime
// function it calls (time.Now, where the flat time goes) is left to the
// flat view.
func TestDiffCPUSameStacks(t *testing.T) {
	t.Parallel()
	const spin = "github.com/perfplan/perfplan/targets/sleep.spin"
	mk := func(n int64) *profile.Profile {
		return newCPU().add(n, target, now, spin, do, loop).add(n/10, target, spin, do, loop).add(20, runner, record, loop).roundTrip(t)
	}
	d, err := DiffCPU(mk(100), mk(300), 1000, 1000, DefaultTop)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Cum) != 1 || d.Cum[0].Func != spin {
		t.Errorf("cumulative view %v, want only %s", names(d.Cum), spin)
	}
	if len(d.Flat) == 0 || d.Flat[0].Func != now {
		t.Errorf("flat view %v, want %s first", names(d.Flat), now)
	}
}

func names(gs []Growth) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Func)
	}
	return out
}

// TestDiffCPUCallerNoise: the caller's other callee (parseRow, 300 → 330
// samples, within sampling noise) makes the caller's growth more than a
// ninth larger than checksumRow's; checksumRow still stands for it, since
// the rest of the caller did not grow beyond noise.
func TestDiffCPUCallerNoise(t *testing.T) {
	t.Parallel()
	mk := func(parses, checks int64) *profile.Profile {
		return newCPU().add(parses, target, parse, do, loop).add(checks, target, check, do, loop).roundTrip(t)
	}
	d, err := DiffCPU(mk(300, 200), mk(330, 400), 10_000, 10_000, DefaultTop)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Cum) == 0 || d.Cum[0].Func != check {
		t.Errorf("cumulative view %v, want %s first", names(d.Cum), check)
	}
	for _, f := range names(d.Cum) {
		if f == do || f == loop {
			t.Errorf("cumulative view %v lists a caller of %s", names(d.Cum), check)
		}
	}
}
