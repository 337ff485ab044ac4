package dsl

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/cache"
)

// minimalPlan is a valid plan that generated inputs extend.
const minimalPlan = `target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
}
`

// TestManyDuplicateBlocks loads a plan with 4,000 duplicate blocks. Loading
// and printing used to take minutes (the diagnostic writer rescanned the
// file for every diagnostic); it must print the first
// MaxPrintedDiagnostics and count the rest. The test asserts on the
// output only: if the work were quadratic it would time out.
func TestManyDuplicateBlocks(t *testing.T) {
	t.Parallel()
	const n = 4000
	src := minimalPlan + strings.Repeat("target \"noop\" \"n\" {}\n", n)
	p, diags, l := loadSrc(t, src, nil, nil)
	if p != nil || len(diags.Errs()) != n {
		t.Fatalf("got %d errors, want %d", len(diags.Errs()), n)
	}
	out := diagText(t, l, diags)
	if got := strings.Count(out, "Error: Duplicate target"); got != MaxPrintedDiagnostics {
		t.Errorf("printed %d diagnostics, want %d", got, MaxPrintedDiagnostics)
	}
	want := fmt.Sprintf("... and %d more errors not shown (%s: %d); perfplan prints the first %d diagnostics.",
		n-MaxPrintedDiagnostics, diags[0].Subject.Filename, n-MaxPrintedDiagnostics, MaxPrintedDiagnostics)
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out[len(out)-500:])
	}
	// The first printed is the first in the file, with its location.
	if !strings.Contains(out, ":14,15:\nError: Duplicate target") || !strings.Contains(out, "was already declared on line 1.") {
		t.Errorf("first diagnostic wrong:\n%s", out[:600])
	}
}

// TestManyErrorsLinear covers other shapes of plans with thousands of
// errors whose diagnostics used to cost time per declared name.
func TestManyErrorsLinear(t *testing.T) {
	t.Parallel()
	const n = 4000
	var refs, locals, scenarios strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&refs, "target \"noop\" \"t%d\" {}\nworkload \"w%d\" {\n  target = target.noop.x%d\n  op \"get\" {}\n}\n", i, i, i)
		fmt.Fprintf(&locals, "  l%d = local.l%d + local.nope%d\n", i, i+1, i)
		fmt.Fprintf(&scenarios, "scenario \"s%d\" {\n  workload = workload.w\n  executor = \"constant-vu\"\n}\n", i)
	}
	tests := []struct {
		name, src, want string
	}{
		{"references to undeclared targets", refs.String() + minimalPlan, "Reference to undeclared target"},
		{"locals referring to undeclared locals", "locals {\n" + locals.String() + "}\n" + minimalPlan, "Reference to undeclared local value"},
		{"scenarios with errors", minimalPlan + scenarios.String(), "Unknown executor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, diags, l := loadSrc(t, tt.src, nil, nil)
			if len(diags.Errs()) < n {
				t.Fatalf("got %d errors, want at least %d", len(diags.Errs()), n)
			}
			out := diagText(t, l, diags)
			if !strings.Contains(out, tt.want) || !strings.Contains(out, "more errors not shown") {
				t.Errorf("output lacks %q or the count of the rest:\n%.2000s", tt.want, out)
			}
			if len(out) > 200_000 {
				t.Errorf("output is %d bytes; the cap should keep it short", len(out))
			}
		})
	}
}

