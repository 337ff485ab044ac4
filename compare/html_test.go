package compare_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/compare"
	"github.com/perfplan/perfplan/report/html"
)

// TestHTML: a 60% slowdown reads as a failing regression in the HTML
// compare view (package report/html), with both runs charted.
func TestHTML(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 42))
	base := compare.SleepRun(rng, time.Millisecond, 5*time.Millisecond, 1, 30, 300, 1)
	next := compare.SleepRun(rng, time.Millisecond, 5*time.Millisecond, 1.6, 30, 300, 1)
	res, err := compare.Compare(base, next, compare.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := html.WriteCompare(&page, res, base, next); err != nil {
		t.Fatal(err)
	}
	out := page.String()
	for _, want := range []string{`id="verdict">REGRESSION<`, `id="c0-s0-throughput"`, `id="c0-s0-latency"`, `class="regression"`} {
		if !strings.Contains(out, want) {
			t.Errorf("html lacks %q", want)
		}
	}
}

// TestShortRunsNotCharted: with four intervals per side the compare page
// draws no charts over time and says why; with 120 it draws them.
func TestShortRunsNotCharted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		intervals int
		short     bool
	}{{2, true}, {120, false}} {
		base := compare.AR1Run(rand.New(rand.NewPCG(1, 1)), tc.intervals, 0.5, 0.02, 1)
		next := compare.AR1Run(rand.New(rand.NewPCG(2, 2)), tc.intervals, 0.5, 0.02, 1)
		res, err := compare.Compare(base, next, compare.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		subtitle := ""
		for _, sec := range html.ComparePage(res, base, next).Sections {
			for _, sub := range sec.Sections {
				subtitle += sub.Subtitle
				for _, c := range sub.Charts {
					titles = append(titles, c.Title)
				}
			}
		}
		charted := strings.Contains(strings.Join(titles, ","), "Latency over time")
		said := strings.Contains(subtitle, "runs too short to chart over time (4 and 4 intervals")
		if charted == tc.short || said != tc.short {
			t.Errorf("%d intervals: charts %v, subtitle %q", tc.intervals+2, titles, subtitle)
		}
	}
}
