package main

import (
	"os"
	"testing"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/targets/builtin"
)

// TestParseOutputs checks the parsers on outputs of Debian's wrk 4.1 and
// hey 0.1.4 (testdata; hey's with an error distribution added).
func TestParseOutputs(t *testing.T) {
	t.Parallel()
	read := func(name string) string {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	w, err := parseWrk(read("wrk.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if w.requests != 61607 || w.rps != 56022.92 || w.p50 != 0.121 || w.p99 != 0.451 || w.errors != 0 {
		t.Errorf("wrk: %+v", w)
	}
	h, err := parseHey(read("hey.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if h.requests != 27195 || h.rps != 27174.0692 || h.p50 != 0.1 || h.p99 != 0.6 || h.errors != 12 {
		t.Errorf("hey: %+v", h)
	}
	if _, err := parseWrk("nothing"); err == nil {
		t.Error("wrk: no error on an empty output")
	}
}

// TestPlansLoad checks that the plans the bench runs load with the
// variables it passes.
func TestPlansLoad(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"full.hcl", "rate.hcl", "noop.hcl"} {
		l := dsl.NewLoader(builtin.Registry(), []dsl.VarArg{
			{Name: "base_url", Value: "http://127.0.0.1:8080"}, {Name: "duration", Value: "3s"},
			{Name: "workers", Value: "32"}, {Name: "rate", Value: "5000"},
		}, nil)
		if _, diags := l.Load(name); diags.HasErrors() {
			t.Errorf("%s: %v", name, diags)
		}
	}
}
