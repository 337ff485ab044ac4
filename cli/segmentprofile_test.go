package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/perfplan/perfplan/profiling"
	"github.com/perfplan/perfplan/report"
)

// cpuSamples is the sum of a CPU profile's sample counts.
func cpuSamples(t *testing.T, data []byte) int64 {
	t.Helper()
	p, err := profiling.Decode(data)
	if err != nil || p == nil {
		t.Fatalf("decode: %v (%d bytes)", err, len(data))
	}
	var n int64
	for _, s := range p.Sample {
		n += s.Value[0]
	}
	return n
}

// TestSegmentsMergeProfiles runs two profiled segments and merges them:
// each merged scenario carries a CPU and an allocation profile whose
// samples are the segments' added, says so in a note, and perfplan report
// --profile writes it for go tool pprof.
func TestSegmentsMergeProfiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plan := writeSrc(t, dir, "segmented.hcl", segmentPlanSrc)
	docs := runSegments(t, dir, plan, 2, "--profile", "--no-history")
	out := filepath.Join(dir, "merged.json")
	r := run(t, "merge", "--no-history", "--out", "json="+out, docs[0], docs[1])
	if r.code != 0 {
		t.Fatalf("merge: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	segs := []*report.Document{readRunDoc(t, docs[0]), readRunDoc(t, docs[1])}
	m := readRunDoc(t, out)
	for i, sd := range m.Plans[0].Scenarios {
		pd := sd.Profile
		if pd == nil || len(pd.CPU) == 0 || len(pd.Allocs) == 0 {
			t.Fatalf("merged scenario %s has no profiles: %+v", sd.Name, pd)
		}
		var want int64
		for _, s := range segs {
			want += cpuSamples(t, s.Plans[0].Scenarios[i].Profile.CPU)
		}
		if got := cpuSamples(t, pd.CPU); got != want {
			t.Errorf("%s: merged CPU profile has %d samples, the segments %d", sd.Name, got, want)
		}
		if !strings.Contains(strings.Join(pd.Notes, "\n"), "the samples of 2 segments' profiles, added") {
			t.Errorf("%s: notes %q", sd.Name, pd.Notes)
		}
	}
	file := filepath.Join(dir, "shared.pb.gz")
	if r := run(t, "report", "--profile", "shared", "-o", file, out); r.code != 0 {
		t.Fatalf("report --profile: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := profile.Parse(f); err != nil {
		t.Errorf("the written profile does not parse: %v", err)
	}
}
