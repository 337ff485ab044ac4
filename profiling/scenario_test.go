package profiling

import (
	"bytes"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/report"
)

// TestDiffScenarios: run documents' scenarios, repetitions merged: the
// process's CPU, the system under test's (pprof_url) and allocations, and
// notes when a side carries no profile or scenarios overlapped.
func TestDiffScenarios(t *testing.T) {
	t.Parallel()
	enc := func(b *builder) []byte {
		p := b.roundTrip(t)
		var buf bytes.Buffer
		if err := p.Write(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	remote := func(n int64) []byte {
		return enc(newCPU().add(100, nil, "main.handle", "net/http.(*conn).serve").add(n, nil, "main.slowQuery", "main.handle", "net/http.(*conn).serve"))
	}
	sc := func(checks, slow int64, overlapped ...string) *report.ScenarioDoc {
		return &report.ScenarioDoc{Name: "s", Total: report.OpDoc{Ops: 10_000}, Profile: &report.ProfileDoc{
			CPU:    enc(cpuSide(checks)),
			Allocs: enc(newAllocs().alloc(1000, 64_000, parse, do)),
			Remote: remote(slow), RemoteURL: "http://127.0.0.1:6060/debug/pprof/profile", Overlapped: overlapped,
		}}
	}
	d, err := DiffScenarios([]*report.ScenarioDoc{sc(200, 50), sc(200, 50)}, []*report.ScenarioDoc{sc(600, 400, "other")}, DefaultTop)
	if err != nil {
		t.Fatal(err)
	}
	if d.CPU == nil || d.CPU.Flat[0].Func != check {
		t.Fatalf("process CPU: %+v", d.CPU)
	}
	if d.Remote == nil || len(d.Remote.Cum) == 0 || d.Remote.Cum[0].Func != "main.slowQuery" {
		t.Fatalf("system under test: %+v", d.Remote)
	}
	if d.Allocs == nil || d.Allocs.BaseBytes != 6.4 || d.Allocs.NewBytes != 6.4 || len(d.Allocs.Funcs) != 0 {
		t.Errorf("allocations: %+v (two base repetitions of 64kB over 20k ops, one new one over 10k)", d.Allocs)
	}
	var text bytes.Buffer
	d.WriteText(&text, "")
	for _, want := range []string{"system under test (http://127.0.0.1:6060/debug/pprof/profile)", "main.slowQuery", "db.checksumRow", "scenarios that ran at the same time (other)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}

	plain := &report.ScenarioDoc{Name: "s"}
	if d, err := DiffScenarios([]*report.ScenarioDoc{plain}, []*report.ScenarioDoc{plain}, DefaultTop); d != nil || err != nil {
		t.Errorf("no profiles: %+v, %v; want nil", d, err)
	}
	d, err = DiffScenarios([]*report.ScenarioDoc{plain}, []*report.ScenarioDoc{sc(1, 1)}, DefaultTop)
	if err != nil || !d.Empty() || len(d.Notes) != 1 || !strings.Contains(d.Notes[0], "only the new run carries profiles") {
		t.Errorf("one side profiled: %+v, %v", d, err)
	}
	bad := sc(1, 1)
	bad.Profile.CPU = []byte("not a profile")
	if _, err := DiffScenarios([]*report.ScenarioDoc{bad}, []*report.ScenarioDoc{sc(1, 1)}, DefaultTop); err == nil {
		t.Error("a broken profile read without error")
	}
}
