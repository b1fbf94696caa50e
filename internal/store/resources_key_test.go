package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// TestIndicatorKeyRace creates look-alike indicators (equal after ASCII
// case folding and dropping a trailing slash) from many goroutines at once:
// the database keeps exactly one, and refuses the others as conflicts.
func TestIndicatorKeyRace(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		variants := []string{"https://shopping.api", "HTTPS://SHOPPING.API/", "https://Shopping.api/", "https://shopping.API"}
		const n = 24
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = s.InsertResource(ctx, resource(fmt.Sprintf("r%02d", i), variants[i%len(variants)]))
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ErrConflict):
				t.Errorf("creation %d: %v, want success or ErrConflict", i, err)
			}
		}
		if won != 1 {
			t.Fatalf("%d creations succeeded, want exactly 1", won)
		}
		list, err := s.ListResources(ctx, tenant)
		wantErr(t, "list", err, nil)
		if len(list) != 1 {
			t.Fatalf("%d resources stored, want 1: %+v", len(list), list)
		}
		// Another tenant may use the same indicator.
		wantErr(t, "tenant", s.EnsureTenant(ctx, "other"), nil)
		other := resource("o1", "https://shopping.api")
		other.TenantID = "other"
		wantErr(t, "other tenant", s.InsertResource(ctx, other), nil)
	})
}

// TestIndicatorKeyBackfill replays migration 0015 on resources stored
// before it, look-alikes among them: each gets rbac.IndicatorKey of its
// indicator, the look-alikes after the first (by id) a key of their own,
// and a new look-alike of any of them is refused.
func TestIndicatorKeyBackfill(t *testing.T) {
	for _, dialect := range []string{dialectSQLite, dialectPostgres} {
		t.Run(dialect, func(t *testing.T) { testIndicatorKeyBackfill(t, dialect) })
	}
}

func testIndicatorKeyBackfill(t *testing.T, dialect string) {
	ctx := context.Background()
	dsn := testDSN(t, dialect)
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "tenant", s.EnsureTenant(ctx, tenant), nil)
	{
		// Back to the schema before 0015.
		for _, stmt := range []string{
			`DROP INDEX resources__indicator_key`,
			`ALTER TABLE resources DROP COLUMN indicator_key`,
			`DELETE FROM schema_migrations WHERE version = '0015_resource_indicator_key.sql'`,
		} {
			if _, err := s.db.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		old := map[string]string{
			"a1": "https://shopping.api",
			"a2": "HTTPS://SHOPPING.API/",
			"a3": "https://Shopping.api",
			"b1": "HTTPS://Élan.EXAMPLE/Path/",
			"c1": "urn:Example:Thing",
		}
		for id, ind := range old {
			if _, err := s.db.ExecContext(ctx, `INSERT INTO resources (tenant_id, id, name, indicator) VALUES ($1, $2, $3, $4)`,
				tenant, id, "API "+id, ind); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
		s2, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("reopen (migration 0015): %v", err)
		}
		t.Cleanup(func() { s2.Close() })
		want := map[string]string{
			"a1": "https://shopping.api",
			"a2": "https://shopping.api a2",
			"a3": "https://shopping.api a3",
			"b1": rbac.IndicatorKey(old["b1"]),
			"c1": rbac.IndicatorKey(old["c1"]),
		}
		if want["b1"] != "https://Élan.example/path" {
			t.Fatalf("IndicatorKey folds more than ASCII: %q", want["b1"])
		}
		for id, key := range want {
			var got string
			if err := s2.db.QueryRowContext(ctx, `SELECT indicator_key FROM resources WHERE tenant_id = $1 AND id = $2`, tenant, id).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != key {
				t.Errorf("%s: indicator_key %q, want %q", id, got, key)
			}
		}
		for _, ind := range []string{"https://SHOPPING.api/", "https://Élan.example/path", "urn:example:thing/"} {
			wantErr(t, "look-alike "+ind, s2.InsertResource(ctx, resource("new", ind)), ErrConflict)
		}
		wantErr(t, "new indicator", s2.InsertResource(ctx, resource("new", "https://élan.example/path")), nil)
	}
}
