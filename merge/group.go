package merge

import (
	"fmt"
	"slices"
	"strings"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/report"
)

// The group step: each plan's segments, each scenario's parts, each
// operation's figures.

// planKey names a plan run in a document: its name and repetition.
type planKey struct {
	name string
	rep  int
}

// planPart is one document's run of a plan.
type planPart struct {
	doc int
	p   *report.PlanDoc
}

// segPart is one segment's plan document.
type segPart struct {
	seg    plan.Segment
	source string
	host   string
	p      *report.PlanDoc
}

func (s segPart) prefix() string { return "segment " + s.seg.String() + ": " }

// scenarioPart is one segment's figures of a scenario.
type scenarioPart struct {
	segPart
	sd *report.ScenarioDoc
}

// keysOf returns the plan runs of d, in its order.
func keysOf(d *report.Document) []planKey {
	rep, _ := d.Repetitions()
	ks := make([]planKey, len(d.Plans))
	for i, p := range d.Plans {
		ks[i] = planKey{p.Name, rep[i]}
	}
	return ks
}

// sortedKeys returns ks by name, then repetition.
func sortedKeys(ks []planKey) []planKey {
	out := slices.Clone(ks)
	slices.SortFunc(out, func(a, b planKey) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return a.rep - b.rep
	})
	return out
}

// describe names plan runs in errors.
func describe(ks []planKey) string {
	var s []string
	for _, k := range ks {
		if k.rep > 1 {
			s = append(s, fmt.Sprintf("%s (repetition %d)", k.name, k.rep))
		} else {
			s = append(s, k.name)
		}
	}
	if len(s) == 0 {
		return "no plan"
	}
	return "plan " + strings.Join(s, ", ")
}

// groupPlans returns each plan run's parts, in the order of the documents.
func groupPlans(docs []*report.Document) map[planKey][]planPart {
	groups := map[planKey][]planPart{}
	for i, d := range docs {
		for j, k := range keysOf(d) {
			groups[k] = append(groups[k], planPart{i, &d.Plans[j]})
		}
	}
	return groups
}

// scenarioNames returns the scenarios of segs, in the order of the first
// segment that ran them.
func scenarioNames(segs []segPart) []string {
	var names []string
	for _, s := range segs {
		for _, sc := range s.p.Scenarios {
			if !slices.Contains(names, sc.Name) {
				names = append(names, sc.Name)
			}
		}
	}
	return names
}

// scenarioParts returns the segments' figures of scenario name.
func scenarioParts(segs []segPart, name string) []scenarioPart {
	var parts []scenarioPart
	for _, s := range segs {
		for i := range s.p.Scenarios {
			if s.p.Scenarios[i].Name == name {
				parts = append(parts, scenarioPart{segPart: s, sd: &s.p.Scenarios[i]})
			}
		}
	}
	return parts
}

// opNames returns the operations of parts, in the order of the first
// segment that ran them.
func opNames(parts []scenarioPart) []string {
	var names []string
	for _, p := range parts {
		for _, o := range p.sd.Ops {
			if !slices.Contains(names, o.Name) {
				names = append(names, o.Name)
			}
		}
	}
	return names
}

// opDocs returns the segments' figures of operation name.
func opDocs(parts []scenarioPart, name string) []*report.OpDoc {
	var ods []*report.OpDoc
	for _, p := range parts {
		for i := range p.sd.Ops {
			if p.sd.Ops[i].Name == name {
				ods = append(ods, &p.sd.Ops[i])
			}
		}
	}
	return ods
}

// totalDocs returns the segments' totals.
func totalDocs(parts []scenarioPart) []*report.OpDoc {
	var totals []*report.OpDoc
	for _, p := range parts {
		totals = append(totals, &p.sd.Total)
	}
	return totals
}
