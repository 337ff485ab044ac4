package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/report"
)

// TestOutAll: --out all=DIR writes every file format into DIR (created),
// each file what its format says.
func TestOutAll(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := writePlan(t, dir, "all", "")
	out := filepath.Join(dir, "results", "run1")
	r := runEnv(t, nil, "run", "--quiet", "--no-history", "--out", "all="+out, p)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for name, want := range map[string]string{
		"results.csv":       "plan,repetition",
		"results.md":        "## perfplan results",
		"results.junit.xml": "<testsuites",
		"results.html":      "<!DOCTYPE html>",
		"results.json":      `"schema_version": 1`,
	} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: %v, lacks %q", name, err, want)
		}
	}
	if _, err := report.ReadDocumentFile(filepath.Join(out, "results.json")); err != nil {
		t.Error(err)
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != 5 {
		t.Errorf("%d files in %s, want 5", len(ents), out)
	}
	// A DIR that is a file is a usage error before anything runs.
	r = runEnv(t, nil, "run", "--quiet", "--no-history", "--out", "all="+p, p)
	if r.code != 2 || !strings.Contains(r.stderr, "not a directory") {
		t.Errorf("all=FILE: exit %d\n%s", r.code, r.stderr)
	}
}
