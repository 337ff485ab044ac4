package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/perfplan/perfplan/dsl"
)

// validateCommand is `perfplan validate`: it loads and checks plans without
// running them and prints a line per valid plan.
func validateCommand(ctx context.Context, env Env, args []string) int {
	var vars []dsl.VarArg
	fs := newFlagSet("validate", "validate [flags] PLAN...", env.Stderr)
	addVarFlags(fs, &vars)
	noColor := fs.Bool("no-color", false, "no colour in diagnostics")
	paths, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage
	}
	plans, code := loadPlans(ctx, env, paths, vars, *noColor)
	if code != ExitOK {
		return code
	}
	for _, p := range plans {
		asserts := 0
		for _, s := range p.Scenarios {
			asserts += len(s.Asserts)
		}
		fmt.Fprintf(env.Stdout, "%s: plan %q is valid: %d target(s), %d workload(s), %d scenario(s), %d assertion(s)\n",
			p.File, p.Name, len(p.Targets), len(p.Workloads), len(p.Scenarios), asserts)
	}
	return ExitOK
}
