package profiling

import (
	"fmt"
	"slices"

	"github.com/google/pprof/profile"

	"github.com/perfplan/perfplan/report"
)

// MergeDocs merges the profiles of one scenario's parts (the segments that
// perfplan merge joins) into one ProfileDoc: each kind's samples added over
// the parts that have it (pprof's own merge, as `go tool pprof` merges
// several files), the overlapped scenarios and notes joined, and a note when
// only some parts were profiled. It returns nil when no part carries a
// profile. A kind whose profiles cannot be read or merged is left out with
// a note rather than failing the merge of the figures.
func MergeDocs(parts []*report.ScenarioDoc) *report.ProfileDoc {
	var docs []*report.ProfileDoc
	for _, s := range parts {
		if s.Profile != nil {
			docs = append(docs, s.Profile)
		}
	}
	if len(docs) == 0 {
		return nil
	}
	out := &report.ProfileDoc{}
	note := func(n string) {
		if !slices.Contains(out.Notes, n) {
			out.Notes = append(out.Notes, n)
		}
	}
	if len(docs) < len(parts) {
		note(fmt.Sprintf("profiles of %d of %d segments: the others ran without --profile", len(docs), len(parts)))
	} else if len(docs) > 1 {
		note(fmt.Sprintf("the samples of %d segments' profiles, added", len(docs)))
	}
	for _, pd := range docs {
		for _, o := range pd.Overlapped {
			if !slices.Contains(out.Overlapped, o) {
				out.Overlapped = append(out.Overlapped, o)
			}
		}
		for _, n := range pd.Notes {
			note(n)
		}
		if out.RemoteURL == "" {
			out.RemoteURL = pd.RemoteURL
		}
	}
	slices.Sort(out.Overlapped)
	for _, k := range []struct {
		name string
		get  func(*report.ProfileDoc) []byte
		set  func([]byte)
	}{
		{"cpu", func(p *report.ProfileDoc) []byte { return p.CPU }, func(b []byte) { out.CPU = b }},
		{"allocs", func(p *report.ProfileDoc) []byte { return p.Allocs }, func(b []byte) { out.Allocs = b }},
		{"remote cpu", func(p *report.ProfileDoc) []byte { return p.Remote }, func(b []byte) { out.Remote = b }},
	} {
		data, err := mergeEncoded(docs, k.get)
		if err != nil {
			note(fmt.Sprintf("%s profile left out: %v", k.name, err))
			continue
		}
		k.set(data)
	}
	return out
}

// mergeEncoded decodes the profile that get picks from each doc, merges
// them and encodes the result; nil when no doc has one. A single profile
// is kept as it was.
func mergeEncoded(docs []*report.ProfileDoc, get func(*report.ProfileDoc) []byte) ([]byte, error) {
	var ps []*profile.Profile
	var only []byte
	for _, d := range docs {
		data := get(d)
		p, err := Decode(data)
		if err != nil {
			return nil, err
		}
		if p != nil {
			ps, only = append(ps, p), data
		}
	}
	switch len(ps) {
	case 0:
		return nil, nil
	case 1:
		return only, nil
	}
	m, err := Merge(ps)
	if err != nil {
		return nil, err
	}
	return encode(m)
}
