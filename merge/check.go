package merge

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/perfplan/perfplan/report"
)

// The check step: can the documents merge?

// checkDocuments checks that every document holds the same plans (by name
// and repetition) at the same duration scale as the first.
func checkDocuments(docs []*report.Document, opts Options) error {
	order := keysOf(docs[0])
	for i, d := range docs[1:] {
		if !slices.Equal(sortedKeys(keysOf(d)), sortedKeys(order)) {
			return fmt.Errorf("merge: different plans: %s holds %s, %s holds %s", opts.source(0), describe(order), opts.source(i+1), describe(keysOf(d)))
		}
		if d.Tool.DurationScale != docs[0].Tool.DurationScale {
			return fmt.Errorf("merge: different duration scales: %s ran with --duration-scale %g, %s with %g",
				opts.source(0), docs[0].Tool.DurationScale, opts.source(i+1), d.Tool.DurationScale)
		}
	}
	return nil
}

// checkSegments checks that one plan's parts are segments of the same plan
// file, variables and split, none twice, and returns them by index.
func checkSegments(docs []*report.Document, parts []planPart, label string, opts Options) ([]segPart, error) {
	first := parts[0]
	var segs []segPart
	for _, pt := range parts {
		p := pt.p
		if p.Segment == nil {
			return nil, fmt.Errorf("merge: %s: %s is a whole run, not a segment (run it with --segment I/N)", opts.source(pt.doc), label)
		}
		if p.Hash != first.p.Hash {
			return nil, fmt.Errorf("merge: different plan versions: %s is %s in %s and %s in %s (the plan file changed between the runs)",
				label, shortHash(first.p.Hash), opts.source(first.doc), shortHash(p.Hash), opts.source(pt.doc))
		}
		if p.Segment.Count != first.p.Segment.Count {
			return nil, fmt.Errorf("merge: %s: %s ran segment %s and %s segment %s: the runs split the load differently",
				label, opts.source(first.doc), first.p.Segment, opts.source(pt.doc), p.Segment)
		}
		if !sameJSON(p.Variables, first.p.Variables) {
			return nil, fmt.Errorf("merge: different variables: %s ran with %s in %s and with %s in %s",
				label, jsonText(first.p.Variables), opts.source(first.doc), jsonText(p.Variables), opts.source(pt.doc))
		}
		for _, s := range segs {
			if s.seg.Index == p.Segment.Index {
				return nil, fmt.Errorf("merge: overlapping segments: %s and %s both ran segment %s of %s", s.source, opts.source(pt.doc), p.Segment, label)
			}
		}
		segs = append(segs, segPart{seg: *p.Segment, source: opts.source(pt.doc), host: docs[pt.doc].Environment.Host, p: p})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].seg.Index < segs[j].seg.Index })
	return segs, nil
}

// segmentInfo says which of the n segments segs hold; a missing one is an
// error unless allowPartial.
func segmentInfo(segs []segPart, n int, label string, allowPartial bool) (*report.MergeInfo, error) {
	info := &report.MergeInfo{Count: n}
	for _, s := range segs {
		info.Segments = append(info.Segments, s.seg.Index)
	}
	for i := range n {
		if !slices.Contains(info.Segments, i) {
			info.Missing = append(info.Missing, i)
		}
	}
	if len(info.Missing) > 0 {
		if !allowPartial {
			return nil, fmt.Errorf("merge: %s: missing segment%s %s of %d (given: %s); run %s, or merge with --allow-partial to mark the result partial",
				label, plural(len(info.Missing)), indexList(info.Missing), n, givenList(segs), them(len(info.Missing)))
		}
		info.Partial = true
	}
	return info, nil
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return "(no hash)"
	}
	return h
}

func sameJSON(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return jsonText(a) == jsonText(b)
}

func jsonText(v map[string]any) string {
	if len(v) == 0 {
		return "no variables"
	}
	b, err := json.Marshal(v) // map keys are sorted
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func indexList(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

func givenList(segs []segPart) string {
	s := make([]string, len(segs))
	for i, p := range segs {
		s[i] = p.seg.String() + " from " + p.source
	}
	return strings.Join(s, ", ")
}
