package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/history"
)

// TestHistoryStepInLastRuns: a step in the last two of twelve runs is a
// change point with the default --min-run (Otava's 1), and not with
// --min-run 3.
func TestHistoryStepInLastRuns(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "h.db")
	store, err := history.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	jitter := []time.Duration{0, 20, -10, 10, 0, -20, 10, 0, -10, 20, 0, 10}
	for i, j := range jitter {
		p50 := time.Millisecond + j*time.Microsecond
		if i >= 10 {
			p50 += 300 * time.Microsecond
		}
		if err := store.Append(context.Background(), seriesDoc(p50, "c"+string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	code, out, errOut := run(historyCommand, nil, "--history", path, "--metric", "latency.p50", "p")
	if code != ExitOK || !strings.Contains(out, "change point at run #11") {
		t.Errorf("default: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(historyCommand, nil, "--history", path, "--metric", "latency.p50", "--min-run", "3", "p")
	if code != ExitOK || strings.Contains(out, "change point at run #11") {
		t.Errorf("--min-run 3: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := run(historyCommand, nil, "--history", path, "--min-run", "0", "p"); code != ExitUsage {
		t.Errorf("--min-run 0: exit %d, want %d", code, ExitUsage)
	}
	if code, _, errOut := run(historyCommand, nil, "--history", path, "--min-run", "6", "--window", "10", "p"); code != ExitUsage || !strings.Contains(errOut, "window of at least 12") {
		t.Errorf("--min-run 6 --window 10: exit %d, want %d\n%s", code, ExitUsage, errOut)
	}
}
