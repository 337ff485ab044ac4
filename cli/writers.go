package cli

import (
	"io"
	"sort"

	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/report/html"
)

// writers returns the document renderers by format name, for --out
// FORMAT=PATH and `perfplan report --format`: report's (json, table,
// markdown, csv, junit) and the HTML report's run view, which lives in
// report/html (it imports report, so report cannot list it).
func writers() map[string]func(*report.Document, io.Writer) error {
	w := report.Writers()
	w["html"] = func(d *report.Document, out io.Writer) error { return html.WriteRun(out, d) }
	return w
}

// formatNames returns the names of writers, sorted.
func formatNames() []string {
	var names []string
	for k := range writers() {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
