package oidc

import (
	"context"
	"testing"
)

func TestMemoryJTIs(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryJTIs(2000)
	use := func(client, jti string, exp, now int64) bool {
		ok, err := m.Use(ctx, "default", client, jti, exp, now)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !use("c", "j", 2000, 1000) || use("c", "j", 2000, 1999) {
		t.Fatal("first use refused or replay accepted")
	}
	if !use("other", "j", 2000, 1000) {
		t.Fatal("another client's jti refused")
	}
	if !use("c", "j", 5000, 2000) {
		t.Fatal("expired entry not taken over")
	}
	// Pruning keeps memory to the unexpired entries.
	for i := range 5000 {
		use("c", string(rune('a'+i%26))+string(rune(i)), int64(3000+i), int64(3000+i))
	}
	if n := len(m.seen); n > 2500 {
		t.Errorf("%d entries held, want pruning", n)
	}
	// Full of unexpired entries: new ones are refused, never evicting a
	// live one (that would allow a replay).
	full := NewMemoryJTIs(1)
	full.nextPrune = 1
	if ok, _ := full.Use(ctx, "t", "c", "a", 100, 0); !ok {
		t.Fatal("first")
	}
	if ok, _ := full.Use(ctx, "t", "c", "b", 100, 0); ok {
		t.Error("accepted beyond the bound")
	}
	if ok, _ := full.Use(ctx, "t", "c", "a", 100, 50); ok {
		t.Error("replay accepted")
	}
}
