//go:build !race

package oidc

const raceEnabled = false
