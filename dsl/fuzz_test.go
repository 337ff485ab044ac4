package dsl

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/perfplan/perfplan/plan"
)

// FuzzLoad checks that Load never panics, that each error it reports has a
// location, and that a plan it accepts has conditions that evaluate without
// panicking.
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.hcl"))
		for _, path := range files {
			src, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	reg := testRegistry(f)
	// Inputs run one at a time in each fuzzing process, so one file will do.
	path := filepath.Join(f.TempDir(), "fuzz.hcl")
	f.Fuzz(func(t *testing.T, src []byte) {
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		l := NewLoader(reg, []VarArg{{Name: "rate", Value: "5"}}, []string{"PERFPLAN_VAR_name=x"})
		p, diags := l.Load(path)
		// No panic, a location on every error, and printable.
		checkDiags(t, l, diags)
		if p == nil {
			return
		}
		for _, s := range p.Scenarios {
			for _, a := range s.Asserts {
				m := mapMetrics{}
				for _, n := range plan.MetricNames(s) {
					m[n] = 1
				}
				_, _ = a.Condition.Eval(m)
			}
		}
		for _, a := range p.Asserts {
			m := mapMetrics{}
			for _, r := range a.Condition.Refs() {
				m[r] = 1
			}
			_, _ = a.Condition.Eval(m)
		}
	})
}

// checkDiags fails the test when Load panicked, when an error has no
// location, or when the diagnostics cannot be printed.
func checkDiags(t *testing.T, l *Loader, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		if d.Summary == "Internal error" {
			t.Fatalf("Load panicked: %s", d.Detail)
		}
		if d.Severity == hcl.DiagError && d.Subject == nil {
			t.Fatalf("error without a location: %s: %s", d.Summary, d.Detail)
		}
	}
	if err := l.WriteDiagnostics(discard{}, diags, false); err != nil {
		t.Fatal(err)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
