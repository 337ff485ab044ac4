package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8"

	"github.com/perfplan/perfplan/executor"
)

// ansi matches the terminal escapes mpb writes between frames.
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// TestBarsFinishFullAndAligned drives three bars, one over iterations, one
// over time and one that ends before any progress, to their end: the last
// frame shows every bar full, the
// iteration bar with its elapsed time, and the bars start in one column.
func TestBarsFinishFullAndAligned(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	b := newBarProgress(&buf, mpb.WithAutoRefresh(), mpb.WithWidth(160))
	b.ScenarioStart("it", 0)
	b.ScenarioStart("a-longer-name", 2*time.Second)
	b.ScenarioStart("no-progress", 0) // ends before any progress report
	b.Progress(executor.Progress{Scenario: "it", Done: 3, Total: 200, Elapsed: 100 * time.Millisecond})
	b.Progress(executor.Progress{Scenario: "a-longer-name", Elapsed: 500 * time.Millisecond, Planned: 2 * time.Second})
	it := &executor.ScenarioResult{Name: "it", Elapsed: 1500 * time.Millisecond}
	it.Total.Ops = 200
	b.ScenarioEnd(it)
	b.ScenarioEnd(&executor.ScenarioResult{Name: "a-longer-name", Elapsed: 2 * time.Second})
	b.ScenarioEnd(&executor.ScenarioResult{Name: "no-progress", Elapsed: 3 * time.Millisecond})
	b.Close()
	out := ansi.ReplaceAllString(buf.String(), "")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("want three bars, got:\n%s", out)
	}
	last := lines[len(lines)-3:]
	if !strings.Contains(strings.Join(last, ""), "200/200 iterations in 1.50s") {
		t.Errorf("the finished iteration bar lacks its count and elapsed time:\n%s", strings.Join(last, "\n"))
	}
	if !strings.Contains(strings.Join(last, ""), "no-progress   3.00ms") {
		t.Errorf("the short scenario's bar lacks its elapsed time:\n%s", strings.Join(last, "\n"))
	}
	var cols []int
	for _, l := range last {
		open := strings.Index(l, "[")
		closeAt := strings.Index(l, "]")
		if open < 0 || closeAt < open {
			t.Fatalf("no bar in %q", l)
		}
		if bar := l[open+1 : closeAt]; strings.Contains(bar, "-") || strings.Contains(bar, ">") {
			t.Errorf("finished bar not full: %q", l)
		}
		cols = append(cols, len([]rune(l[:open])))
	}
	if cols[0] != cols[1] || cols[1] != cols[2] {
		t.Errorf("bars start at columns %v:\n%s", cols, strings.Join(last, "\n"))
	}
}
