package profiling

import (
	"bytes"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/report"
)

// encoded is b's profile as the run document holds it.
func (b *builder) encoded(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := b.p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestMergeDocs checks the merge of segments' profiles: samples add, a
// single profile is kept as it was, overlapped scenarios and notes join,
// a segment without --profile is noted, and a profile that cannot be read
// is left out with a note while the other kinds still merge.
func TestMergeDocs(t *testing.T) {
	t.Parallel()
	a := &report.ProfileDoc{CPU: cpuSide(100).encoded(t), Allocs: newAllocs().alloc(3, 300, parse).encoded(t),
		Overlapped: []string{"b"}, Notes: []string{"allocations are the whole process's"}}
	b := &report.ProfileDoc{CPU: cpuSide(300).encoded(t), Overlapped: []string{"a", "b"}, Notes: []string{"allocations are the whole process's"}}
	corrupt := &report.ProfileDoc{CPU: []byte("not a profile"), Allocs: newAllocs().alloc(1, 100, check).encoded(t)}
	samples := func(data []byte) int64 {
		p, err := Decode(data)
		if err != nil || p == nil {
			t.Fatalf("decode: %v", err)
		}
		var n int64
		for _, s := range p.Sample {
			n += s.Value[0]
		}
		return n
	}
	for _, tc := range []struct {
		name       string
		parts      []*report.ProfileDoc
		cpu        int64 // samples in the merged CPU profile (cpuSide(n) has 450+n); 0: none
		allocs     int64 // objects in the merged allocation profile
		overlapped string
		notes      []string
	}{
		{"none", []*report.ProfileDoc{nil, nil}, 0, 0, "", nil},
		{"two", []*report.ProfileDoc{a, b}, 550 + 750, 3, "a,b",
			[]string{"the samples of 2 segments' profiles, added", "allocations are the whole process's"}},
		{"one of two", []*report.ProfileDoc{nil, b}, 750, 0, "a,b",
			[]string{"profiles of 1 of 2 segments: the others ran without --profile"}},
		{"unreadable", []*report.ProfileDoc{a, corrupt}, 0, 4, "b",
			[]string{"cpu profile left out: read profile"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var parts []*report.ScenarioDoc
			for _, p := range tc.parts {
				parts = append(parts, &report.ScenarioDoc{Name: "s", Profile: p})
			}
			got := MergeDocs(parts)
			if tc.parts[0] == nil && tc.parts[1] == nil {
				if got != nil {
					t.Fatalf("no profiles merged into %+v", got)
				}
				return
			}
			if got == nil {
				t.Fatal("nil")
			}
			if tc.cpu == 0 && got.CPU != nil {
				t.Errorf("CPU profile kept: %d bytes", len(got.CPU))
			}
			if tc.cpu != 0 {
				if n := samples(got.CPU); n != tc.cpu {
					t.Errorf("CPU samples %d, want %d", n, tc.cpu)
				}
			}
			if tc.allocs != 0 {
				if n := samples(got.Allocs); n != tc.allocs {
					t.Errorf("allocated objects %d, want %d", n, tc.allocs)
				}
			} else if got.Allocs != nil {
				t.Errorf("allocation profile from nowhere")
			}
			if o := strings.Join(got.Overlapped, ","); o != tc.overlapped {
				t.Errorf("overlapped %q, want %q", o, tc.overlapped)
			}
			notes := strings.Join(got.Notes, "\n")
			for _, n := range tc.notes {
				if !strings.Contains(notes, n) {
					t.Errorf("notes %q lack %q", got.Notes, n)
				}
			}
		})
	}
	// A single profile is kept byte for byte.
	if got := MergeDocs([]*report.ScenarioDoc{{Profile: b}}); !bytes.Equal(got.CPU, b.CPU) {
		t.Error("a single segment's CPU profile was rewritten")
	}
}
