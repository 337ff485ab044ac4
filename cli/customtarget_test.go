package cli_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/cli"
)

// TestCustomTargetExample builds examples/custom-target, perfplan with the
// slowdb kind registered beside the built-in ones (wired by cli.DefaultEnv),
// and uses it as a team would: targets lists the kind, validate accepts the
// example's plan and run --quick passes it. The perfplan binary, without
// slowdb, rejects the plan.
func TestCustomTargetExample(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "../examples/custom-target/...")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/custom-target/...: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "custom-target")
	plan := filepath.Join("..", "examples", "custom-target", "slowdb.hcl")
	exe := func(bin string, args ...string) result {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "CI=true", "PERFPLAN_HISTORY="+filepath.Join(dir, "history.db"))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		r := result{stdout: stdout.String(), stderr: stderr.String()}
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			r.code = ee.ExitCode()
		case err != nil:
			t.Fatalf("%s %v: %v", bin, args, err)
		}
		return r
	}
	check := func(r result, code int, stdout ...string) {
		t.Helper()
		if r.code != code {
			t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
		}
		for _, s := range stdout {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", s, r.stdout, r.stderr)
			}
		}
	}

	check(exe(bin, "targets"), cli.ExitOK, "slowdb ", "cache ", "stats: target.queries")
	check(exe(bin, "validate", plan), cli.ExitOK, `plan "slowdb-orders" is valid: 1 target(s), 1 workload(s), 1 scenario(s), 3 assertion(s)`)
	// The p99 budget is the one timing assertion; on a loaded test machine
	// it is widened, so the test checks the target and not the machine.
	out := filepath.Join(dir, "run.json")
	r := exe(bin, "run", "--quick", "--var", "p99_budget=1m", "--out", "json="+out, plan)
	check(r, cli.ExitOK, "plan slowdb-orders", "PASS: 3 assertions held", "target.pool_waits=")
	d := readRunDoc(t, out)
	s := d.Plans[0].Scenarios[0]
	if st := s.TargetStats; s.Total.Ops == 0 || st["queries"] == 0 || st["pool_waits"] == 0 || st["in_use_max"] < 1 || st["in_use_max"] > 4 {
		t.Errorf("run document: ops %d, target statistics %v; want operations, queries, pool waits and at most the 4 connections in use",
			s.Total.Ops, s.TargetStats)
	}

	r = exe(binary, "validate", plan)
	if r.code != cli.ExitUsage || !strings.Contains(r.stderr, `There is no target kind "slowdb"`) {
		t.Errorf("perfplan without slowdb: exit %d, want %d and an unknown kind\n%s", r.code, cli.ExitUsage, r.stderr)
	}
}
