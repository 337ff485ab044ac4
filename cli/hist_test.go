package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/cli"
)

// TestHistFormat renders a saved run as latency buckets through the
// binary, with report --format and with run --out: every operation of the
// shared-iterations scenario (1001) is in a bucket, and a malformed bucket
// list is a usage error that says what is wrong.
func TestHistFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plan := writeSrc(t, dir, "segmented.hcl", segmentPlanSrc)
	doc, hist := filepath.Join(dir, "run.json"), filepath.Join(dir, "run.hist")
	if r := run(t, "run", "--quiet", "--out", "json="+doc, "--out", "hist[0,1ms,10ms]="+hist, plan); r.code != cli.ExitOK {
		t.Fatalf("run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	written, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, "report", "--format", "hist[0,1ms,10ms]", doc)
	if r.code != cli.ExitOK || r.stdout != string(written) {
		t.Fatalf("report: exit %d, and it differs from run --out:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// The scenario "shared": its three buckets' counts add up to its
	// operations.
	rows := regexp.MustCompile(`│ (shared)?\s*│ (\(all\))?\s*│ \[[^)]*\)\s*│\s*(\d+) │`).FindAllStringSubmatch(r.stdout, -1)
	var sum int64
	for _, m := range rows[:3] {
		n, _ := strconv.ParseInt(m[3], 10, 64)
		sum += n
	}
	if len(rows) < 3 || rows[0][1] != "shared" || sum != 1001 {
		t.Errorf("shared's buckets add up to %d, want 1001:\n%s", sum, r.stdout)
	}
	for _, tc := range []struct{ format, want string }{
		{"hist[1ms,0]", "ascending"},
		{"hist[", "want hist[B0,B1,...]"},
		{"hist[0,1xs]", `bound "1xs" is not a duration`},
	} {
		r := run(t, "report", "--format", tc.format, doc)
		if r.code != cli.ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("--format %s: exit %d, stderr %q, want 2 and %q", tc.format, r.code, r.stderr, tc.want)
		}
	}
}
