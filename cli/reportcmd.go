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
	fs := newFlagSet("report", "report [--format "+strings.Join(report.FormatNames(), "|")+"] RUN.json", env.Stderr)
	format := fs.String("format", "table", "output format: "+strings.Join(report.FormatNames(), ", "))
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
	write, ok := report.Writers()[*format]
	if !ok {
		fmt.Fprintf(env.Stderr, "perfplan report: unknown format %q (want %s)\n", *format, strings.Join(report.FormatNames(), ", "))
		return ExitUsage
	}
	d, err := readDocument(pos[0])
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan report:", err)
		return ExitUsage
	}
	if *format == "table" {
		// The table in colour on a terminal, as the live run prints it.
		write = func(d *report.Document, w io.Writer) error {
			return report.WriteDocumentTables(w, d, report.TableOptions{Color: colorOn(env, noColor, env.StdoutTTY)})
		}
	}
	if err := write(d, env.Stdout); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan report:", err)
		return ExitFailed
	}
	return ExitOK
}
