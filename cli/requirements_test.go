package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

// TestRequirementsVarFiles: examples/requirements.hcl validates with each of
// its var files (docs/requirements.md), both set the same variables, and
// the strict set is at least as strict as the lenient one on every limit.
func TestRequirementsVarFiles(t *testing.T) {
	t.Parallel()
	plan := filepath.Join("..", "examples", "requirements.hcl")
	vals := map[string]map[string]float64{}
	for _, set := range []string{"strict", "lenient"} {
		vf := filepath.Join("..", "examples", "requirements", set+".vars.hcl")
		r := runEnv(t, nil, "validate", "--var-file", vf, plan)
		if r.code != 0 || !strings.Contains(r.stdout, "is valid") {
			t.Fatalf("%s: exit %d\n%s%s", set, r.code, r.stdout, r.stderr)
		}
		f, diags := hclparse.NewParser().ParseHCLFile(vf)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		attrs, diags := f.Body.JustAttributes()
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		vals[set] = map[string]float64{}
		for name, a := range attrs {
			v, diags := a.Expr.Value(nil)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if v.Type() == cty.Number {
				f, _ := v.AsBigFloat().Float64()
				vals[set][name] = f
			}
		}
	}
	strict, lenient := vals["strict"], vals["lenient"]
	if len(strict) != len(lenient) || len(strict) < 9 {
		t.Fatalf("strict sets %d numbers, lenient %d", len(strict), len(lenient))
	}
	for name, s := range strict {
		l, ok := lenient[name]
		switch {
		case !ok:
			t.Errorf("lenient lacks %s", name)
		case strings.HasPrefix(name, "max_") && s > l, strings.HasPrefix(name, "min_") && s < l:
			t.Errorf("%s: strict %v is laxer than lenient %v", name, s, l)
		}
	}
}
