//go:build race

package http

// raceEnabled is set when the race detector is on.
const raceEnabled = true
