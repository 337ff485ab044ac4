package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
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

// Flags common to the commands. Every command accepts --no-color, so that a
// script can pass it to any of them; a command that prints no colour of its
// own accepts it and does nothing. --quiet is accepted where there is
// something to leave out: run's live progress, validate's summary lines.
const (
	noColorUsage = "no colour (also off without a terminal or with NO_COLOR set)"
)

// addNoColorFlag defines --no-color.
func addNoColorFlag(fs *flag.FlagSet, noColor *bool) {
	fs.BoolVar(noColor, "no-color", false, noColorUsage)
}

// addQuietFlag defines --quiet; usage says what it leaves out.
func addQuietFlag(fs *flag.FlagSet, quiet *bool, usage string) {
	fs.BoolVar(quiet, "quiet", false, usage)
}

// parseCommand parses a command's flags, which may come before, between or
// after its arguments, and returns the arguments. done reports that the
// command ends here, with code: ExitOK after -h (the usage is printed),
// ExitUsage after a bad flag (the flag package has said what is wrong).
func parseCommand(fs *flag.FlagSet, args []string) (pos []string, code int, done bool) {
	pos, err := parseInterleaved(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return nil, ExitOK, true
	case err != nil:
		return nil, ExitUsage, true
	}
	return pos, ExitOK, false
}

// urlPassword matches the password of a URL's user information
// (scheme://user:password@), group 1 being what precedes it.
var urlPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@"']*):[^\s@/"']*@`)

// redactURLs replaces the passwords of the URLs in s.
func redactURLs(s string) string { return urlPassword.ReplaceAllString(s, "${1}:xxxxx@") }

// redactWriter writes through w with the passwords of URLs replaced: the
// flag package echoes a bad flag's value (--out prometheus=URL, --history
// URL). Each message is one Write.
type redactWriter struct{ w io.Writer }

func (r redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, redactURLs(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(redactWriter{stderr})
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: perfplan %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\nExit codes: 0 passed, 1 assertion failed, 2 usage or invalid plan, 3 interrupted, 4 target failed to start, 5 results not written\n")
	}
	return fs
}
