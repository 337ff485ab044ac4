package compare

import (
	"fmt"
	"io"

	"github.com/perfplan/perfplan/profiling"
	"github.com/perfplan/perfplan/report"
)

// ScenarioProfile is what grew in the profiles of a scenario with a
// significant regression, when both sides carry profiles (perfplan run
// --profile).
type ScenarioProfile struct {
	Plan, Scenario string
	Diff           *profiling.ScenarioDiff
}

// profileGroup diffs the profiles of scenario name of plan when one of its
// rows is a significant regression.
func (res *Result) profileGroup(plan, name string, group []Row, base, next []*report.PlanDoc) {
	regressed := false
	for _, row := range group {
		regressed = regressed || row.Regression
	}
	if !regressed {
		return
	}
	var bs, ns []*report.ScenarioDoc
	for _, p := range base {
		if s := FindScenario(p, name); s != nil {
			bs = append(bs, s)
		}
	}
	for _, p := range next {
		if s := FindScenario(p, name); s != nil {
			ns = append(ns, s)
		}
	}
	d, err := profiling.DiffScenarios(bs, ns, profiling.DefaultTop)
	if err != nil {
		d = &profiling.ScenarioDiff{Notes: []string{fmt.Sprintf("the profiles could not be read: %v", err)}}
	}
	if d != nil {
		res.Profiles = append(res.Profiles, ScenarioProfile{Plan: plan, Scenario: name, Diff: d})
	}
}

// ProfileOf returns the profile diff of a scenario, or nil.
func (res *Result) ProfileOf(plan, scenario string) *profiling.ScenarioDiff {
	for _, p := range res.Profiles {
		if p.Plan == plan && p.Scenario == scenario {
			return p.Diff
		}
	}
	return nil
}

// writeProfiles prints, for each regressed scenario whose runs both carry
// profiles, the functions that grew.
func (res *Result) writeProfiles(w io.Writer) {
	for _, p := range res.Profiles {
		fmt.Fprintf(w, "\nProfile of %s/%s: what grew\n", p.Plan, p.Scenario)
		p.Diff.WriteText(w, "  ")
	}
}

// writeProfilesMarkdown is writeProfiles in Markdown.
func (res *Result) writeProfilesMarkdown(w io.Writer) {
	for _, p := range res.Profiles {
		fmt.Fprintf(w, "\n**Profile of %s/%s: what grew**\n", mdCell(p.Plan), mdCell(p.Scenario))
		for _, t := range p.Diff.Tables() {
			fmt.Fprintf(w, "\n%s\n", mdCell(t.Title))
			if len(t.Rows) == 0 {
				continue
			}
			fmt.Fprintln(w)
			line, rule := "|", "|"
			for i, h := range t.Header {
				line += " " + mdCell(h) + " |"
				if i == 0 {
					rule += ":--|"
				} else {
					rule += "--:|"
				}
			}
			fmt.Fprintln(w, line)
			fmt.Fprintln(w, rule)
			for _, r := range t.Rows {
				line := "|"
				for i, c := range r {
					if i == 0 {
						c = "`" + c + "`"
						line += " " + c + " |"
						continue
					}
					line += " " + mdCell(c) + " |"
				}
				fmt.Fprintln(w, line)
			}
		}
		for _, n := range p.Diff.Notes {
			fmt.Fprintf(w, "\n- note: %s\n", mdCell(n))
		}
	}
}
