package grant

import (
	"crypto/rand"
	"fmt"
	"runtime"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// appRows is what the store reads for a typical M2M app: one secret, one
// role granting one scope on one resource, an id of 21 characters.
func appRows(i int) *store.AppGrants {
	digest := make([]byte, 32)
	rand.Read(digest)
	id := fmt.Sprintf("app%018d", i)
	return &store.AppGrants{ID: id, Type: "MachineToMachine", CustomClientMetadata: []byte(`{}`),
		Secrets: []store.GrantSecret{{Name: "Default secret", Digest: digest}},
		Roles:   []store.GrantRow{{RoleID: fmt.Sprintf("role%017d", i), ResourceID: "res00000000000000001", Indicator: "https://scale.api", Scope: "read"}},
	}
}

// TestBytesPerCachedApp holds the budget: a cached app with one
// secret and one role costs at most 2 KB (cache structures included).
func TestBytesPerCachedApp(t *testing.T) {
	const n = 20000
	f := newFake()
	for i := range n {
		f.apps[appRows(i).ID] = appRows(i)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c, _ := newCache(f, Options{Size: n + 10})
	if err := c.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("%d bytes per cached app", per)
	if per > 2048 {
		t.Fatalf("%d bytes per cached app, budget 2048", per)
	}
	if c.Stats().Entries != n+1 {
		t.Fatalf("%d entries", c.Stats().Entries)
	}
	runtime.KeepAlive(c)
}

// BenchmarkClientHit is the hot path: a cached client, many goroutines.
func BenchmarkClientHit(b *testing.B) {
	const n = 10000
	f := newFake()
	ids := make([]string, n)
	for i := range n {
		g := appRows(i)
		f.apps[g.ID] = g
		ids[i] = g.ID
	}
	c, _ := newCache(f, Options{})
	if err := c.Warm(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := c.Client(ctx, "default", ids[i%n]); err != nil {
				b.Fatal(err)
			}
			i += 7
		}
	})
}
