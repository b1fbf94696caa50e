//go:build race

package app

// raceEnabled: under the race detector sync.Pool drops items at random, so
// allocation counts are not comparable between two runs.
const raceEnabled = true
