package report

import (
	"strings"
	"testing"
)

func TestEscapeControl(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain name":        "plain name",
		"evil\x1b[31mRED\a": `evil\x1b[31mRED\a`,
		"s\x1b[2Jx\ry":      `s\x1b[2Jx\ry`,
		"tab\tand\nline":    `tab\tand\nline`,
		"del\x7f\u0085":     `del\x7f\u0085`,
		"ünïcode ✓":         "ünïcode ✓",
	} {
		if got := EscapeControl(in); got != want {
			t.Errorf("EscapeControl(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReadDocumentEscapesNames: a document written by hand whose names
// hold terminal escapes is read with them escaped, so that no table,
// Markdown or CSV writes them raw.
func TestReadDocumentEscapesNames(t *testing.T) {
	t.Parallel()
	doc := `{"schema_version": 1, "plans": [{"name": "p\u001b[2J", "scenarios": [{"name": "s\r", "ops": [{"name": "o\u0007",
	  "error_samples": [{"message": "bad \u001b]0;title\u0007", "count": 1}]}]}]}]}`
	d, err := ReadDocument(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, w := range []string{"table", "markdown", "csv"} {
		if err := Writers()[w](d, &out); err != nil {
			t.Fatal(err)
		}
	}
	if strings.ContainsAny(out.String(), "\x1b\r\a") {
		t.Errorf("raw control characters in the outputs:\n%q", out.String())
	}
	if !strings.Contains(out.String(), `p\x1b[2J`) {
		t.Errorf("the plan's name is not shown escaped:\n%s", out.String())
	}
}
