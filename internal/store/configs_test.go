package store

import (
	"context"
	"errors"
	"testing"
)

func TestConfigs(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const key = "jwt.clientCredentials"
		if _, err := s.GetConfig(ctx, tenant, key); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get missing: %v", err)
		}
		if err := s.DeleteConfig(ctx, tenant, key); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete missing: %v", err)
		}
		// Member order is kept as written.
		v1 := `{"script":"x","environmentVariables":{"z":"1","a":"2"}}`
		created, err := s.PutConfig(ctx, tenant, key, []byte(v1), 1)
		if err != nil || !created {
			t.Fatalf("put new: %v %v", created, err)
		}
		if got, err := s.GetConfig(ctx, tenant, key); err != nil || string(got) != v1 {
			t.Fatalf("get: %s %v", got, err)
		}
		created, err = s.PutConfig(ctx, tenant, key, []byte(`{"script":"y"}`), 2)
		if err != nil || created {
			t.Fatalf("put again: %v %v", created, err)
		}
		if got, err := s.GetConfig(ctx, tenant, key); err != nil || string(got) != `{"script":"y"}` {
			t.Fatalf("get replaced: %s %v", got, err)
		}
		if _, err := s.GetConfig(ctx, "t2", key); !errors.Is(err, ErrNotFound) {
			t.Fatalf("other tenant sees it: %v", err)
		}
		if err := s.DeleteConfig(ctx, tenant, key); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := s.GetConfig(ctx, tenant, key); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get deleted: %v", err)
		}
	})
}
