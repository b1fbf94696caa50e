package management_test

import (
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
)

// TestResourceIndicatorRace creates look-alike resources (the same
// indicator after case folding and dropping a trailing slash) with many
// concurrent requests: exactly one is created, every other answers 422
// resource.resource_identifier_in_use, on both engines. The database's
// unique key (store.TestIndicatorKeyRace races it without the service's
// check in front) is what makes this hold at any timing; here the whole
// path is checked, the answer to a conflict the database refuses included.
func TestResourceIndicatorRace(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		e.AdminToken() // before the goroutines: it is cached
		variants := []string{"https://shopping.api", "HTTPS://SHOPPING.API/", "https://Shopping.Api/", "https://shopping.API"}
		const n = 24
		var wg sync.WaitGroup
		res := make([]*apptest.Response, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res[i] = e.API("POST", "/api/resources", map[string]any{"name": "Shopping", "indicator": variants[i%len(variants)]})
			}()
		}
		close(start)
		wg.Wait()
		created := 0
		for i, r := range res {
			switch {
			case r.Status == 201:
				created++
			case r.Status != 422 || r.Code() != "resource.resource_identifier_in_use":
				t.Errorf("creation %d: %d %s", i, r.Status, r.Body)
			}
		}
		if created != 1 {
			t.Fatalf("%d look-alike resources created, want exactly 1", created)
		}
		var list []struct{ Indicator string }
		e.Must(200, "GET", "/api/resources?page_size=100", nil, &list)
		n2 := 0
		for _, r := range list {
			for _, v := range variants {
				if r.Indicator == v {
					n2++
				}
			}
		}
		if n2 != 1 {
			t.Fatalf("%d look-alike resources listed, want 1: %+v", n2, list)
		}
	})
}
