package cli

import (
	"context"
	"fmt"

	"github.com/perfplan/perfplan/dsl"
)

// validateCommand is `perfplan validate`: it loads and checks plans without
// running them and prints a line per valid plan (none with --quiet).
func validateCommand(ctx context.Context, env Env, args []string) int {
	var vars []dsl.VarArg
	var noColor, quiet bool
	fs := newFlagSet("validate", "validate [flags] PLAN...", env.Stderr)
	addVarFlags(fs, &vars)
	addNoColorFlag(fs, &noColor)
	addQuietFlag(fs, &quiet, "print only diagnostics, not a line per valid plan (the exit code gives the verdict)")
	paths, code, done := parseCommand(fs, args)
	if done {
		return code
	}
	plans, code := loadPlans(ctx, env, paths, vars, noColor)
	if code != ExitOK || quiet {
		return code
	}
	for _, p := range plans {
		asserts := len(p.Asserts)
		for _, s := range p.Scenarios {
			asserts += len(s.Asserts)
		}
		fmt.Fprintf(env.Stdout, "%s: plan %q is valid: %d target(s), %d workload(s), %d scenario(s), %d assertion(s)\n",
			p.File, p.Name, len(p.Targets), len(p.Workloads), len(p.Scenarios), asserts)
	}
	return ExitOK
}
