package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/dsl"
)

// generatedPlans writes the broken plans too large to commit: deep
// nesting that would overflow the parser's stack, a file over the size
// limit and a plan with 4,000 duplicate blocks.
func generatedPlans(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	const deep = 100_000
	plans := map[string]string{
		"gen-deep-parens.hcl":    "locals {\n  x = " + strings.Repeat("(", deep) + "1" + strings.Repeat(")", deep) + "\n}\n",
		"gen-deep-operators.hcl": "locals {\n  x = 1" + strings.Repeat(" + 1", deep) + "\n}\n",
		"gen-deep-templates.hcl": "locals {\n  x = " + strings.Repeat(`"${`, deep) + "1" + strings.Repeat(`}"`, deep) + "\n}\n",
		"gen-too-large.hcl":      strings.Repeat("# filler\n", dsl.MaxFileSize/9+10),
		"gen-duplicates.hcl":     strings.Repeat("target \"noop\" \"n\" {}\n", 4000),
	}
	var paths []string
	for name, src := range plans {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// TestBrokenPlanCatalogue runs `perfplan validate` and `perfplan run
// --quick` on every broken plan of dsl/testdata/invalid and on generated
// huge ones: each must exit 2 with a diagnostic that names the file and a
// line, without a panic or a Go stack trace, and in bounded time.
func TestBrokenPlanCatalogue(t *testing.T) {
	t.Parallel()
	plans, err := filepath.Glob(filepath.Join("..", "dsl", "testdata", "invalid", "*.hcl"))
	if err != nil || len(plans) < 60 {
		t.Fatalf("catalogue has %d plans: %v", len(plans), err)
	}
	plans = append(plans, generatedPlans(t)...)
	for _, path := range plans {
		location := regexp.MustCompile(regexp.QuoteMeta(path) + `:\d+,\d+:`)
		for _, cmd := range [][]string{{"validate", path}, {"run", "--quick", path}} {
			t.Run(filepath.Base(path)+"/"+cmd[0], func(t *testing.T) {
				t.Parallel()
				code, out := runTimed(t, cmd...)
				if code != cli.ExitUsage {
					t.Errorf("exit code %d, want %d\n%.3000s", code, cli.ExitUsage, out)
				}
				if !location.MatchString(out) {
					t.Errorf("output names no %s:LINE,COL\n%.3000s", path, out)
				}
				for _, bad := range []string{"goroutine ", "panic:", "fatal error", "Internal error"} {
					if strings.Contains(out, bad) {
						t.Errorf("output holds %q\n%.3000s", bad, out)
					}
				}
				if len(out) > 200_000 {
					t.Errorf("output is %d bytes; diagnostics should be capped", len(out))
				}
			})
		}
	}
}
