package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/targets/builtin"
)

// TestCommonFlags: every command accepts --no-color (and -h), so that a
// script can pass them to any of them; run and validate accept --quiet. On
// a terminal the commands that colour their output do so, and --no-color
// turns it off.
func TestCommonFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	doc := filepath.Join(dir, "run.json")
	db := filepath.Join(dir, "history.db")
	main := func(tty bool, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := cli.Main(context.Background(), cli.Env{
			Args: args, Registry: builtin.Registry(), Stdout: &stdout, Stderr: &stderr,
			Environ: []string{"PERFPLAN_HISTORY=" + db, "CI=true"}, StdoutTTY: tty, StderrTTY: tty,
		})
		return code, stdout.String(), stderr.String()
	}
	if code, out, errs := main(false, "run", "--quiet", "--out", "json="+doc, "testdata/vars.hcl"); code != cli.ExitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errs)
	}
	tests := []struct {
		args []string
		// colors: the output has colour on a terminal without --no-color.
		colors bool
		// quiet: --quiet is accepted.
		quiet bool
	}{
		{args: []string{"run", "testdata/vars.hcl"}, colors: true, quiet: true},
		{args: []string{"validate", "testdata/vars.hcl"}, quiet: true},
		{args: []string{"fmt", "-check", "testdata/vars.hcl"}},
		{args: []string{"report", doc}, colors: true},
		{args: []string{"compare", doc, doc}, colors: true},
		{args: []string{"history", "--history", db}},
		{args: []string{"targets"}},
	}
	for _, tc := range tests {
		cmd := tc.args[0]
		t.Run(cmd, func(t *testing.T) {
			code, out, errs := main(true, append([]string{cmd, "--no-color"}, tc.args[1:]...)...)
			if code != cli.ExitOK || strings.Contains(out+errs, "\x1b[") {
				t.Errorf("%s --no-color: exit %d, want 0 and no colour\nstdout:\n%s\nstderr:\n%s", cmd, code, out, errs)
			}
			if code, _, errs := main(false, cmd, "-h"); code != cli.ExitOK || !strings.Contains(errs, "-no-color") {
				t.Errorf("%s -h: exit %d, want 0 and --no-color in the usage\n%s", cmd, code, errs)
			}
			if tc.colors {
				if code, out, errs := main(true, tc.args...); code != cli.ExitOK || !strings.Contains(out, "\x1b[") {
					t.Errorf("%s on a terminal: exit %d, want 0 and colour\nstdout:\n%s\nstderr:\n%s", cmd, code, out, errs)
				}
			}
			if tc.quiet {
				args := append([]string{cmd, "--quiet", "--no-color"}, tc.args[1:]...)
				if code, out, errs := main(false, args...); code != cli.ExitOK {
					t.Errorf("%s --quiet: exit %d\nstdout:\n%s\nstderr:\n%s", cmd, code, out, errs)
				}
			}
		})
	}
	// validate --quiet prints nothing for valid plans; diagnostics still.
	if code, out, errs := main(false, "validate", "--quiet", "testdata/vars.hcl"); code != cli.ExitOK || out != "" || errs != "" {
		t.Errorf("validate --quiet: exit %d, want 0 and no output\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if code, _, errs := main(false, "validate", "--quiet", "testdata/misspelled.hcl"); code != cli.ExitUsage || errs == "" {
		t.Errorf("validate --quiet on an invalid plan: exit %d, want %d with diagnostics\n%s", code, cli.ExitUsage, errs)
	}
	if code, _, errs := main(false, "targets", "extra"); code != cli.ExitUsage || !strings.Contains(errs, "takes no arguments") {
		t.Errorf("targets extra: exit %d\n%s", code, errs)
	}
}
