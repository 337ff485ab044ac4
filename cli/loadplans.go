package cli

import "fmt"

// interruptedLoading reports a signal that arrived while plans were being
// loaded and returns the exit code for it.
func interruptedLoading(env Env) int {
	fmt.Fprintln(env.Stderr, "perfplan: interrupted while loading plans; nothing was run")
	return ExitInterrupted
}
