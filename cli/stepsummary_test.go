package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/targets/builtin"
)

// TestStepSummary: with GITHUB_STEP_SUMMARY set, run appends its Markdown
// summary to that file, after what earlier steps wrote; a summary that
// cannot be written is a warning and leaves the exit status alone.
func TestStepSummary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	summary := filepath.Join(dir, "summary.md")
	if err := os.WriteFile(summary, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mainEnv := func(summaryPath string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := cli.Main(context.Background(), cli.Env{
			Args: []string{"run", "--quiet", "testdata/vars.hcl"}, Registry: builtin.Registry(), Stdout: &stdout, Stderr: &stderr,
			Environ: []string{"PERFPLAN_HISTORY=" + filepath.Join(dir, "history.db"), "GITHUB_STEP_SUMMARY=" + summaryPath},
		})
		return code, stderr.String()
	}
	if code, stderr := mainEnv(summary); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.HasPrefix(got, "earlier step\n## perfplan results") || !strings.Contains(got, "plan `vars`") || !strings.Contains(got, "✅") {
		t.Errorf("summary:\n%s", got)
	}
	code, stderr := mainEnv(filepath.Join(dir, "missing", "dir", "summary.md"))
	if code != 0 || !strings.Contains(stderr, "warning: $GITHUB_STEP_SUMMARY") {
		t.Errorf("unwritable summary: exit %d\n%s", code, stderr)
	}
}
