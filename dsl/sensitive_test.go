package dsl

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestSensitiveVariable: a sensitive variable's value reaches the target
// as it is, shows as (sensitive) in the plan's variables, and it and the
// values computed from it are in the plan's Sensitive list; a short one is
// masked in the variables but not listed.
func TestSensitiveVariable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "p.hcl")
	if err := os.WriteFile(path, []byte(`
variable "token" {
  type      = string
  sensitive = true
}
variable "pin" {
  type      = number
  sensitive = true
  default   = 42
}
variable "plain" {
  default = "visible"
}
locals {
  encoded = strrev(var.token)
}
target "noop" "t" {}
workload "w" {
  target = target.noop.t
  op "get" { weight = 1 }
  keys { count = 1 }
}
scenario "s" {
  workload   = workload.w
  executor   = "per-vu-iterations"
  vus        = 1
  iterations = 1
  assert {
    condition     = ops > var.pin
    error_message = "failed for ${local.encoded}"
  }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	l := NewLoader(testRegistry(t), []VarArg{{Name: "token", Value: "s3cr3tT0ken"}}, nil)
	p, diags := l.Load(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if p.Variables["token"] != Sensitive || p.Variables["pin"] != Sensitive || p.Variables["plain"] != "visible" {
		t.Errorf("variables %v", p.Variables)
	}
	msg := p.Scenarios[0].Asserts[0].ErrorMessage
	if msg != "failed for nek0Tt3rc3s" {
		t.Errorf("error_message %q: the value computed from the token is lost", msg)
	}
	for _, want := range []string{"s3cr3tT0ken", msg} {
		if !slices.Contains(p.Sensitive, want) {
			t.Errorf("Sensitive %q lacks %q", p.Sensitive, want)
		}
	}
	if slices.Contains(p.Sensitive, "42") || slices.Contains(p.Sensitive, "visible") {
		t.Errorf("Sensitive %q holds a short or plain value", p.Sensitive)
	}
	if got := Redact("x "+msg+" s3cr3tT0ken", p.Sensitive); got != "x (sensitive) (sensitive)" {
		t.Errorf("Redact = %q", got)
	}
}

// TestSensitiveBadAttribute: sensitive must be a bool.
func TestSensitiveBadAttribute(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "p.hcl")
	if err := os.WriteFile(path, []byte(`
variable "token" {
  sensitive = "yes"
  default   = "x"
}
target "noop" "t" {}
workload "w" {
  target = target.noop.t
  op "get" { weight = 1 }
  keys { count = 1 }
}
scenario "s" {
  workload   = workload.w
  executor   = "per-vu-iterations"
  vus        = 1
  iterations = 1
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := NewLoader(testRegistry(t), nil, nil).Load(path)
	if !diags.HasErrors() || diags[0].Summary != "Invalid sensitive value" || diags[0].Subject.Start.Line != 3 {
		t.Errorf("diagnostics %v", diags)
	}
}

// TestControlCharacterNames: a name with a control character is an error
// at its label.
func TestControlCharacterNames(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "p.hcl")
	if err := os.WriteFile(path, []byte(`plan "p\u001b[31m" {}
target "noop" "t" {}
workload "w" {
  target = target.noop.t
  op "get" { weight = 1 }
  keys { count = 1 }
}
scenario "s\r" {
  workload   = workload.w
  executor   = "per-vu-iterations"
  vus        = 1
  iterations = 1
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := NewLoader(testRegistry(t), nil, nil).Load(path)
	if len(diags) != 2 || diags[0].Summary != "Invalid name" || diags[0].Subject.Start.Line != 1 || diags[1].Subject.Start.Line != 8 {
		t.Errorf("diagnostics %v", diags)
	}
}
