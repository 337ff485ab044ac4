package html

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/perfplan/perfplan/report"
)

// cpuProfile is an encoded CPU profile of two stacks: main.work under
// main.main (300 samples of 10ms), and main.idle under main.main (100).
func cpuProfile(t *testing.T) []byte {
	t.Helper()
	fn := func(id uint64, name string) *profile.Function {
		return &profile.Function{ID: id, Name: name, SystemName: name}
	}
	mainF, work, idle := fn(1, "main.main"), fn(2, "main.work"), fn(3, "main.idle")
	loc := func(id uint64, f *profile.Function) *profile.Location {
		return &profile.Location{ID: id, Address: 0x1000 + id, Line: []profile.Line{{Function: f}}}
	}
	lm, lw, li := loc(1, mainF), loc(2, work), loc(3, idle)
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}, Period: 10_000_000,
		Sample: []*profile.Sample{
			{Location: []*profile.Location{lw, lm}, Value: []int64{300, 3_000_000_000}},
			{Location: []*profile.Location{li, lm}, Value: []int64{100, 1_000_000_000}},
		},
		Location: []*profile.Location{lm, lw, li},
		Function: []*profile.Function{mainF, work, idle},
	}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestScenarioFlame checks the run view's flame graph of a profiled
// scenario: one SVG with a frame per function (root, main.main, main.idle,
// main.work) whose tooltips give the time and share, widths in proportion;
// an unreadable profile gives a note and no graph; an unprofiled scenario
// neither.
func TestScenarioFlame(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		pd     *report.ProfileDoc
		flames int
		want   []string
		note   string
	}{
		{"profiled", &report.ProfileDoc{CPU: cpuProfile(t)}, 1, []string{
			`id="s-flame" data-frames="4" data-depth="3"`,
			`<title>main.work` + "\n" + `3.00s, 75.0% of the profile; own 3.00s</title><rect x="300.0" y="34.0" width="900.0"`,
			`<title>main.idle` + "\n" + `1.00s, 25.0% of the profile; own 1.00s</title><rect x="0.0" y="34.0" width="300.0"`,
			`<text x="3.0" y="29.0">main.main</text>`,
		}, ""},
		{"unreadable", &report.ProfileDoc{CPU: []byte("garbage")}, 0, nil, "CPU flame graph: perfplan's process: read profile"},
		{"not profiled", nil, 0, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &report.ScenarioDoc{Name: "spin", Profile: tc.pd}
			flames, notes := scenarioFlames(s, "s")
			if len(flames) != tc.flames {
				t.Fatalf("%d flame graphs, want %d", len(flames), tc.flames)
			}
			var nt []string
			for _, n := range notes {
				nt = append(nt, n.Text)
			}
			if tc.note != "" && !strings.Contains(strings.Join(nt, "\n"), tc.note) || tc.note == "" && len(nt) > 0 {
				t.Errorf("notes %q, want %q", nt, tc.note)
			}
			var b strings.Builder
			for i := range flames {
				writeFlame(&b, &flames[i])
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("flame graph lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}
