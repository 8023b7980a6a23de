//go:build !race

package runner

// raceEnabled is true when the tests run under the race detector.
const raceEnabled = false
