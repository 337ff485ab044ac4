package cli

import (
	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/report"
)

// readDocument reads a run document file; the assertions of an older
// document get their references and comparisons from their conditions
// compiled again (report.Document.Recompile), as a run records them today.
func readDocument(path string) (*report.Document, error) {
	d, err := report.ReadDocumentFile(path)
	if err != nil {
		return nil, err
	}
	d.Recompile(dsl.Conditions{})
	return d, nil
}
