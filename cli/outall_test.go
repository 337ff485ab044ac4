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

// TestRunIO: the run document carries the process's disk and network I/O,
// in total and per interval, and the table and the HTML report show it.
func TestRunIO(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/io"); err != nil {
		t.Skip("no /proc/self/io:", err)
	}
	dir := t.TempDir()
	p := writePlan(t, dir, "io", "  assert {\n    condition = io.read_ops >= 0 && net.sent_bytes_per_sec >= 0 && disk.write_bytes >= 0\n  }\n")
	r := runEnv(t, nil, "run", "--no-history", "--out", "all="+dir, p)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	d, err := report.ReadDocumentFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	res := d.Plans[0].Scenarios[0].Resources
	if res == nil || res.IO == nil || res.IO.Process == nil || res.IO.Process.ReadOps == 0 {
		t.Fatalf("no process I/O in the document: %+v", res)
	}
	if _, err := os.Stat("/proc/self/net/dev"); err == nil && res.IO.Network == nil {
		t.Error("no network I/O in the document")
	}
	perInterval := false
	for _, h := range res.Heap {
		perInterval = perInterval || (h.IO != nil && h.IO.Process != nil)
	}
	if !perInterval {
		t.Error("no per-interval I/O in the heap series")
	}
	if !strings.Contains(r.stdout, " io r ") {
		t.Errorf("the resource line lacks the I/O:\n%s", r.stdout)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "results.html"))
	if !strings.Contains(string(html), "tile-io") {
		t.Error("the HTML report lacks the I/O tile")
	}
}
