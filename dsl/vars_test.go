package dsl

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const varsPlan = `
variable "rate" {
  type    = number
  default = 1
}
variable "name" {
  type    = string
  default = "def"
}
variable "untyped" {
  default = 5
}
variable "list" {
  type    = list(number)
  default = [1]
}
variable "required" {
  type = bool
}
target "noop" "n" {}
workload "w" {
  target = target.noop.n
  op "op" {}
}
scenario "s" {
  workload = workload.w
  executor = "shared-iterations"
}
`

func writeFile(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVariablePrecedence(t *testing.T) {
	t.Parallel()
	fileA := writeFile(t, "a.hcl", "rate = 30\nname = \"from-a\"\nlist = [3, 4]\n")
	fileB := writeFile(t, "b.hcl", "rate = 40\nundeclared = 1\n")
	tests := []struct {
		name string
		args []VarArg
		env  []string
		want map[string]any
	}{
		{
			name: "defaults",
			args: []VarArg{{Name: "required", Value: "true"}},
			want: map[string]any{"rate": 1.0, "name": "def", "untyped": 5.0, "list": []any{1.0}, "required": true},
		},
		{
			name: "environment beats default",
			env:  []string{"PERFPLAN_VAR_rate=10", "PERFPLAN_VAR_name=env name", "PERFPLAN_VAR_required=false", "OTHER=1", "PERFPLAN_VAR_=x"},
			want: map[string]any{"rate": 10.0, "name": "env name", "untyped": 5.0, "list": []any{1.0}, "required": false},
		},
		{
			name: "var beats environment",
			args: []VarArg{{Name: "rate", Value: "20"}, {Name: "required", Value: "true"}},
			env:  []string{"PERFPLAN_VAR_rate=10"},
			want: map[string]any{"rate": 20.0, "name": "def", "untyped": 5.0, "list": []any{1.0}, "required": true},
		},
		{
			name: "command-line order: later wins",
			args: []VarArg{{Name: "rate", Value: "20"}, {File: fileA}, {Name: "required", Value: "true"}, {Name: "name", Value: "cli"}, {File: fileB}},
			env:  []string{"PERFPLAN_VAR_rate=10"},
			want: map[string]any{"rate": 40.0, "name": "cli", "untyped": 5.0, "list": []any{3.0, 4.0}, "required": true},
		},
		{
			name: "var after file wins",
			args: []VarArg{{File: fileA}, {Name: "rate", Value: "2 * 3"}, {Name: "required", Value: "true"}, {Name: "list", Value: "[7, 8]"}},
			want: map[string]any{"rate": 6.0, "name": "from-a", "untyped": 5.0, "list": []any{7.0, 8.0}, "required": true},
		},
		{
			name: "string and untyped variables take the raw text",
			args: []VarArg{{Name: "name", Value: "[1, 2]"}, {Name: "untyped", Value: "7"}, {Name: "required", Value: "true"}},
			want: map[string]any{"rate": 1.0, "name": "[1, 2]", "untyped": "7", "list": []any{1.0}, "required": true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, diags, l := loadSrc(t, varsPlan, tt.args, tt.env)
			if diags.HasErrors() {
				t.Fatalf("Load: %s", diagText(t, l, diags))
			}
			if !reflect.DeepEqual(p.Variables, tt.want) {
				t.Errorf("variables = %#v\nwant %#v", p.Variables, tt.want)
			}
			if d := l.DeclaredVariables(); len(d) != 5 || !d["required"] || d["undeclared"] {
				t.Errorf("declared = %v", d)
			}
		})
	}
}

func TestVariableErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []VarArg
		env  []string
		want []string
	}{
		{"missing required", nil, nil, []string{"No value for required variable", `variable "required"`}},
		{"bad type from var", []VarArg{{Name: "required", Value: "true"}, {Name: "rate", Value: `"fast"`}}, nil,
			[]string{"Invalid value for variable", "var.rate from --var rate"}},
		{"bad expression from env", nil, []string{"PERFPLAN_VAR_required=true", "PERFPLAN_VAR_rate=1 +"}, []string{"<value for var.rate>"}},
		{"missing var file", []VarArg{{Name: "required", Value: "true"}, {File: "/nonexistent/x.hcl"}}, nil, []string{"Failed to read file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, diags, l := loadSrc(t, varsPlan, tt.args, tt.env)
			if !diags.HasErrors() || p != nil {
				t.Fatalf("want errors")
			}
			text := diagText(t, l, diags)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, text)
				}
			}
		})
	}
}

func TestLocalsAndFunctions(t *testing.T) {
	t.Parallel()
	src := `
locals {
  c = local.b * 2
  b = local.a + 1
  a = length(range(3))
  s = join("-", [upper("a"), lower("B"), format("%03d", 7)])
  m = max(ceil(1.2), floor(3.7), abs(-1))
  d = duration("250us") + duration("1.5s") + duration("5ms")
  z = coalesce(null, "x")
}
plan "p" { description = "${local.c} ${local.s} ${local.m} ${local.d} ${local.z}" }
target "noop" "n" {}
workload "w" {
  target = target.noop.n
  op "op" {}
}
scenario "s" {
  workload = workload.w
  executor = "shared-iterations"
}
`
	p, diags, l := loadSrc(t, src, nil, nil)
	if diags.HasErrors() {
		t.Fatalf("Load: %s", diagText(t, l, diags))
	}
	if want := "8 A-b-007 3 1505.25 x"; p.Description != want {
		t.Errorf("description = %q, want %q", p.Description, want)
	}
	if len(diags) != 0 {
		t.Errorf("want no diagnostics, got %v", diags)
	}
}
