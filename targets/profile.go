package targets

import "context"

// Profiler is implemented by targets that can profile the system under test
// itself, such as the http target with pprof_url: perfplan run --profile
// asks it for a CPU profile covering each scenario's span.
type Profiler interface {
	// StartProfile starts profiling the system under test. The returned
	// stop ends the profile and returns it as a gzipped pprof protocol
	// buffer with the source it came from; it is called once, when the
	// scenario's load has ended. ctx bounds the whole capture.
	StartProfile(ctx context.Context) (stop func() (profile []byte, source string, err error))
}
