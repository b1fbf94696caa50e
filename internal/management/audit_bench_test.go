package management

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

type countAuditor struct{ n int }

func (c *countAuditor) Log(rbac.LogEntry) { c.n++ }

// BenchmarkWriteAudit is what the admin audit trail adds to one
// Management API write, without the write's database work: "off" serves a
// handler that reads a JSON body and answers 201 with an id, "on" the same
// through serveAudited (body and response captured, ids extracted, the
// token's sub read, the entry encoded and handed to the writer).
// Compare with BenchmarkAssignRoleWrite, a whole write on SQLite.
func BenchmarkWriteAudit(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, nil)
	tok, _ := jwt.Signed(sig).Claims(jwt.Claims{Subject: "bootstrap-app", Issuer: "http://x/oidc"}).Serialize()
	const body = `{"roleIds":["b0x7rz1u3y6pq4t9c2mlw","k3l0cbvxy7m4s2fqn8d1a"]}`
	h := func(w http.ResponseWriter, r *http.Request) error {
		io.Copy(io.Discard, r.Body)
		return writeJSON(w, http.StatusCreated, map[string]string{"id": "k3l0cbvxy7m4s2fqn8d1a", "name": "x"})
	}
	for _, on := range []bool{false, true} {
		name := map[bool]string{false: "off", true: "on"}[on]
		b.Run(name, func(b *testing.B) {
			aud := &countAuditor{}
			a := newAPI(HandlerConfig{Service: New(Config{}), Audit: aud})
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("POST", "/api/applications/x/roles", strings.NewReader(body))
				req.SetPathValue("id", "k3l0cbvxy7m4s2fqn8d1a")
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				if on {
					a.serveAudited(rec, req, "POST /api/applications/{id}/roles", h)
				} else {
					a.serve(rec, req, h)
				}
			}
			if on && aud.n == 0 {
				b.Fatal("nothing audited")
			}
		})
	}
}
