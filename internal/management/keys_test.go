package management

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/storetest"
	"github.com/gatehouse/gatehouse/internal/token"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// keyService returns a Service on a fresh database of eng with its keys
// loaded, its clock, and a counter of OnChange calls.
func keyService(t *testing.T, eng storetest.Engine, alg string) (*Service, *clock, *int) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, eng.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.EnsureTenant(ctx, rbac.DefaultTenant); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secret.NewBox(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.UnixMilli(1_800_000_000_000)}
	changes := new(int)
	s := New(Config{Store: st, Box: box, SigningAlg: alg, Now: clk.Now, OnChange: func(c change.Set) {
		if !reflect.DeepEqual(c, change.Set{Keys: true}) {
			t.Errorf("OnChange(%+v), want Keys only", c)
		}
		*changes++
	}})
	if err := s.LoadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	return s, clk, changes
}

// statuses lists "status:alg" of the keys, in the API's order.
func statuses(t *testing.T, s *Service) []string {
	t.Helper()
	list, err := s.SigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range list {
		out = append(out, string(k.Status)+":"+k.Alg)
	}
	return out
}

func wantStatuses(t *testing.T, s *Service, want ...string) {
	t.Helper()
	got := statuses(t, s)
	if len(got) != len(want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("keys %v, want %v", got, want)
		}
	}
}

func wantCode(t *testing.T, err error, status int, code string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Status != status || e.Code != code {
		t.Fatalf("err %v, want %d %s", err, status, code)
	}
}

func TestRotateImmediate(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			s, _, changes := keyService(t, eng, token.AlgES384)
			first := s.Keys().Current()
			wantStatuses(t, s, "Current:ES384")

			if _, err := s.RotateSigningKeys(ctx, KeyKindEC, 0); err != nil {
				t.Fatal(err)
			}
			wantStatuses(t, s, "Current:ES384", "Previous:ES384")
			if *changes != 1 {
				t.Errorf("OnChange called %d times, want 1", *changes)
			}
			set := s.Keys()
			if set.Current().ID == first.ID {
				t.Fatal("Current key not replaced in the set in force")
			}
			if _, _, ok := set.PublicKey(first.KID); !ok {
				t.Fatal("previous key not published")
			}

			list, err := s.RotateSigningKeys(ctx, KeyKindRSA, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || list[0].Alg != token.AlgRS256 || list[0].Status != rbac.KeyCurrent {
				t.Fatalf("rotate RSA: %+v", list)
			}
			// The first key, Previous before, is dropped.
			if _, _, ok := s.Keys().PublicKey(first.KID); ok {
				t.Fatal("older previous key still published")
			}
			if rsa := s.Keys().Current(); rsa.Alg != token.AlgRS256 || rsa.Signer.Public() == nil {
				t.Fatalf("current %s", rsa.Alg)
			}
			wantStatuses(t, s, "Current:RS256", "Previous:ES384")
		})
	}
}

