package dsl

import (
	"unicode"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// checkLabels reports block labels (the names of plans, scenarios,
// targets, workloads, ops) that hold a control character ("\u001b[31m", a
// carriage return): a name is printed in tables, Markdown and CSV, where
// such a character would rewrite the terminal or break the format.
func (s *state) checkLabels(body hcl.Body) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return
	}
	for _, b := range sb.Blocks {
		for i, l := range b.Labels {
			for _, r := range l {
				if unicode.IsControl(r) {
					s.errorf(b.LabelRanges[i].Ptr(), "Invalid name",
						"The %s name %q holds the control character %U; a name is printed in tables, Markdown and CSV, so it must be printable text.", b.Type, l, r)
					break
				}
			}
		}
		s.checkLabels(b.Body)
	}
}
