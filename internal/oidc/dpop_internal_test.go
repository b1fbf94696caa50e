package oidc

import (
	"testing"
	"time"
)

func TestNormalizeHTU(t *testing.T) {
	const want = "https://auth.example/oidc/token"
	for _, s := range []string{
		"https://auth.example/oidc/token", "HTTPS://Auth.Example/oidc/token", "https://auth.example:443/oidc/token",
		"https://auth.example/oidc/token?x=1", "https://auth.example/oidc/token#f", "https://auth.example/oidc/%74oken",
	} {
		if got, ok := normalizeHTU(s); !ok || got != want {
			t.Errorf("%s: %q %v, want %q", s, got, ok, want)
		}
	}
	for _, s := range []string{
		"http://auth.example/oidc/token", "https://auth.example:8443/oidc/token", "https://auth.example/oidc/Token",
		"https://auth.example/oidc/token/", "https://evil.example/oidc/token",
	} {
		if got, ok := normalizeHTU(s); ok && got == want {
			t.Errorf("%s matches %s", s, want)
		}
	}
	for _, s := range []string{"", "/oidc/token", "ftp://auth.example/x", "https://user@auth.example/x", "mailto:a@b", "https://"} {
		if got, ok := normalizeHTU(s); ok {
			t.Errorf("%q accepted as %q", s, got)
		}
	}
	if got, _ := normalizeHTU("http://[::1]:80"); got != "http://[::1]/" {
		t.Errorf("IPv6: %q", got)
	}
}

func TestDPoPReplay(t *testing.T) {
	c := newDPoPReplay(2)
	t0 := time.Unix(1_700_000_000, 0)
	a, b, d := [16]byte{1}, [16]byte{2}, [16]byte{3}
	if c.add(a, t0) != replayNew || c.add(a, t0) != replaySeen {
		t.Fatal("a: not new, or not seen the second time")
	}
	if c.add(b, t0) != replayNew || c.add(d, t0) != replayFull {
		t.Fatal("the bound is not kept")
	}
	// A proof stays remembered for at least the period (twice the iat
	// window), across a rotation.
	if c.add(a, t0.Add(c.period)) != replaySeen {
		t.Fatal("forgotten at the first rotation")
	}
	if c.add(d, t0.Add(c.period)) != replayNew {
		t.Fatal("no room after the rotation")
	}
	if c.add(a, t0.Add(c.period-time.Second)) != replaySeen {
		t.Fatal("a clock going back forgets")
	}
	if c.add(a, t0.Add(2*c.period)) != replayNew {
		t.Fatal("remembered after two periods")
	}
	if c.add(d, t0.Add(2*c.period)) != replaySeen {
		t.Fatal("d, added in the previous period, is forgotten")
	}
}