// TestHugeInputs generates inputs too large or too deep to commit and
// checks that each ends in one diagnostic at the right place (the parser
// would overflow its stack on most of them), with a short snippet.
func TestHugeInputs(t *testing.T) {
	t.Parallel()
	const deep = 100_000
	big := strings.Repeat("# a comment line that fills the file\n", MaxFileSize/37+100)
	tests := []struct {
		name      string
		src       string
		summary   string
		line, col int
	}{
		// Each case names where the limit is passed: the file's body and
		// the locals block are the first two levels.
		{"nested parentheses", "locals {\n  x = " + strings.Repeat("(", deep) + "1" + strings.Repeat(")", deep) + "\n}\n",
			"Nesting too deep", 2, 7 + MaxNestingDepth - 2},
		{"nested lists", "locals {\n  x = " + strings.Repeat("[", deep) + strings.Repeat("]", deep) + "\n}\n",
			"Nesting too deep", 2, 7 + MaxNestingDepth - 2},
		{"nested blocks", strings.Repeat("a {\n", deep) + strings.Repeat("}\n", deep),
			"Nesting too deep", MaxNestingDepth, 3},
		// A quoted string and its interpolation are two levels.
		{"nested interpolations", "locals {\n  x = " + strings.Repeat(`"${`, deep) + "1" + strings.Repeat(`}"`, deep) + "\n}\n",
			"Nesting too deep", 2, 7 + 3*((MaxNestingDepth-1)/2)},
		// A heredoc, and an %{ if } directive and its %{ } are levels.
		{"nested template directives", "locals {\n  x = <<EOT\n" + strings.Repeat("%{ if true }\n", deep/10) + strings.Repeat("%{ endif }\n", deep/10) + "EOT\n}\n",
			"Nesting too deep", MaxNestingDepth - 1, 1},
		{"nested template directives with strip markers", "locals {\n  x = <<EOT\n" + strings.Repeat("%{~ if true ~}\n", deep/10) + strings.Repeat("%{~ endif ~}\n", deep/10) + "EOT\n}\n",
			"Nesting too deep", MaxNestingDepth - 1, 1},
		{"chained operators", "locals {\n  x = 1" + strings.Repeat(" + 1", deep) + "\n}\n",
			"Nesting too deep", 2, 9 + 4*(MaxNestingDepth-2)},
		{"chained operators across lines", "locals {\n  x = (1" + strings.Repeat("\n + 1", deep) + ")\n}\n",
			"Nesting too deep", MaxNestingDepth, 2},
		{"unary operators", "locals {\n  x = " + strings.Repeat("!", deep) + "true\n}\n",
			"Nesting too deep", 2, 7 + MaxNestingDepth - 2},
		{"conditionals", "locals {\n  x = " + strings.Repeat("true ? 1 : ", deep/10) + "2\n}\n",
			"Nesting too deep", 2, 12 + 11*(MaxNestingDepth-2)},
		{"file too large", big, "Plan file too large", MaxFileSize/37 + 1, MaxFileSize%37 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, diags, l := loadSrc(t, tt.src, nil, nil)
			if p != nil || len(diags) != 1 || diags[0].Summary != tt.summary {
				t.Fatalf("want one %q diagnostic, got %v", tt.summary, diags)
			}
			if s := diags[0].Subject; s == nil || s.Start.Line != tt.line || s.Start.Column != tt.col {
				t.Errorf("diagnostic at %v, want line %d, column %d", s, tt.line, tt.col)
			}
			out := diagText(t, l, diags)
			if len(out) > 2000 {
				t.Errorf("output is %d bytes; the snippet should be cut:\n%s", len(out), out)
			}
			if !regexp.MustCompile(`plan\.hcl:\d+,\d+:\n`).MatchString(out) {
				t.Errorf("output names no FILE:LINE,COL:\n%s", out)
			}
		})
	}
}

// TestNestingWithinLimits checks that the nesting guard does not reject
// plans that are large but shallow, or nested just under the limit.
func TestNestingWithinLimits(t *testing.T) {
	t.Parallel()
	var list, interps, clauses, ifs strings.Builder
	for i := 0; i < 10_000; i++ {
		fmt.Fprintf(&list, "-%d, ", i)
	}
	for i := 0; i < 1000; i++ {
		interps.WriteString("${local.n}")
		ifs.WriteString("%{ if local.n > 0 }x%{ else }y%{ endif }\n")
	}
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&clauses, " && local.n > %d", -i)
	}
	depth := MaxNestingDepth - 3 // the file and the locals block, and the string
	src := "locals {\n" +
		"  n = 1\n" +
		"  list = [" + list.String() + "]\n" +
		"  s = \"" + interps.String() + "\"\n" +
		"  h = <<EOT\n" + ifs.String() + "EOT\n" +
		"  c = true" + clauses.String() + "\n" +
		"  p = " + strings.Repeat("(", depth) + "1" + strings.Repeat(")", depth) + "\n" +
		"}\n" + minimalPlan
	if p, diags, l := loadSrc(t, src, nil, nil); p == nil || diags.HasErrors() {
		t.Fatalf("Load: %s", diagText(t, l, diags))
	}
	over := "locals {\n  p = " + strings.Repeat("(", depth+2) + "1" + strings.Repeat(")", depth+2) + "\n}\n" + minimalPlan
	if _, diags, _ := loadSrc(t, over, nil, nil); len(diags) != 1 || diags[0].Summary != "Nesting too deep" {
		t.Fatalf("two levels more: want Nesting too deep, got %v", diags)
	}
}

