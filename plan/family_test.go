package plan

import "testing"

func TestSplitFamily(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, prefix string
		fam          Family
		field        string
		ok           bool
	}{
		{"latency.p99", "", Latency, "p99", true},
		{"schedule_lag.max", "", ScheduleLag, "max", true},
		{"op.get.service_time.p50", "op.get.", ServiceTime, "p50", true},
		{"stage.peak.op.latency.schedule_lag.p99", "stage.peak.op.latency.", ScheduleLag, "p99", true},
		{"baseline.latency.p99", "baseline.", Latency, "p99", true},
		{"op.latency.errors", "", "", "", false},
		{"latency", "", "", "", false},
		{"throughput", "", "", "", false},
		{"gc.pause_p99", "", "", "", false},
	}
	for _, tt := range tests {
		prefix, fam, field, ok := SplitFamily(tt.name)
		if ok != tt.ok || prefix != tt.prefix || fam.Family != tt.fam || field != tt.field {
			t.Errorf("SplitFamily(%q) = %q, %q, %q, %v; want %q, %q, %q, %v", tt.name, prefix, fam.Family, field, ok, tt.prefix, tt.fam, tt.field, tt.ok)
		}
	}
}

// TestFamiliesDeclared: every family has what its readers need.
func TestFamiliesDeclared(t *testing.T) {
	t.Parallel()
	seen := map[Family]bool{}
	for _, f := range LatencyFamilies() {
		if f.Family == "" || f.Label == "" || f.SummaryKey == "" || f.HistogramKey == "" || f.PrometheusHelp == "" || len(f.PrometheusFields) == 0 {
			t.Errorf("%q: incomplete descriptor %+v", f.Family, f)
		}
		if seen[f.Family] {
			t.Errorf("%q declared twice", f.Family)
		}
		seen[f.Family] = true
		if (f.Column == "") != (f.ColumnField == "") {
			t.Errorf("%q: Column %q without ColumnField %q (or the reverse)", f.Family, f.Column, f.ColumnField)
		}
		if f.WithoutLateness != "" {
			if _, ok := LookupFamily(string(f.WithoutLateness)); !ok {
				t.Errorf("%q: WithoutLateness %q is no family", f.Family, f.WithoutLateness)
			}
		}
		if !IsMetricRoot(string(f.Family) + ".p99") {
			t.Errorf("%q is not a metric root", f.Family)
		}
	}
}
