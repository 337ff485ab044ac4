package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/perfplan/perfplan/dsl"
)

// varFlags collects --var and --var-file in command-line order, since later
// ones win.
type varFlags struct{ args *[]dsl.VarArg }

type varFlag struct{ varFlags }

func (f varFlag) String() string { return "" }
func (f varFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	*f.args = append(*f.args, dsl.VarArg{Name: strings.TrimSpace(name), Value: value})
	return nil
}

type varFileFlag struct{ varFlags }

func (f varFileFlag) String() string { return "" }
func (f varFileFlag) Set(s string) error {
	if s == "" {
		return fmt.Errorf("empty file name")
	}
	*f.args = append(*f.args, dsl.VarArg{File: s})
	return nil
}

func addVarFlags(fs *flag.FlagSet, args *[]dsl.VarArg) {
	fs.Var(varFlag{varFlags{args}}, "var", "set a plan variable: NAME=VALUE (repeatable; later wins)")
	fs.Var(varFileFlag{varFlags{args}}, "var-file", "read plan variables from an HCL file of NAME = VALUE (repeatable)")
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, as users of most CLIs expect; "--" ends flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: perfplan %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\nExit codes: 0 passed, 1 assertion failed, 2 usage or invalid plan, 3 interrupted, 4 target failed to start, 5 results not written\n")
	}
	return fs
}
