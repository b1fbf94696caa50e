//go:build race

package oidc

// raceEnabled: the race detector makes every memory access slow, so the
// flood tests send fewer requests under it.
const raceEnabled = true
