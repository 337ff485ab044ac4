package dsl

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden diagnostics in testdata/invalid")

// TestInvalidGolden loads each testdata/invalid/*.hcl and compares the
// printed diagnostics (colour off) with its .golden file.
func TestInvalidGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.hcl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid plans: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			l := NewLoader(testRegistry(t), nil, nil)
			p, diags := l.Load(path)
			if !diags.HasErrors() || p != nil {
				t.Fatalf("Load succeeded; want errors (plan %v)", p)
			}
			got := diagText(t, l, diags)
			golden := strings.TrimSuffix(path, ".hcl") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run go test ./dsl -run TestInvalidGolden -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("diagnostics differ from %s\n--- got ---\n%s\n--- want ---\n%s", golden, got, want)
			}
		})
	}
}
