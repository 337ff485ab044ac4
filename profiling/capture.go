// Package profiling captures CPU and allocation profiles of a run per
// scenario (perfplan run --profile) and diffs them (perfplan compare,
// perfplan history --growth).
//
// # Capture
//
// Go runs one CPU profile per process at a time, so a Session profiles the
// whole run once, at the runtime's default 100 Hz, and splits the samples by
// the pprof labels the executor puts on each scenario's goroutines
// (scenario=NAME; perfplan=target inside the target's Do, perfplan=runner
// elsewhere; see executor.Profiler). Samples that carry no scenario label
// (the garbage collector's background workers, the runtime, the command
// line) belong to no scenario; each scenario's notes say what share of the
// run's samples that was.
//
// The allocation profile is cumulative and unlabelled: a Session takes it
// at the start and at the end of each scenario's span, each time after a
// forced garbage collection (the runtime publishes allocations at the end of
// a cycle), and keeps the difference. Scenarios that ran at the same time
// share it; the document names them (ProfileDoc.Overlapped).
//
// A target that implements targets.Profiler (the http target with
// pprof_url) adds the system under test's own CPU profile over the span.
//
// Profiles are kept in the run document as gzipped pprof protocol buffers
// (report.ProfileDoc) and read with github.com/google/pprof/profile.
package profiling

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"

	"github.com/google/pprof/profile"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/targets"
)

// Session profiles one run of a plan. It implements executor.Profiler.
type Session struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	cpu     bytes.Buffer
	stopped bool
	spans   map[string]*span
	active  map[string]bool
}

var _ executor.Profiler = (*Session)(nil)

// span is one scenario's profiling state.
type span struct {
	before     *profile.Profile
	doc        report.ProfileDoc
	overlapped map[string]bool
	remoteStop func() ([]byte, string, error)
}

// Start starts the run's CPU profile. It fails when another CPU profile is
// running in the process. ctx bounds the fetches of remote profiles.
func Start(ctx context.Context) (*Session, error) {
	s := &Session{spans: map[string]*span{}, active: map[string]bool{}}
	s.ctx, s.cancel = context.WithCancel(ctx)
	if err := pprof.StartCPUProfile(&s.cpu); err != nil {
		s.cancel()
		return nil, fmt.Errorf("profiling: start the CPU profile: %w", err)
	}
	return s, nil
}

