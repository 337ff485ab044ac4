package compare

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestMarkdown: a 60% slowdown reads as a failing High or Critical
// regression in the Markdown for a pull request, with the same figures as
// the table (html_test.go checks the HTML view of the same runs).
func TestMarkdown(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 42))
	base := sleepRun(rng, time.Millisecond, 5*time.Millisecond, 1, 30, 300, 1)
	next := sleepRun(rng, time.Millisecond, 5*time.Millisecond, 1.6, 30, 300, 1)
	res, err := Compare(base, next, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := res.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	for _, want := range []string{"## perfplan comparison: ❌ REGRESSION", "| scenario | op | metric |", "**Regressions**", "🔴"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	for _, row := range res.Rows {
		if row.Regression && !strings.Contains(out, mdCell(row.DeltaString())) {
			t.Errorf("markdown lacks the delta %s of %s", row.DeltaString(), row.Metric.Name)
		}
	}

	// Unchanged runs: OK, no regression.
	same := sleepRun(rand.New(rand.NewPCG(3, 42)), time.Millisecond, 5*time.Millisecond, 1, 30, 300, 1)
	res, err = Compare(same, same, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	md.Reset()
	if err := res.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "✅ OK") || strings.Contains(md.String(), "Regressions") {
		t.Errorf("unchanged runs:\n%s", md.String())
	}
}
