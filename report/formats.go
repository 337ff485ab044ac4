package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"strconv"
	"strings"
	"unicode"
)

// Writers returns the document renderers by format name, for --out
// FORMAT=PATH and `perfplan report --format`: "json", "table", "markdown",
// "csv" and "junit" (the CLI adds "html", package report/html). The map
// is new on each call.
func Writers() map[string]func(*Document, io.Writer) error {
	return map[string]func(*Document, io.Writer) error{
		"json":     func(d *Document, w io.Writer) error { return WriteJSON(w, d) },
		"table":    func(d *Document, w io.Writer) error { return WriteDocumentTables(w, d, TableOptions{}) },
		"markdown": func(d *Document, w io.Writer) error { return WriteMarkdown(w, d) },
		"csv":      func(d *Document, w io.Writer) error { return WriteCSV(w, d) },
		"junit":    func(d *Document, w io.Writer) error { return WriteJUnit(w, d) },
	}
}

// WriteJSON writes the document as indented JSON, as WriteFile does.
func WriteJSON(w io.Writer, d *Document) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encode run document: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write run document: %w", err)
	}
	return nil
}

// ReadDocument decodes a run document and checks its schema version.
func ReadDocument(r io.Reader) (*Document, error) {
	var d Document
	dec := json.NewDecoder(r)
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("decode run document: %w", err)
	}
	if d.SchemaVersion == 0 {
		return nil, fmt.Errorf("decode run document: no schema_version: not a perfplan run document")
	}
	if d.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("decode run document: schema_version %d is newer than this perfplan understands (%d)", d.SchemaVersion, SchemaVersion)
	}
	if len(d.Plans) == 0 {
		// perfplan writes every plan it was given, even one that could
		// not run: a document without any is damaged.
		return nil, fmt.Errorf("decode run document: it holds no plans (\"plans\" is null, empty or missing)")
	}
	escapeNames(&d)
	return &d, nil
}

// ReadDocumentFile reads and decodes the run document at path.
func ReadDocumentFile(path string) (*Document, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := ReadDocument(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

func openFile(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read run document: %w", err)
	}
	return f, nil
}

// EscapeControl returns s with its control characters (an escape that
// would recolour or clear a terminal, a carriage return, a line break that
// would split a table row) written as Go escapes (\x1b, \r, \n).
func EscapeControl(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// escapeNames escapes the control characters of the names and error
// messages of a document read from a file (see EscapePlanNames).
func escapeNames(d *Document) {
	for i := range d.Plans {
		EscapePlanNames(&d.Plans[i])
	}
}

// EscapePlanNames escapes the control characters of the names and error
// messages of p (see EscapeControl): the plan loader refuses them in
// names, but an error message may quote what a server sent, and a document
// written by hand or damaged may hold anything.
func EscapePlanNames(p *PlanDoc) {
	p.Name, p.File, p.Error = EscapeControl(p.Name), EscapeControl(p.File), EscapeControl(p.Error)
	for j := range p.Errors {
		p.Errors[j] = EscapeControl(p.Errors[j])
	}
	for j := range p.Scenarios {
		s := &p.Scenarios[j]
		s.Name = EscapeControl(s.Name)
		for k := range s.Ops {
			o := &s.Ops[k]
			o.Name = EscapeControl(o.Name)
			for m := range o.ErrorSamples {
				o.ErrorSamples[m].Message = EscapeControl(o.ErrorSamples[m].Message)
			}
		}
	}
}
