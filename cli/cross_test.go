package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/cli"
)

// TestCrossScenarioAssertions runs a plan whose assertions compare two
// sleep backends across scenarios, scenario.fast.latency.p50 <
// scenario.slow.latency.p50, through the binary: it passes with 1ms and
// 2ms backends and fails with them swapped. The latencies differ by a
// factor of two, far beyond any noise of a loaded machine.
func TestCrossScenarioAssertions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		fast, slow string
		code       int
		want       []string
	}{
		{"1ms faster than 2ms", "1ms", "2ms", cli.ExitOK, []string{"PASS   │ (plan)   │ scenario.fast.latency.p50 < scenario.slow.latency.p50", "PASS: 2 assertions held"}},
		{"swapped", "2ms", "1ms", cli.ExitFailed, []string{"FAIL   │ (plan)   │ scenario.fast.latency.p50 < scenario.slow.latency.p50", "fast is not faster than slow", "FAIL: 2 of 2 assertions failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "run.json")
			r := run(t, "run", "--quiet", "--no-color", "--var", "fast="+tc.fast, "--var", "slow="+tc.slow, "--out", "json="+out, "testdata/cross.hcl")
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Plans []struct {
					Passed     bool `json:"passed"`
					Assertions []struct {
						Condition string             `json:"condition"`
						Passed    bool               `json:"passed"`
						Observed  map[string]float64 `json:"observed"`
					} `json:"assertions"`
				} `json:"plans"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Plans) != 1 || len(doc.Plans[0].Assertions) != 1 {
				t.Fatalf("want one plan with one plan-level assertion, got %+v", doc.Plans)
			}
			a := doc.Plans[0].Assertions[0]
			if a.Passed != (tc.code == cli.ExitOK) || doc.Plans[0].Passed != a.Passed || len(a.Observed) != 2 {
				t.Errorf("plan-level assertion in the document: %+v, plan passed %v", a, doc.Plans[0].Passed)
			}
		})
	}
}
