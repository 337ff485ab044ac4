package cli

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/plan"
)

// interruptedLoading reports a signal that arrived while plans were being
// loaded and returns the exit code for it.
func interruptedLoading(env Env) int {
	fmt.Fprintln(env.Stderr, "perfplan: interrupted while loading plans; nothing was run")
	return ExitInterrupted
}

// loadPlans loads every plan file, prints all diagnostics, and checks that
// each --var names a variable that some plan declares. It stops with
// ExitInterrupted when ctx is cancelled (a signal) between files.
func loadPlans(ctx context.Context, env Env, args []string, vars []dsl.VarArg, noColor bool) ([]*plan.Plan, int) {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "perfplan: no plan files given")
		return nil, ExitUsage
	}
	paths, err := expandPaths(args)
	if err != nil {
		fmt.Fprintf(env.Stderr, "perfplan: %v\n", err)
		return nil, ExitUsage
	}
	loader := dsl.NewLoader(env.Registry, vars, env.Environ)
	var plans []*plan.Plan
	var diags hcl.Diagnostics
	for _, path := range paths {
		if ctx.Err() != nil {
			return nil, interruptedLoading(env)
		}
		// A plan that cannot be read to its end (a pipe whose writer
		// never closes it) must not hold an interrupt: the load goes on
		// in its own goroutine, and the first interrupt ends the wait.
		type loaded struct {
			p *plan.Plan
			d hcl.Diagnostics
		}
		done := make(chan loaded, 1)
		go func() {
			p, d := loader.Load(path)
			done <- loaded{p, d}
		}()
		var p *plan.Plan
		var d hcl.Diagnostics
		select {
		case l := <-done:
			p, d = l.p, l.d
		case <-ctx.Done():
			return nil, interruptedLoading(env)
		}
		diags = append(diags, d...)
		if p != nil && !d.HasErrors() {
			plans = append(plans, p)
		}
	}
	if ctx.Err() != nil {
		return nil, interruptedLoading(env)
	}
	if len(diags) > 0 {
		if err := loader.WriteDiagnostics(env.Stderr, diags, colorOn(env, noColor, env.StderrTTY)); err != nil {
			fmt.Fprintf(env.Stderr, "perfplan: %v\n", err)
		}
	}
	if diags.HasErrors() {
		n := 0
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				n++
			}
		}
		fmt.Fprintf(env.Stderr, "perfplan: %d error(s) in plans; nothing was run\n", n)
		return nil, ExitUsage
	}
	declared := loader.DeclaredVariables()
	for _, v := range vars {
		if v.Name != "" && !declared[v.Name] {
			names := slices.Sorted(maps.Keys(declared))
			hint := ""
			if best := dsl.Suggest(v.Name, names); best != "" {
				hint = fmt.Sprintf("; did you mean %q?", best)
			} else if len(names) > 0 {
				hint = fmt.Sprintf("; declared: %s", strings.Join(names, ", "))
			}
			fmt.Fprintf(env.Stderr, "perfplan: --var %s: no plan declares a variable %q%s\n", v.Name, v.Name, hint)
			return nil, ExitUsage
		}
	}
	for _, v := range loader.VarFileVariables() {
		if !declared[v.Name] {
			fmt.Fprintf(env.Stderr, "perfplan: --var-file %s: no plan declares a variable %q\n", v.File, v.Name)
			return nil, ExitUsage
		}
	}
	return plans, ExitOK
}

// expandPaths turns arguments into plan files: a directory means its *.hcl
// files, and a pattern the shell did not expand is globbed here.
func expandPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		switch {
		case err == nil && st.IsDir():
			m, _ := filepath.Glob(filepath.Join(a, "*.hcl"))
			if len(m) == 0 {
				return nil, fmt.Errorf("%s: no *.hcl plan files in directory", a)
			}
			out = append(out, m...)
		case err == nil:
			out = append(out, a)
		case strings.ContainsAny(a, "*?["):
			m, gerr := filepath.Glob(a)
			if gerr != nil || len(m) == 0 {
				return nil, fmt.Errorf("%s: no plan files match", a)
			}
			out = append(out, m...)
		default:
			return nil, fmt.Errorf("plan file: %w", err)
		}
	}
	return out, nil
}
