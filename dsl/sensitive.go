package dsl

import (
	"math/big"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// sensitiveMark marks the value of a variable declared sensitive = true,
// and, as cty carries marks through expressions and functions, every value
// computed from it ("Bearer ${var.token}", base64encode(var.token)).
type sensitiveMark struct{}

// Sensitive is how a sensitive value is shown: in plans[].variables, and in
// place of the value in every output.
const Sensitive = "(sensitive)"

// minSecret is the shortest sensitive text that outputs are scrubbed of: a
// shorter one ("1", "on") would blank ordinary words and figures. The
// value itself is still shown as (sensitive) in the plan's variables.
const minSecret = 4

// noteSensitive records the texts of a marked value (its strings, and its
// numbers as written) in the plan's Sensitive list, which outputs and
// diagnostics are scrubbed of. It returns v unmarked.
func (s *state) noteSensitive(v cty.Value) cty.Value {
	v, marks := v.UnmarkDeep()
	if _, ok := marks[sensitiveMark{}]; !ok {
		return v
	}
	s.addSecrets(v)
	return v
}

// addSecrets adds the leaf texts of v (unmarked) to the plan's Sensitive
// list.
func (s *state) addSecrets(v cty.Value) {
	var add func(v cty.Value)
	add = func(v cty.Value) {
		switch {
		case v.IsNull() || !v.IsKnown():
		case v.Type() == cty.String:
			s.addSecret(v.AsString())
		case v.Type() == cty.Number:
			s.addSecret(v.AsBigFloat().Text('f', -1))
			if f, acc := v.AsBigFloat().Float64(); acc == big.Exact {
				s.addSecret(big.NewFloat(f).Text('g', -1))
			}
		case v.CanIterateElements():
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				add(e)
			}
		}
	}
	add(v)
}

func (s *state) addSecret(text string) {
	if len(text) < minSecret {
		return
	}
	for _, t := range s.plan.Sensitive {
		if t == text {
			return
		}
	}
	s.plan.Sensitive = append(s.plan.Sensitive, text)
	// Longest first, so that a text that holds another is replaced whole.
	sort.SliceStable(s.plan.Sensitive, func(i, j int) bool { return len(s.plan.Sensitive[i]) > len(s.plan.Sensitive[j]) })
}

// Redact returns text with every sensitive text of secrets replaced by
// (sensitive).
func Redact(text string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(text, sec) {
			text = strings.ReplaceAll(text, sec, Sensitive)
		}
	}
	return text
}

// scrubDiags removes the plan's sensitive texts from diags: a function's
// error may quote its argument, and HCL's messages quote values.
func (s *state) scrubDiags() {
	if len(s.plan.Sensitive) == 0 {
		return
	}
	for _, d := range s.diags {
		d.Summary = Redact(d.Summary, s.plan.Sensitive)
		d.Detail = Redact(d.Detail, s.plan.Sensitive)
	}
}
