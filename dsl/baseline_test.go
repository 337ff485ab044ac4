package dsl

import (
	"reflect"
	"strings"
	"testing"
)

func TestBaselineMetrics(t *testing.T) {
	t.Parallel()
	const head = `
target "cache" "c" { capacity = 1 }
workload "w" {
  target = target.cache.c
  op "get" {}
  op "set" {}
}
scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "1s"
  assert { condition = %s }
}
`
	tests := []struct {
		cond    string
		refs    []string
		wantErr string
	}{
		{cond: "latency.p99 < baseline.latency.p99 * 1.10", refs: []string{"latency.p99", "baseline.latency.p99"}},
		{cond: "throughput > baseline.throughput * 0.9", refs: []string{"throughput", "baseline.throughput"}},
		{cond: "op.get.latency.p99 <= baseline.op.get.latency.p99", refs: []string{"op.get.latency.p99", "baseline.op.get.latency.p99"}},
		{cond: "target.hit_ratio >= baseline.target.hit_ratio - 0.01", refs: []string{"target.hit_ratio", "baseline.target.hit_ratio"}},
		{cond: `baseline.op["set"].error_rate >= 0`, refs: []string{"baseline.op.set.error_rate"}},
		{cond: "latency.p99 < baseline.latency.p98", wantErr: "Did you mean baseline.latency.p9"},
		{cond: "latency.p99 < baseline.op.put.latency.p99", wantErr: `no metric "baseline.op.put.latency.p99"`},
		{cond: "latency.p99 < baseline.service_time.p99", wantErr: "service_time and schedule_lag are measured only by the arrival-rate and breakpoint executors"},
		{cond: "baseline > 1", wantErr: "Unknown metric"},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			t.Parallel()
			p, diags, l := loadSrc(t, strings.Replace(head, "%s", tt.cond, 1), nil, nil)
			if tt.wantErr != "" {
				if !diags.HasErrors() {
					t.Fatalf("loaded without error, want %q", tt.wantErr)
				}
				if got := diagText(t, l, diags); !strings.Contains(got, tt.wantErr) {
					t.Fatalf("diagnostics do not contain %q:\n%s", tt.wantErr, got)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("Load: %s", diagText(t, l, diags))
			}
			c := p.Scenarios[0].Asserts[0].Condition
			if got := c.Refs(); !reflect.DeepEqual(got, tt.refs) {
				t.Errorf("refs = %v, want %v", got, tt.refs)
			}
			m := mapMetrics{}
			for _, r := range tt.refs {
				m[r] = 1
			}
			if _, err := c.Eval(m); err != nil {
				t.Errorf("Eval: %v", err)
			}
		})
	}
}
