package report

import (
	"strings"
	"testing"

	"github.com/perfplan/perfplan/executor"
)

func TestAvailabilityPercent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    float64
		want string
	}{
		{1, "100%"}, {0.995, "99.5%"}, {0.999999999, "99.9999%"}, {0.99, "99%"}, {0.5, "50%"}, {0, "0%"}, {0.123456, "12.3456%"},
	} {
		if got := AvailabilityPercent(tc.r); got != tc.want {
			t.Errorf("AvailabilityPercent(%v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

// TestAvailabilityFromDocument: a saved document resolves availability and
// availability_windows from its totals and series (so baseline.* works),
// writes the availability object, and the tables print it.
func TestAvailabilityFromDocument(t *testing.T) {
	t.Parallel()
	sd := ScenarioDoc{Name: "s", Executor: "constant-vus", Total: OpDoc{Ops: 300, Errors: 3},
		Series: []SeriesDoc{{OffsetNS: 1e9, Ops: 100}, {OffsetNS: 2e9, Ops: 100, Errors: 3}, {OffsetNS: 3e9, Ops: 100}}}
	if v, ok := sd.Metric("availability"); !ok || v != 0.99 {
		t.Errorf("availability = %v, %v", v, ok)
	}
	if v, ok := sd.Metric("availability_windows"); !ok || v != 2.0/3 {
		t.Errorf("availability_windows = %v, %v", v, ok)
	}
	b := &Baseline{Source: "b.json", plans: map[string][]*PlanDoc{"p": {{Name: "p", Scenarios: []ScenarioDoc{sd}}}}}
	if v, err := b.Metric("p", "s", "availability_windows"); err != nil || v != 2.0/3 {
		t.Errorf("baseline.availability_windows = %v, %v", v, err)
	}
	var empty ScenarioDoc
	if _, ok := empty.Metric("availability"); ok {
		t.Error("a scenario without operations has an availability")
	}
	sd.Availability = executor.AvailabilityOf(sd.result().Total, sd.result().Series)
	notes := strings.Join(ScenarioNotes(&PlanDoc{Scenarios: []ScenarioDoc{sd}}), "\n")
	if !strings.Contains(notes, "availability 99%, 2/3 intervals within the 1% error budget") {
		t.Errorf("notes lack the availability:\n%s", notes)
	}
}

// TestIOText: the resource line's I/O part says "not measured" for what
// the system did not give, never 0.
func TestIOText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		io   *executor.IO
		want string
	}{
		{nil, "io not measured net not measured"},
		{&executor.IO{Process: &executor.ProcessIO{ReadBytes: 2048, WriteBytes: 0, ReadOps: 20, DiskWriteBytes: 4096}},
			"io r 2.00KiB w 0B (20/0 calls) disk r 0B w 4.00KiB net not measured"},
		{&executor.IO{Network: &executor.NetworkIO{SentBytes: 1000, ReceivedBytes: 5000}}, "io not measured net tx 1000B rx 4.88KiB"},
	} {
		if got := IOText(tc.io); got != tc.want {
			t.Errorf("IOText = %q, want %q", got, tc.want)
		}
	}
	if tile := IOTile("x", nil); tile.Value != "not measured" || tile.Note != "net not measured" {
		t.Errorf("tile %+v", tile)
	}
}
