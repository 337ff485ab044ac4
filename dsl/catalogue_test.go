package dsl

import (
	"path/filepath"
	"testing"
)

// TestCatalogueLocations checks that every diagnostic for the broken plans
// in testdata/invalid names FILE:LINE,COL and that none is an internal
// error.
func TestCatalogueLocations(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.hcl"))
	if err != nil || len(files) < 60 {
		t.Fatalf("catalogue has %d plans: %v", len(files), err)
	}
	for _, path := range files {
		l := NewLoader(testRegistry(t), nil, nil)
		_, diags := l.Load(path)
		if !diags.HasErrors() {
			t.Errorf("%s: no errors", path)
		}
		for _, d := range diags {
			if d.Subject == nil || d.Subject.Filename != path || d.Subject.Start.Line < 1 || d.Summary == "Internal error" {
				t.Errorf("%s: diagnostic without a location in the file: %s: %s", path, d.Summary, d.Detail)
			}
		}
	}
}
