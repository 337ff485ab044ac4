package dsl

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fuzzVarsPlan declares a variable of each kind of type a --var value is
// read as.
const fuzzVarsPlan = `
variable "n" {
  type    = number
  default = 1
}
variable "b" {
  type    = bool
  default = false
}
variable "s" {
  type    = string
  default = "x"
}
variable "l" {
  type    = list(number)
  default = []
}
variable "m" {
  type    = map(string)
  default = {}
}
variable "o" {
  type    = object({ a = number, b = optional(string, "d") })
  default = { a = 1 }
}
variable "any" {
  default = "x"
}
target "noop" "t" {}
workload "w" {
  target = target.noop.t
  op "op" {}
}
scenario "s" {
  workload = workload.w
  executor = "shared-iterations"
}
`

// FuzzVarValue sets every variable of fuzzVarsPlan from one --var value
// (and the environment) and checks that loading never panics, that every
// error has a location, and that a plain number sets a number variable.
func FuzzVarValue(f *testing.F) {
	for _, s := range []string{
		"5000", "-1.5e3", "fast", `"fast"`, "true", "false", "[1, 2]", `{ a = 1 }`, `{ x = "y" }`,
		"", " ", "1 +", "inf", "NaN", "0x10", "1e999999", "[[[[", "${x}", `"${"`, "<<EOT\nx\nEOT\n", "null",
		"var.n", "local.x", "upper(\"a\")", `{ a = 1, b = null }`, "9223372036854775808", "\x00", "\xff",
	} {
		f.Add(s)
	}
	reg := testRegistry(f)
	path := filepath.Join(f.TempDir(), "plan.hcl")
	if err := os.WriteFile(path, []byte(fuzzVarsPlan), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value string) {
		var args []VarArg
		for _, name := range []string{"n", "b", "s", "l", "m", "o", "any"} {
			args = append(args, VarArg{Name: name, Value: value})
		}
		l := NewLoader(reg, args, nil)
		p, diags := l.Load(path)
		checkDiags(t, l, diags)

		// The same value from the environment takes the same path.
		l = NewLoader(reg, nil, []string{EnvPrefix + "n=" + value})
		_, diags = l.Load(path)
		checkDiags(t, l, diags)

		if f, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) &&
			!strings.ContainsAny(value, "xXpP_") {
			l = NewLoader(reg, []VarArg{{Name: "n", Value: value}}, nil)
			p, diags = l.Load(path)
			if diags.HasErrors() {
				t.Fatalf("--var n=%q: %s", value, diagText(t, l, diags))
			}
			if got := p.Variables["n"]; got != f {
				t.Fatalf("--var n=%q: var.n = %v, want %v", value, got, f)
			}
		}
	})
}

// FuzzVarFile loads fuzzVarsPlan with a fuzzed --var-file and checks that
// loading never panics and that every error has a location.
func FuzzVarFile(f *testing.F) {
	for _, s := range []string{
		"n = 5\nb = true\n", "s = \"x\"\nl = [1, 2]\nm = { a = \"b\" }\n", "o = { a = 2 }\n", "n = \"fast\"\n",
		"undeclared = 1\n", "n = var.n\n", "n = 1\nn = 2\n", "block {}\n", "n = [\n", "{\"n\": 5}\n", "n: 5\n",
		"\xff\xfen\x00 \x00=\x00 \x005\x00", "n = <<EOT\nx\nEOT\n", "l = [for x in [1, 2] : x * 2]\n", "any = { a = [1, \"x\"] }\n",
	} {
		f.Add([]byte(s))
	}
	reg := testRegistry(f)
	dir := f.TempDir()
	path := filepath.Join(dir, "plan.hcl")
	if err := os.WriteFile(path, []byte(fuzzVarsPlan), 0o644); err != nil {
		f.Fatal(err)
	}
	varFile := filepath.Join(dir, "vars.hcl")
	f.Fuzz(func(t *testing.T, src []byte) {
		if err := os.WriteFile(varFile, src, 0o644); err != nil {
			t.Fatal(err)
		}
		l := NewLoader(reg, []VarArg{{File: varFile}, {Name: "s", Value: "after"}}, nil)
		p, diags := l.Load(path)
		checkDiags(t, l, diags)
		if p != nil && p.Variables["s"] != "after" {
			t.Fatalf("--var after --var-file did not win: var.s = %v", p.Variables["s"])
		}
	})
}

// FuzzDuration checks parseDuration: it never panics, accepts exactly
// the non-negative durations time.ParseDuration accepts, says "out of
// range" only about well-formed durations, and reads back what
// Duration.String writes.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{
		"250us", "1.5s", "5m", "1h30m", "99999999h", "-5s", "+3s", "5", "", ".s", "1.s", ".5s", "µs", "1µs", "1μs",
		"9223372036854775807ns", "9223372036854775808ns", "2562047h47m16.854775807s", "2562047h47m16.854775808s",
		" 30s ", "3 s", "1e3s", "0", "-0", "1hh", "100000000000000000000000000000s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		want, werr := time.ParseDuration(strings.TrimSpace(s))
		switch {
		case err == nil && (werr != nil || want != d || d < 0):
			t.Fatalf("parseDuration(%q) = %v, time.ParseDuration = %v, %v", s, d, want, werr)
		case err != nil && werr == nil && want >= 0:
			t.Fatalf("parseDuration(%q) failed (%v), time.ParseDuration = %v", s, err, want)
		case err != nil && strings.Contains(err.Error(), "out of range") && !durationSyntax(strings.TrimSpace(s)):
			t.Fatalf("parseDuration(%q): %v, but it is not a well-formed duration", s, err)
		case err != nil && werr != nil && durationSyntax(strings.TrimSpace(s)) && !strings.Contains(err.Error(), "out of range"):
			t.Fatalf("parseDuration(%q): %v, but it is well formed (time: %v)", s, err, werr)
		}
		if err == nil {
			back, err := parseDuration(d.String())
			if err != nil || back != d {
				t.Fatalf("parseDuration(%q) = %v; reading back %q gives %v, %v", s, d, d.String(), back, err)
			}
		}
	})
}
