package report

// ProfileDoc holds the profiles of one scenario's span (perfplan run
// --profile): standard pprof protocol buffers, gzipped, which encoding/json
// writes as base64. `perfplan report --profile SCENARIO` writes them back as
// .pb.gz files that `go tool pprof` opens; package profiling reads and diffs
// them.
type ProfileDoc struct {
	// CPU is the process's CPU profile, restricted to the samples labelled
	// with this scenario (pprof labels scenario=NAME, and perfplan=runner
	// or perfplan=target while inside the target's Do).
	CPU []byte `json:"cpu,omitempty"`
	// Allocs is the allocation profile's growth over the scenario's span
	// (alloc_objects, alloc_space; sampled, as the Go runtime samples
	// them). It is the whole process's growth: scenarios that ran at the
	// same time are in it too (Overlapped names them).
	Allocs []byte `json:"allocs,omitempty"`
	// Remote is the system under test's CPU profile over the span, fetched
	// from the http target's pprof_url (RemoteURL).
	Remote    []byte `json:"remote_cpu,omitempty"`
	RemoteURL string `json:"remote_url,omitempty"`
	// Overlapped names the scenarios whose span overlapped this one.
	Overlapped []string `json:"overlapped,omitempty"`
	// Notes say what the profiles leave out or why one is missing.
	Notes []string `json:"notes,omitempty"`
}
