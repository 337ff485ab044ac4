package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
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
// positional arguments, as users of most CLIs expect; "--" ends flags. A
// bad flag is one line on the flag set's output, not the whole usage: the
// usage is printed for -h only.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	usage, out := fs.Usage, fs.Output()
	var msg bytes.Buffer
	fs.Usage = func() {}
	fs.SetOutput(&msg)
	defer func() { fs.Usage = usage; fs.SetOutput(out) }()
	fail := func(err error) ([]string, error) {
		fs.SetOutput(out)
		if errors.Is(err, flag.ErrHelp) {
			usage()
			return nil, err
		}
		line, _, _ := strings.Cut(strings.TrimSpace(msg.String()), "\n")
		if line == "" {
			line = err.Error()
		}
		fmt.Fprintf(out, "perfplan %s: %s (perfplan %s -h lists the flags)\n", fs.Name(), doubleDash(line), fs.Name())
		return nil, err
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return fail(err)
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

// flagName matches a flag as the flag package writes it in its errors,
// "-out", after a space, a colon or the start.
var flagName = regexp.MustCompile(`(^|[\s:])-([A-Za-z][A-Za-z0-9-]*)`)

// doubleDash spells the flags of a flag package message as the docs do,
// "--out" rather than "-out".
func doubleDash(s string) string {
	return flagName.ReplaceAllString(s, "$1--$2")
}

// printFlags prints the flags of fs as flag.PrintDefaults does, but spelt
// "--name", as the docs and the examples write them.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		usage = strings.ReplaceAll(usage, "\n", "\n    \t")
		line += "\n    \t" + usage
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); !isBool {
				line += fmt.Sprintf(" (default %s)", defaultText(f))
			}
		}
		fmt.Fprintln(w, line)
	})
}

// defaultText is a flag's default as PrintDefaults writes it: quoted for a
// string flag.
func defaultText(f *flag.Flag) string {
	if _, ok := f.Value.(flag.Getter); ok {
		if _, isString := f.Value.(flag.Getter).Get().(string); isString {
			return strconv.Quote(f.DefValue)
		}
	}
	return f.DefValue
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
		printFlags(stderr, fs)
		fmt.Fprint(stderr, "\nExit codes: 0 passed, 1 assertion failed, 2 usage or invalid plan, 3 interrupted, 4 target failed to start, 5 results not written\n")
	}
	return fs
}
