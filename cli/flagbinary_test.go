package cli_test

import (
	"strings"
	"testing"

	"github.com/perfplan/perfplan/cli"
)

// TestFlagRangesBinary checks a few out-of-range numeric flags through the
// real binary: exit 2, the flag and its range named, nothing run.
func TestFlagRangesBinary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--duration-scale", "NaN", "testdata/long.hcl"}, "-duration-scale: out of range; want a finite number in [0.001, 1000]"},
		{[]string{"run", "--duration-scale", "1e300", "testdata/long.hcl"}, "[0.001, 1000]"},
		{[]string{"run", "--count", "-1", "testdata/long.hcl"}, "-count: out of range; want an integer in [1, 1000]"},
		{[]string{"history", "--window", "0"}, "-window: out of range; want an integer in [10, 1000]"},
		{[]string{"history", "--max-p", "2"}, "-max-p: out of range; want a finite number in (0, 1]"},
		{[]string{"history", "--last", "-1"}, "-last: out of range; want an integer at least 0"},
		{[]string{"compare", "--alpha", "Inf", "a.json", "b.json"}, "-alpha: out of range; want a finite number in (0, 1)"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			r := run(t, tc.args...)
			if r.code != cli.ExitUsage || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
				t.Errorf("exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", r.code, cli.ExitUsage, tc.want, r.stdout, r.stderr)
			}
		})
	}
}
