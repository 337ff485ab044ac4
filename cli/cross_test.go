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

// TestDuetPlan runs a plan with a duet block through the binary: with B's
// backend at a median of 10ms against A's 5ms (each uniform within ±40 %), the paired p50 change is about +100 %
// and the plan-level assertion duet.ab.latency.p50.change > 0.5 holds;
// swapped, the change is about −50 % and it fails. The run document holds
// the duet with its method.
//
// A machine whose load drifts during the run (the whole suite under -race
// on 2 cores) can leave the log ratios too autocorrelated for a verdict;
// the assertion is then inconclusive (exit 6) and perfplan runs the plan
// again (--retry-inconclusive). Only when every run is left without a
// verdict does the test skip, with the duet's reason: it cannot decide
// either. A wrong verdict always fails.
func TestDuetPlan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		a, b       string
		code       int
		lo, hi     float64
		wantStdout string
	}{
		{"b slower", "5", "10", cli.ExitOK, 0.8, 1.2, "PASS: 1 assertions held"},
		{"swapped", "10", "5", cli.ExitFailed, -0.6, -0.4, "b is not much slower than a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "run.json")
			r := run(t, "run", "--quiet", "--no-color", "--retry-inconclusive", "2", "--var", "a="+tc.a, "--var", "b="+tc.b, "--out", "json="+out, "testdata/duet.hcl")
			if r.code == cli.ExitInconclusive && strings.Contains(r.stdout, "INCONCLUSIVE: 1 of 1 assertions read a duet that gave no verdict") {
				t.Skipf("three runs left the duet without a verdict on this machine:\n%s", r.stdout)
			}
			if r.code != tc.code || !strings.Contains(r.stdout, tc.wantStdout) || !strings.Contains(r.stdout, "duet ab (paired t interval on batch means of log ratios)") {
				t.Fatalf("exit %d, want %d and %q\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, tc.wantStdout, r.stdout, r.stderr)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Plans []struct {
					Duets []struct {
						Name    string `json:"name"`
						Method  string `json:"method"`
						Figures []struct {
							Figure string   `json:"figure"`
							Change *float64 `json:"change"`
							Pairs  int      `json:"pairs"`
						} `json:"figures"`
					} `json:"duets"`
				} `json:"plans"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Plans) != 1 || len(doc.Plans[0].Duets) != 1 {
				t.Fatalf("want one duet in the document: %s", b)
			}
			d := doc.Plans[0].Duets[0]
			for _, f := range d.Figures {
				if f.Figure == "latency.p50" && (f.Change == nil || *f.Change < tc.lo || *f.Change > tc.hi || f.Pairs < 10) {
					t.Errorf("p50 figure %+v, want a change in [%v, %v] from at least 10 pairs", f, tc.lo, tc.hi)
				}
			}
		})
	}
}

// TestCrossMerge checks that perfplan merge does not let cross-scenario
// assertions pass unchecked: the segments' plan-level assertion is carried
// into the merged run as failed, with the reason, and a scenario's
// scenario.NAME.X reads no value there; merge exits 1.
func TestCrossMerge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var docs []string
	for _, seg := range []string{"0/2", "1/2"} {
		out := filepath.Join(dir, strings.ReplaceAll(seg, "/", "-")+".json")
		r := run(t, "run", "--quiet", "--no-color", "--segment", seg, "--out", "json="+out, "testdata/cross.hcl")
		if r.code != cli.ExitOK {
			t.Fatalf("segment %s: exit %d\n%s%s", seg, r.code, r.stdout, r.stderr)
		}
		docs = append(docs, out)
	}
	r := run(t, append([]string{"merge", "--no-color", "--no-history"}, docs...)...)
	if r.code != cli.ExitFailed {
		t.Fatalf("merge: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, w := range []string{"plan-level assertions are not evaluated again on merged segments", "read only within a run of the whole plan"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("merge output lacks %q:\n%s", w, r.stdout)
		}
	}
}
