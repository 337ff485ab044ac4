package executor

import (
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/targets"
)

// TestSaturationCause: the advice under a saturated open model names the
// measured cause by the kind of disturbance recorded, not by its text, and
// tells an in-process target from an out-of-process one.
func TestSaturationCause(t *testing.T) {
	t.Parallel()
	judged := func(kinds ...string) *Interference {
		j := &interferenceJudge{probe: newPauseProbe(time.Time{}, 0), cores: 2, n: 10, kinds: map[string]*disturbance{}}
		for _, k := range kinds {
			j.note(k, 50)
		}
		reasons, ks := j.reasons()
		return &Interference{Reasons: reasons, reasonKinds: ks}
	}
	for _, c := range []struct {
		name   string
		in     *Interference
		cpu    bool
		target string
		want   []string
		not    []string
	}{
		{"a neighbour", judged("other"), false, "sleep", []string{"a neighbour: other processes used", "rerun on a quieter machine"}, []string{"perfplan's own CPU"}},
		{"the quota", judged("throttled"), false, "sleep", []string{"the CPU quota: the cgroup's CPU quota throttled", "raise the container's CPU limit"}, []string{"a neighbour"}},
		{"the host", judged("steal"), false, "sleep", []string{"the host: the hypervisor stole"}, nil},
		{"memory pressure names no advice of its own", judged("memory"), false, "sleep", []string{"lower the rate or give the runner more cores"}, []string{"a neighbour", "quota"}},
		{"own CPU, in process", nil, true, "sleep", []string{"move the target out of process"}, nil},
		{"own CPU, http", nil, true, "http", []string{"perfplan's own CPU: lower the rate"}, []string{"out of process"}},
		{"a neighbour and own CPU", judged("other"), true, "cache", []string{"a neighbour", "perfplan's own CPU"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := &ScenarioResult{Interference: c.in, targetKind: &targets.Kind{Name: c.target}}
			got := saturationCause(r, c.cpu)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("advice %q lacks %q", got, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("advice %q has %q", got, n)
				}
			}
		})
	}
}
