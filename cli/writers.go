package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

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

// writerFor returns the renderer of format: a name of writers, or
// report.HistFormat with its buckets ("hist[0,1ms,5ms]"). ok is false for
// an unknown format; err says what is wrong with a hist format's buckets.
func writerFor(format string) (write func(*report.Document, io.Writer) error, ok bool, err error) {
	if w, found := writers()[format]; found {
		return w, true, nil
	}
	bounds, isHist, err := report.ParseHistFormat(format)
	if !isHist {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	return func(d *report.Document, out io.Writer) error { return report.WriteHist(out, d, bounds) }, true, nil
}

// formatList is formatNames joined for a usage message, with the hist
// format's syntax.
func formatList() string {
	return strings.Join(formatNames(), ", ") + fmt.Sprintf(", %s[B0,B1,...] (latency buckets, e.g. %s[0,1ms,5ms])", report.HistFormat, report.HistFormat)
}
