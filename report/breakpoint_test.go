package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestBreakpointInDocument: a saved breakpoint search resolves its metrics
// (so baseline.breaking_point works) and renders its tables again.
func TestBreakpointInDocument(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteJSON(&b, fixtureDocument()); err != nil {
		t.Fatal(err)
	}
	d, err := ReadDocument(&b)
	if err != nil {
		t.Fatal(err)
	}
	s := &d.Plans[0].Scenarios[2]
	if s.Breakpoint == nil {
		t.Fatal("breakpoint lost in the JSON document")
	}
	for name, want := range map[string]float64{"breaking_point": 400, "recovery_time": 500, "stability": 11.0 / 12} {
		if got, ok := s.Metric(name); !ok || got != want {
			t.Errorf("Metric(%s) = %v, %v; want %v", name, got, ok, want)
		}
	}
	s.Breakpoint.Recovered = false
	if _, ok := s.Metric("recovery_time"); ok {
		t.Error("recovery_time resolves for a search that did not recover")
	}
	if _, ok := d.Plans[0].Scenarios[0].Metric("breaking_point"); ok {
		t.Error("breaking_point resolves for a scenario that is not a breakpoint search")
	}
	var out bytes.Buffer
	// Wide enough that no cell wraps: the test reads whole cells.
	if err := WritePlanTables(&out, &d.Plans[0], TableOptions{Width: 400}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"breaking point", "NOT RECOVERED at 200/s", "91.7% (1 of 12 intervals failed)", "│ recovery │ 200/s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("tables lack %q:\n%s", want, out.String())
		}
	}
}

func TestUnitRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    float64
		unit time.Duration
		want string
	}{
		{400, time.Second, "400/s"}, {400, 0, "400/s"}, {12.5, 100 * time.Millisecond, "12.5/100ms"}, {3000, time.Minute, "3.00k/min"},
	} {
		if got := UnitRate(tc.r, tc.unit); got != tc.want {
			t.Errorf("UnitRate(%v, %v) = %q, want %q", tc.r, tc.unit, got, tc.want)
		}
	}
}
