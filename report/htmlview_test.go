package report_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/report/html"
)

// The HTML run view of the golden documents: report/html renders them, so
// its goldens are written from here, beside the other formats'.

// TestGoldenHTML: the run view's body (the head holds the style sheet,
// the same in every page), charts included, as in testdata/NAME.html.
func TestGoldenHTML(t *testing.T) {
	t.Parallel()
	for _, fx := range report.FixtureDocs() {
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel()
			d := fx.Doc()
			// As the CLI reads a document: the fixtures' assertions are
			// older ones, without comparisons.
			d.Recompile(dsl.Conditions{})
			var b bytes.Buffer
			if err := html.WriteRun(&b, d); err != nil {
				t.Fatal(err)
			}
			page := b.Bytes()
			start, end := bytes.Index(page, []byte("<body")), bytes.Index(page, []byte("</body>"))
			if start < 0 || end < start {
				t.Fatalf("not a report page:\n%s", page)
			}
			report.Golden(t, fx.Name+".html", append(page[start:end+len("</body>")], '\n'))
		})
	}
}

// TestHTMLSelfContainedAndEscaped: the page inlines everything (no src or
// href to the network) and carries no script, and text from the document
// cannot end an element or open one, in a table or in a chart's SVG.
func TestHTMLSelfContainedAndEscaped(t *testing.T) {
	t.Parallel()
	d := report.FixtureDocs()[0].Doc()
	evil := `</script><script>alert(1)</script><b>`
	d.Plans[0].Scenarios[0].Assertions[0].Condition = evil
	d.Plans[0].Scenarios[0].Name = evil
	d.Plans[0].Scenarios[0].Ops[0].Name = evil
	d.Plans[0].Scenarios[0].Series = []report.SeriesDoc{{OffsetNS: 1e9, Ops: 10, Throughput: 10, P50NS: 1000, P99NS: 2000, MaxNS: 3000, ActiveVUs: 1}}
	var b bytes.Buffer
	if err := html.WriteRun(&b, d); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "<script") || strings.Contains(page, "<b>") {
		t.Error("document text is not escaped, or the page carries a script")
	}
	if m := regexp.MustCompile(`(?i)\b(src|href)\s*=\s*"(https?:)?//`).FindString(page); m != "" {
		t.Errorf("the page refers to the network: %s", m)
	}
	// The throughput chart is inline SVG with the point and its tooltip,
	// printed as the tables print a rate.
	m := regexp.MustCompile(`(?s)<div class="chart" id="p0-s0-throughput"[^>]*data-points="1"[^>]*>(<svg .*?</svg>)</div>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no throughput chart with one point")
	}
	if !strings.Contains(m[1], "<title>time "+report.Duration(time.Second)+"\nthroughput: "+report.Rate(10)+"</title>") {
		t.Errorf("the throughput chart has no tooltip for its point:\n%s", m[1])
	}
}

// TestPlanAssertionsInHTML: the run view lists a plan-level assertion
// under the scenario "(plan)" and prints a duet's figures.
func TestPlanAssertionsInHTML(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := html.WriteRun(&buf, report.PlanAssertionsDoc()); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"(plan)", "new is slower", "Duet pair (paired t)", "[+8.0%, +12.0%] @95%"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("html lacks %q:\n%s", w, buf.String())
		}
	}
}