// TestDeepVarValues checks the nesting guard on --var, environment and
// --var-file values.
func TestDeepVarValues(t *testing.T) {
	t.Parallel()
	src := "variable \"l\" {\n  type    = list(any)\n  default = []\n}\n" + minimalPlan
	deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	varFile := writeFile(t, "deep.hcl", "l = "+deep+"\n")
	for _, tt := range []struct {
		name string
		args []VarArg
		env  []string
	}{
		{"--var", []VarArg{{Name: "l", Value: deep}}, nil},
		{"environment", nil, []string{EnvPrefix + "l=" + deep}},
		{"--var-file", []VarArg{{File: varFile}}, nil},
	} {
		_, diags, l := loadSrc(t, src, tt.args, tt.env)
		if len(diags) != 1 || diags[0].Summary != "Nesting too deep" || diags[0].Subject == nil {
			t.Errorf("%s: want one Nesting too deep, got %s", tt.name, diagText(t, l, diags))
		}
	}
}

func TestTooLargeVarFileAndDevices(t *testing.T) {
	t.Parallel()
	big := writeFile(t, "big.hcl", "x = \""+strings.Repeat("a", MaxFileSize)+"\"\n")
	_, diags, l := loadSrc(t, minimalPlan, []VarArg{{File: big}}, nil)
	if len(diags) != 1 || diags[0].Summary != "Plan file too large" {
		t.Errorf("large --var-file: %s", diagText(t, l, diags))
	}
	// A device that never ends is read only up to the limit.
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	l = NewLoader(testRegistry(t), nil, nil)
	if _, diags := l.Load("/dev/zero"); len(diags) != 1 || diags[0].Summary != "Plan file too large" {
		t.Errorf("/dev/zero: %s", diagText(t, l, diags))
	}
}

// TestVarValueMessages checks the messages for --var values that are not
// of their variable's type.
func TestVarValueMessages(t *testing.T) {
	t.Parallel()
	src := `
variable "rate" {
  type    = number
  default = 1
}
variable "on" {
  type    = bool
  default = false
}
variable "rates" {
  type    = list(number)
  default = []
}
` + minimalPlan
	tests := []struct {
		arg  VarArg
		want string
	}{
		{VarArg{Name: "rate", Value: "fast"}, `The value "fast" for var.rate from --var rate is not a valid number (variable "rate" has type number)`},
		{VarArg{Name: "rate", Value: "inf"}, `The value "inf" for var.rate from --var rate is not a valid number`},
		{VarArg{Name: "rate", Value: `"fast"`}, `is not a valid number`},
		{VarArg{Name: "on", Value: "yes"}, `The value "yes" for var.on from --var on is not a valid bool (variable "on" has type bool)`},
		{VarArg{Name: "rates", Value: "[fast]"}, `is not a valid list(number) (variable "rates" has type list(number))`},
	}
	for _, tt := range tests {
		_, diags, l := loadSrc(t, src, []VarArg{tt.arg}, nil)
		out := diagText(t, l, diags)
		if !strings.Contains(out, tt.want) || strings.Contains(out, "Variables not allowed") {
			t.Errorf("--var %s=%s: output lacks %q:\n%s", tt.arg.Name, tt.arg.Value, tt.want, out)
		}
		if !regexp.MustCompile(`plan\.hcl:\d+,\d+:\nError: Invalid value for variable`).MatchString(out) {
			t.Errorf("--var %s=%s: error not on the variable's declaration:\n%s", tt.arg.Name, tt.arg.Value, out)
		}
	}
	// Numbers in every form a user writes still work.
	for _, v := range []string{"5000", " 5000 ", "-1.5", "1e3", "0.25", "2 * 3"} {
		p, diags, l := loadSrc(t, src, []VarArg{{Name: "rate", Value: v}}, nil)
		if p == nil {
			t.Errorf("--var rate=%s: %s", v, diagText(t, l, diags))
		}
	}
}