// An EC rotation keeps the configured ES algorithm, and falls back to
// ES256 when the configured one is not EC.
func TestRotateECAlgorithm(t *testing.T) {
	eng := storetest.Engines(t)[0]
	for cfg, want := range map[string]string{token.AlgES512: token.AlgES512, token.AlgEdDSA: token.AlgES256, token.AlgRS256: token.AlgES256, "": token.AlgES256} {
		s, _, _ := keyService(t, eng, cfg)
		list, err := s.RotateSigningKeys(context.Background(), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if list[0].Alg != want || KeyKind(list[0].Alg) != KeyKindEC {
			t.Errorf("configured %q: rotated to %s, want %s", cfg, list[0].Alg, want)
		}
		if cfg == token.AlgEdDSA && KeyKind(list[1].Alg) != KeyKindOKP {
			t.Errorf("Ed25519 key reported as %s", KeyKind(list[1].Alg))
		}
	}
}

func TestRotateStaged(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			s, clk, changes := keyService(t, eng, token.AlgES256)
			if _, err := s.RotateSigningKeys(ctx, KeyKindEC, 0); err != nil { // a Previous key to drop later
				t.Fatal(err)
			}
			oldPrev := s.Keys().Keys()[1]
			cur := s.Keys().Current()

			list, err := s.RotateSigningKeys(ctx, KeyKindEC, 60)
			if err != nil {
				t.Fatal(err)
			}
			next := list[0]
			if next.Status != rbac.KeyNext || next.EffectiveAt == nil || *next.EffectiveAt != clk.Now().UnixMilli()+60_000 {
				t.Fatalf("staged key %+v", next)
			}
			wantStatuses(t, s, "Next:ES256", "Current:ES256", "Previous:ES256")
			set := s.Keys()
			if set.Current().ID != cur.ID || len(set.Keys()) != 3 {
				t.Fatal("staged key must be published, not used")
			}

			// Staging again replaces the Next key.
			list, err = s.RotateSigningKeys(ctx, KeyKindRSA, 120)
			if err != nil {
				t.Fatal(err)
			}
			if list[0].Status != rbac.KeyNext || list[0].Alg != token.AlgRS256 || list[0].ID == next.ID || len(list) != 3 {
				t.Fatalf("restaged: %+v", list)
			}
			next = list[0]

			// An immediate rotation is refused while a key is staged.
			_, err = s.RotateSigningKeys(ctx, KeyKindEC, 0)
			wantCode(t, err, http.StatusUnprocessableEntity, "oidc.invalid_request")

			// Not yet due.
			clk.Add(119 * time.Second)
			if s.Keys().Current().ID != cur.ID {
				t.Fatal("promoted early")
			}
			before := *changes
			// Due: the next read of the keys promotes.
			clk.Add(time.Second)
			set = s.Keys()
			if set.Current().ID != next.ID {
				t.Fatalf("not promoted: current %s, want %s", set.Current().ID, next.ID)
			}
			if _, _, ok := set.PublicKey(cur.KID); !ok {
				t.Fatal("demoted key not published")
			}
			if _, _, ok := set.PublicKey(oldPrev.KID); ok {
				t.Fatal("old previous key still published")
			}
			if *changes != before+1 {
				t.Errorf("OnChange after promotion: %d calls, want %d", *changes, before+1)
			}
			wantStatuses(t, s, "Current:RS256", "Previous:ES256")

			// Now an immediate rotation works again.
			if _, err := s.RotateSigningKeys(ctx, KeyKindEC, 0); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Listing the keys, or loading them at start, promotes a due key too, and
// an instance whose copy is stale picks up another's promotion.
func TestPromotionOnListAndLoad(t *testing.T) {
	eng := storetest.Engines(t)[0]
	ctx := context.Background()
	s, clk, _ := keyService(t, eng, token.AlgES256)
	if _, err := s.RotateSigningKeys(ctx, KeyKindEC, 10); err != nil {
		t.Fatal(err)
	}
	clk.Add(10 * time.Second)
	wantStatuses(t, s, "Current:ES256", "Previous:ES256") // SigningKeys promoted

	s2 := New(Config{Store: s.cfg.Store, Box: s.cfg.Box, Now: clk.Now})
	if _, err := s.RotateSigningKeys(ctx, KeyKindRSA, 5); err != nil {
		t.Fatal(err)
	}
	clk.Add(5 * time.Second)
	if err := s2.LoadKeys(ctx); err != nil { // the second instance starts after the due time
		t.Fatal(err)
	}
	if s2.Keys().Current().Alg != token.AlgRS256 {
		t.Fatal("LoadKeys did not promote")
	}
	// The first instance still holds the staged set; its next read notices
	// the due time, finds the key promoted already and reloads.
	if s.Keys().Current().ID != s2.Keys().Current().ID {
		t.Fatal("stale instance did not reload")
	}
	wantStatuses(t, s, "Current:RS256", "Previous:ES256")
}

func TestDeleteSigningKey(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			s, _, changes := keyService(t, eng, token.AlgES256)
			cur := s.Keys().Current()
			wantCode(t, s.DeleteSigningKey(ctx, cur.ID), http.StatusUnprocessableEntity, "oidc.key_required")
			wantCode(t, s.DeleteSigningKey(ctx, "nope"), http.StatusUnprocessableEntity, "oidc.key_required")

			if _, err := s.RotateSigningKeys(ctx, KeyKindEC, 0); err != nil {
				t.Fatal(err)
			}
			list, _ := s.SigningKeys(ctx)
			wantCode(t, s.DeleteSigningKey(ctx, "nope"), http.StatusNotFound, "oidc.key_not_found")
			wantCode(t, s.DeleteSigningKey(ctx, list[0].ID), http.StatusUnprocessableEntity, "oidc.only_previous_key_can_be_deleted")
			if _, err := s.RotateSigningKeys(ctx, KeyKindEC, 30); err != nil {
				t.Fatal(err)
			}
			list, _ = s.SigningKeys(ctx)
			wantCode(t, s.DeleteSigningKey(ctx, list[0].ID), http.StatusUnprocessableEntity, "oidc.only_previous_key_can_be_deleted") // Next

			before := *changes
			if err := s.DeleteSigningKey(ctx, list[2].ID); err != nil {
				t.Fatal(err)
			}
			if *changes != before+1 {
				t.Error("OnChange not called")
			}
			if _, _, ok := s.Keys().PublicKey(cur.KID); ok {
				t.Fatal("deleted key still published")
			}
			wantStatuses(t, s, "Next:ES256", "Current:ES256")
		})
	}
}

// A promotion that fails (the database is gone) leaves the set in force
// and is retried a second later rather than on every call.
func TestPromotionFailure(t *testing.T) {
	eng := storetest.Engines(t)[0]
	s, clk, _ := keyService(t, eng, token.AlgES256)
	if _, err := s.RotateSigningKeys(context.Background(), KeyKindEC, 1); err != nil {
		t.Fatal(err)
	}
	cur := s.Keys().Current()
	s.cfg.Store.Close()
	clk.Add(time.Second)
	if got := s.Keys(); got == nil || got.Current().ID != cur.ID {
		t.Fatal("set in force lost")
	}
	if due := s.keys.due.Load(); due != clk.Now().UnixMilli()+1000 {
		t.Fatalf("retry at %d, want a second later", due)
	}
}
