package report

// Test hooks for the external tests (htmlview_test.go).

// FixtureDoc is a named test document.
type FixtureDoc struct {
	Name string
	Doc  func() *Document
}

// FixtureDocs returns the documents the golden files are written from.
func FixtureDocs() []FixtureDoc {
	out := make([]FixtureDoc, len(fixtures))
	for i, f := range fixtures {
		out[i] = FixtureDoc{f.name, f.doc}
	}
	return out
}

// Golden compares got with testdata/name, or with -update rewrites it.
var Golden = golden

// PlanAssertionsDoc is a run with a failing plan-level assertion and a
// duet.
var PlanAssertionsDoc = planAssertionsDoc