func TestDurationRange(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"99999999h", "2562048h", "9223372036854775808ns", "-5s"} {
		if _, err := parseDuration(s); err == nil || !strings.Contains(err.Error(), "out of range") || !strings.Contains(err.Error(), maxDurationText) {
			t.Errorf("parseDuration(%q) = %v, want an out-of-range error naming the range", s, err)
		}
	}
	for _, s := range []string{"5 minutes", "1e3s", "fast", "5"} {
		if _, err := parseDuration(s); err == nil || strings.Contains(err.Error(), "out of range") || !strings.Contains(err.Error(), "write a number with a unit") {
			t.Errorf("parseDuration(%q) = %v, want a syntax error", s, err)
		}
	}
	if d, err := parseDuration(maxDurationText); err != nil || d != time.Duration(1<<63-1) {
		t.Errorf("parseDuration(%q) = %v, %v", maxDurationText, d, err)
	}
}

// TestCacheTierName checks, with the real cache kind, that an unknown tier
// name is reported together with an unknown tier kind: Validate, which
// checks tier names too, does not run on a configuration with schema
// errors.
func TestCacheTierName(t *testing.T) {
	t.Parallel()
	reg := targets.NewRegistry()
	if err := reg.Register(cache.Kind()); err != nil {
		t.Fatal(err)
	}
	src := `target "cache" "c" {
  tier "l4" {
    kind = "memcached"
  }
  tier "L2" {}
}

workload "w" {
  target = target.cache.c
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
}
`
	path := writeFile(t, "plan.hcl", src)
	l := NewLoader(reg, nil, nil)
	_, diags := l.Load(path)
	out := diagText(t, l, diags)
	for _, want := range []string{
		":2,8:\nError: Invalid tier name", `A tier name must be one of "l1", "l2", "l3", not "l4".`,
		":3,12:\nError: Invalid value", `The value of "kind" must be one of "otter", "bigcache", "redis".`,
		":5,8:\nError: Invalid tier name", `not "L2". Did you mean "l2"?`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestNoScenario checks that a file without a scenario block is an error
// with a location, whatever else it holds.
func TestNoScenario(t *testing.T) {
	t.Parallel()
	for name, src := range map[string]string{
		"empty":    "",
		"comments": "# nothing\n",
		"no scenario": `plan "p" {}
target "noop" "n" {}
`,
	} {
		p, diags, l := loadSrc(t, src, nil, nil)
		if p != nil || len(diags) != 1 || diags[0].Summary != "Plan has no scenarios" || diags[0].Subject == nil {
			t.Errorf("%s: want one error Plan has no scenarios, got %s", name, diagText(t, l, diags))
		}
	}
}

// TestWriteDiagnosticsColor checks the terminal form: a coloured
// severity, the subject highlighted, the detail wrapped at 100 columns.
func TestWriteDiagnosticsColor(t *testing.T) {
	t.Parallel()
	src := minimalPlan + `
scenario "t" {
  workload = workload.w
  executor = "constant-vus"
  duration = "99999999h"
}
`
	_, diags, l := loadSrc(t, src, nil, nil)
	var b strings.Builder
	if err := l.WriteDiagnostics(&b, diags, true); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"\x1b[31mError\x1b[0m: Value out of range", "duration = \x1b[1;4m\"99999999h\"\x1b[0m"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%q", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(line) > 100 && !strings.Contains(line, "\x1b") {
			t.Errorf("line not wrapped: %q", line)
		}
	}
}