// ScenarioStart implements executor.Profiler: it takes the allocation
// profile at the start of the span and starts the target's own profile.
func (s *Session) ScenarioStart(name string, t targets.Target) {
	sp := &span{overlapped: map[string]bool{}}
	before, err := allocSnapshot()
	if err != nil {
		sp.doc.Notes = append(sp.doc.Notes, fmt.Sprintf("no allocation profile: %v", err))
	}
	sp.before = before
	if p, ok := t.(targets.Profiler); ok {
		sp.remoteStop = p.StartProfile(s.ctx) // nil when the target has no profile to give
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for other := range s.active {
		sp.overlapped[other] = true
		s.spans[other].overlapped[name] = true
	}
	s.spans[name] = sp
	s.active[name] = true
}

// ScenarioEnd implements executor.Profiler: it keeps the allocation
// profile's growth over the span and collects the target's own profile.
func (s *Session) ScenarioEnd(name string) {
	s.mu.Lock()
	sp := s.spans[name]
	delete(s.active, name)
	s.mu.Unlock()
	if sp == nil {
		return
	}
	if sp.before != nil {
		after, err := allocSnapshot()
		if err == nil {
			var delta *profile.Profile
			delta, err = Subtract(after, sp.before)
			if err == nil {
				sp.doc.Allocs, err = encode(delta)
			}
		}
		if err != nil {
			sp.doc.Notes = append(sp.doc.Notes, fmt.Sprintf("no allocation profile: %v", err))
		}
		sp.before = nil
	}
	if sp.remoteStop != nil {
		data, src, err := sp.remoteStop()
		sp.doc.RemoteURL = src
		sp.doc.Remote = data
		switch {
		case err != nil && data == nil:
			sp.doc.Notes = append(sp.doc.Notes, fmt.Sprintf("no profile of the system under test from %s: %v", src, err))
		case err != nil:
			sp.doc.Notes = append(sp.doc.Notes, fmt.Sprintf("the profile of the system under test from %s misses parts of the span: %v", src, err))
		}
	}
}

// Stop ends the run's CPU profile and returns each scenario's profiles by
// scenario name.
func (s *Session) Stop() (map[string]*report.ProfileDoc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.cancel()
	if s.stopped {
		return nil, fmt.Errorf("profiling: session already stopped")
	}
	s.stopped = true
	pprof.StopCPUProfile()
	out := map[string]*report.ProfileDoc{}
	for name, sp := range s.spans {
		doc := sp.doc
		for o := range sp.overlapped {
			doc.Overlapped = append(doc.Overlapped, o)
		}
		slices.Sort(doc.Overlapped)
		out[name] = &doc
	}
	cpu, err := profile.Parse(bytes.NewReader(s.cpu.Bytes()))
	if err != nil {
		for _, d := range out {
			d.Notes = append(d.Notes, fmt.Sprintf("no CPU profile: %v", err))
		}
		return out, nil
	}
	total, labelled := int64(0), int64(0)
	for _, smp := range cpu.Sample {
		total += smp.Value[0]
		if len(smp.Label["scenario"]) > 0 {
			labelled += smp.Value[0]
		}
	}
	for name, d := range out {
		part := ForScenario(cpu, name)
		if d.CPU, err = encode(part); err != nil {
			d.Notes = append(d.Notes, fmt.Sprintf("no CPU profile: %v", err))
		}
		if total > 0 && labelled < total {
			d.Notes = append(d.Notes, fmt.Sprintf("%.1f%% of the process's CPU samples in this run belong to no scenario (the garbage collector's background work, the runtime, the command line) and are in no scenario's profile",
				100*float64(total-labelled)/float64(total)))
		}
	}
	return out, nil
}

// Attach puts each scenario's profiles into pd.
func Attach(pd *report.PlanDoc, docs map[string]*report.ProfileDoc) {
	for i := range pd.Scenarios {
		if d, ok := docs[pd.Scenarios[i].Name]; ok {
			pd.Scenarios[i].Profile = d
		}
	}
}

// ForScenario returns a copy of the CPU profile p with the samples labelled
// scenario=name only.
func ForScenario(p *profile.Profile, name string) *profile.Profile {
	q := p.Copy()
	q.FilterSamplesByTag(func(s *profile.Sample) bool {
		return slices.Contains(s.Label["scenario"], name)
	}, nil)
	return q.Compact()
}

// allocSnapshot returns the process's allocation profile after a garbage
// collection, so that it counts every allocation so far.
func allocSnapshot() (*profile.Profile, error) {
	runtime.GC()
	var b bytes.Buffer
	if err := pprof.Lookup("allocs").WriteTo(&b, 0); err != nil {
		return nil, fmt.Errorf("write the allocation profile: %w", err)
	}
	p, err := profile.Parse(&b)
	if err != nil {
		return nil, fmt.Errorf("read the allocation profile: %w", err)
	}
	return p, nil
}

// Subtract returns after minus before, for cumulative profiles (the
// allocation profile): before scaled by -1 and merged into after, keeping
// the samples whose values changed.
func Subtract(after, before *profile.Profile) (*profile.Profile, error) {
	neg := before.Copy()
	neg.Scale(-1)
	// The heap profile's first two values (alloc_objects, alloc_space)
	// are cumulative; inuse_* are not, and a delta of them means nothing.
	d, err := profile.Merge([]*profile.Profile{after.Copy(), neg})
	if err != nil {
		return nil, fmt.Errorf("subtract profiles: %w", err)
	}
	keep := d.Sample[:0]
	for _, s := range d.Sample {
		if ownWork(s) {
			continue
		}
		for _, v := range s.Value {
			if v != 0 {
				keep = append(keep, s)
				break
			}
		}
	}
	d.Sample = keep
	d.DefaultSampleType = "alloc_space"
	d.DurationNanos = after.TimeNanos - before.TimeNanos
	d.TimeNanos = before.TimeNanos
	return d.Compact(), nil
}

// ownFrames prefix the functions of the profiler's own work: taking and
// reading profiles allocates too, within the span.
var ownFrames = []string{"runtime/pprof.", "github.com/perfplan/perfplan/profiling.", "github.com/google/pprof/"}

// ownWork reports whether a sample is the profiler's own work.
func ownWork(s *profile.Sample) bool {
	for _, f := range stackFuncs(s) {
		for _, p := range ownFrames {
			if strings.HasPrefix(f, p) {
				return true
			}
		}
	}
	return false
}

// encode writes p as a gzipped protocol buffer.
func encode(p *profile.Profile) ([]byte, error) {
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		return nil, fmt.Errorf("write profile: %w", err)
	}
	return b.Bytes(), nil
}

// Decode reads a gzipped (or plain) pprof protocol buffer; nil data gives
// nil.
func Decode(data []byte) (*profile.Profile, error) {
	if len(data) == 0 {
		return nil, nil
	}
	p, err := profile.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	return p, nil
}
