package compare

// Test helpers for the external tests (html_test.go).
var (
	SleepRun = sleepRun
	AR1Run   = ar1Run
)
