package dsl

import (
	"strings"
	"testing"
)

// stagePlan is a ramping scenario with the stages stages and the
// assertion condition cond.
func stagePlan(stages, cond string) string {
	return `
target "noop" "n" {}
workload "w" {
  target = target.noop.n
  op "get" { weight = 1 }
}
scenario "ramp" {
  workload = workload.w
  executor = "ramping-vus"
` + stages + `
  assert {
    condition = ` + cond + `
  }
}
`
}

const namedStages = `
  stage {
    name     = "warmup"
    duration = "1s"
    target   = 2
  }
  stage {
    name     = "steady"
    duration = "2s"
    target   = 2
  }
  stage {
    duration = "1s"
    target   = 0
  }
`

// TestStageNames: stages may be named; stage.NAME.METRIC reads a named
// stage's figures, and a reference to a stage that does not exist, a
// duplicate or invalid name, or stage.* in a scenario without stages is a
// diagnostic at its position.
func TestStageNames(t *testing.T) {
	t.Parallel()
	p, diags, l := loadSrc(t, stagePlan(namedStages, `stage.steady.latency.p99 < 5 && stage.warmup.op.get.ops > 0`), nil, nil)
	if diags.HasErrors() {
		t.Fatal(diagText(t, l, diags))
	}
	st := p.Scenarios[0].Stages()
	if len(st) != 3 || st[0].Name != "warmup" || st[1].Name != "steady" || st[2].Name != "" {
		t.Fatalf("stages %+v", st)
	}
	if refs := p.Scenarios[0].Asserts[0].Condition.Refs(); strings.Join(refs, " ") != "stage.steady.latency.p99 stage.warmup.op.get.ops" {
		t.Errorf("refs %q", refs)
	}
	for _, tc := range []struct {
		name, stages, cond string
		want               []string
	}{
		{"unknown stage", namedStages, `stage.stedy.latency.p99 < 5`,
			[]string{"Unknown stage", `Scenario "ramp" has no stage named "stedy". Did you mean "steady"?`, `Its named stages are: "warmup", "steady"`, "plan.hcl:27,"}},
		{"unknown metric of a stage", namedStages, `stage.steady.latency.p98 < 5`,
			[]string{"Unknown metric", `has no metric "stage.steady.latency.p98"`, "Did you mean stage.steady.latency.p90?"}},
		{"no named stage", "  stage {\n    duration = \"1s\"\n    target = 1\n  }\n", `stage.steady.ops > 0`,
			[]string{"Unknown stage", "none of its stages has a name"}},
		{"duplicate name", strings.Replace(namedStages, `"warmup"`, `"steady"`, 1), `ops > 0`,
			[]string{"Duplicate stage name", `Stage 1 is already named "steady"`}},
		{"invalid name", strings.Replace(namedStages, `"warmup"`, `"warm up"`, 1), `ops > 0`,
			[]string{"Invalid stage name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, diags, l := loadSrc(t, stagePlan(tc.stages, tc.cond), nil, nil)
			text := diagText(t, l, diags)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, text)
				}
			}
		})
	}
	// A scenario without stages.
	src := strings.Replace(stagePlan("  vus = 1\n  duration = \"1s\"", `stage.steady.ops > 0`), `"ramping-vus"`, `"constant-vus"`, 1)
	_, diags, l = loadSrc(t, src, nil, nil)
	if text := diagText(t, l, diags); !strings.Contains(text, `Scenario "ramp" has no stages`) {
		t.Errorf("stage.* without stages:\n%s", text)
	}
}
