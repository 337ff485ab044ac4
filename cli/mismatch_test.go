package cli_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNewcomerMismatches checks the small mismatches a newcomer met: --out
// md=, a bad flag in one line spelt --flag, fmt -diff that writes nothing,
// history that creates nothing, and a misspelt --var with a suggestion.
func TestNewcomerMismatches(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	md := filepath.Join(dir, "r.md")
	if r := run(t, "run", "--quiet", "--out", "md="+md, "testdata/vars.hcl"); r.code != 0 {
		t.Errorf("--out md=: exit %d\n%s", r.code, r.stderr)
	} else if b, err := os.ReadFile(md); err != nil || !strings.Contains(string(b), "## perfplan results") {
		t.Errorf("--out md= did not write Markdown: %v %q", err, b)
	}

	r := run(t, "run", "--out", "xml=r.xml", "testdata/vars.hcl")
	if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 ||
		!strings.Contains(r.stderr, `flag --out: unknown format "xml"`) || !strings.Contains(r.stderr, "perfplan run -h") {
		t.Errorf("a bad --out format: exit %d, want one line naming --out:\n%s", r.code, r.stderr)
	}
	if r := run(t, "run", "-h"); r.code != 0 || !strings.Contains(r.stderr, "  --baseline BASE.json") || strings.Contains(r.stderr, "\n  -baseline") {
		t.Errorf("run -h does not spell flags --flag:\n%s", r.stderr)
	}

	src, err := os.ReadFile("testdata/unformatted.hcl")
	if err != nil {
		t.Fatal(err)
	}
	unformatted := filepath.Join(dir, "unformatted.hcl")
	if err := os.WriteFile(unformatted, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "fmt", "--diff", unformatted); r.code != 0 || !strings.Contains(r.stdout, "+++ b/") {
		t.Errorf("fmt --diff: exit %d, stdout %q", r.code, r.stdout)
	}
	if after, _ := os.ReadFile(unformatted); string(after) != string(src) {
		t.Error("fmt --diff rewrote the file")
	}

	empty := t.TempDir()
	h := runIn(t, empty, "history")
	if h.code != 0 || !strings.Contains(h.stdout, "no history at") {
		t.Errorf("history in an empty directory: exit %d, %q %q", h.code, h.stdout, h.stderr)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("history created %v in an empty directory", entries)
	}

	if r := run(t, "validate", "--var", "vu=1", "testdata/vars.hcl"); r.code != 2 || !strings.Contains(r.stderr, `did you mean "vus"?`) {
		t.Errorf("--var vu: exit %d, %q", r.code, r.stderr)
	}
}

// runIn runs the binary in dir, with no PERFPLAN_HISTORY, so that the
// default history path is dir's .perfplan/history.db.
func runIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PERFPLAN_HISTORY=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run perfplan %v: %v", args, err)
	}
	return result{code, out.String(), errb.String()}
}
