package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/targets/builtin"
)

// commandTimeout bounds each perfplan command of the catalogue test, so
// that a hang fails the test instead of stalling it.
const commandTimeout = 60 * time.Second

// runTimed runs the perfplan binary with a timeout and returns its exit
// code and combined output.
func runTimed(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "CI=true", "PERFPLAN_HISTORY="+filepath.Join(t.TempDir(), "history.db"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("perfplan %v did not finish within %v\n%.3000s", args, commandTimeout, out.String())
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	case err != nil:
		t.Fatalf("run perfplan %v: %v", args, err)
	}
	return 0, out.String()
}

// TestDuplicateBlocksOutput checks the cap on printed diagnostics through
// the binary.
func TestDuplicateBlocksOutput(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "dups.hcl")
	if err := os.WriteFile(path, []byte(strings.Repeat("target \"noop\" \"n\" {}\n", 4000)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runTimed(t, "validate", path)
	if code != cli.ExitUsage {
		t.Fatalf("exit %d, want 2\n%.2000s", code, out)
	}
	// 3,999 duplicates, and no scenario.
	for _, want := range []string{
		path + ":1,1:\nError: Plan has no scenarios",
		path + ":2,15:\nError: Duplicate target",
		fmt.Sprintf("... and %d more errors not shown", 4000-dsl.MaxPrintedDiagnostics),
		"perfplan: 4000 error(s) in plans; nothing was run",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q\n%.2000s", want, out)
		}
	}
	if n := strings.Count(out, "\nError: "); n != dsl.MaxPrintedDiagnostics {
		t.Errorf("printed %d diagnostics, want %d", n, dsl.MaxPrintedDiagnostics)
	}
}

// TestVarNotANumber checks the message for a --var that is not a number.
func TestVarNotANumber(t *testing.T) {
	t.Parallel()
	code, out := runTimed(t, "validate", "testdata/vars.hcl", "--var", "vus=fast")
	if code != cli.ExitUsage || !strings.Contains(out, `is not a valid number (variable "vus" has type number)`) || strings.Contains(out, "Variables not allowed") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestValidateInterrupted checks that validate stops with exit code 3 once
// its context is cancelled (SIGINT or SIGTERM in cmd/perfplan).
func TestValidateInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := cli.Main(ctx, cli.Env{
		Args:     []string{"validate", "testdata/vars.hcl", "../plans"},
		Registry: builtin.Registry(), Stdout: &stdout, Stderr: &stderr,
	})
	if code != cli.ExitInterrupted || !strings.Contains(stderr.String(), "interrupted") || stdout.Len() > 0 {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, cli.ExitInterrupted, stdout.String(), stderr.String())
	}
}
