package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/perfplan/perfplan/report"
)

// reportCommand is `perfplan report RUN.json --format FORMAT`: it renders a
// saved run document again.
func reportCommand(env Env, args []string) int {
	fs := newFlagSet("report", "report [--format "+strings.Join(formatNames(), "|")+"] RUN.json\n       perfplan report --profile [PLAN/]SCENARIO [--profile-type cpu|allocs|remote] [-o FILE.pb.gz] RUN.json", env.Stderr)
	format := fs.String("format", "table", "output format: "+formatList())
	var pf profileFlags
	pf.define(fs)
	var noColor bool
	addNoColorFlag(fs, &noColor)
	pos, code, done := parseCommand(fs, args)
	if done {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.Stderr, "perfplan report: want one run document")
		fs.Usage()
		return ExitUsage
	}
	write, ok, err := writerFor(formatAlias(*format))
	switch {
	case err != nil:
		fmt.Fprintln(env.Stderr, "perfplan report:", err)
		return ExitUsage
	case !ok:
		fmt.Fprintf(env.Stderr, "perfplan report: unknown format %q (want %s)\n", *format, formatList())
		return ExitUsage
	}
	d, err := readDocument(pos[0])
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan report:", err)
		return ExitUsage
	}
	if pf.scenario != "" {
		return pf.write(env, d)
	}
	if pf.out != "" || pf.kind != "cpu" {
		fmt.Fprintln(env.Stderr, "perfplan report: -o and --profile-type go with --profile")
		return ExitUsage
	}
	if *format == "table" {
		// The table in colour on a terminal, as the live run prints it.
		write = func(d *report.Document, w io.Writer) error {
			return report.WriteDocumentTables(w, d, report.TableOptions{Color: colorOn(env, noColor, env.StdoutTTY), Width: tableWidth(env)})
		}
	}
	if err := write(d, env.Stdout); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan report:", err)
		return ExitFailed
	}
	return ExitOK
}
