package client_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/client"
)

// rfc7638Key has the public key of RFC 7638 §3.1's example; it cannot sign.
type rfc7638Key struct{ pub *rsa.PublicKey }

func (k rfc7638Key) Public() crypto.PublicKey { return k.pub }
func (rfc7638Key) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, fmt.Errorf("no private key")
}

func TestDPoPThumbprintRFC7638(t *testing.T) {
	n, _ := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	k, err := client.NewDPoPKey(rfc7638Key{&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}})
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Thumbprint(); got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Fatalf("thumbprint %s", got)
	}
}

// decodeProof splits a proof and checks its signature with the embedded
// ES256 key, with the standard library alone.
func decodeProof(t *testing.T, p string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(p, ".")
	if len(parts) != 3 {
		t.Fatalf("proof %q", p)
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	json.Unmarshal(dec(parts[0]), &header)
	json.Unmarshal(dec(parts[1]), &claims)
	jwk := header["jwk"].(map[string]any)
	if header["typ"] != "dpop+jwt" || header["alg"] != "ES256" || jwk["kty"] != "EC" || jwk["d"] != nil {
		t.Fatalf("header %v", header)
	}
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(),
		X: new(big.Int).SetBytes(dec(jwk["x"].(string))), Y: new(big.Int).SetBytes(dec(jwk["y"].(string)))}
	sig := dec(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if len(sig) != 64 || !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("signature does not verify")
	}
	return header, claims
}

func TestDPoPProof(t *testing.T) {
	k, err := client.GenerateDPoPKey()
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.Proof("GET", "https://api.example/products?page=2#top", "tok")
	if err != nil {
		t.Fatal(err)
	}
	_, c := decodeProof(t, p)
	sum := sha256.Sum256([]byte("tok"))
	if c["htm"] != "GET" || c["htu"] != "https://api.example/products" || c["ath"] != base64.RawURLEncoding.EncodeToString(sum[:]) ||
		c["jti"] == "" || c["iat"] == nil {
		t.Fatalf("claims %v", c)
	}
	p2, _ := k.Proof("GET", "https://api.example/products", "")
	_, c2 := decodeProof(t, p2)
	if c2["jti"] == c["jti"] || c2["ath"] != nil {
		t.Fatalf("second proof %v", c2)
	}

	// Every supported key type makes proofs; others are refused.
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	for want, s := range map[string]crypto.Signer{"ES384": ec384, "EdDSA": ed, "PS256": rsaKey} {
		k, err := client.NewDPoPKey(s)
		if err != nil || k.Algorithm() != want {
			t.Fatalf("%s: %v", want, err)
		}
		if _, err := k.Proof("POST", "https://a.example/t", ""); err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if alg, err := client.KeyAlgorithm(s.Public()); alg != want || err != nil {
			t.Errorf("KeyAlgorithm: %q %v, want %s", alg, err, want)
		}
	}
	ec224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, s := range map[string]crypto.Signer{"P-224": ec224, "RSA-1024": small} {
		if _, err := client.NewDPoPKey(s); err == nil {
			t.Errorf("%s accepted", name)
		}
		if alg, err := client.KeyAlgorithm(s.Public()); err == nil {
			t.Errorf("KeyAlgorithm(%s) = %q", name, alg)
		}
	}

	// PEM files, as openssl writes them.
	der, _ := x509.MarshalPKCS8PrivateKey(ec384)
	if k, err := client.ParseDPoPKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil || k.Algorithm() != "ES384" {
		t.Fatalf("PKCS#8: %v", err)
	}
	sec1, _ := x509.MarshalECPrivateKey(ec384)
	if _, err := client.ParseDPoPKey(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})); err != nil {
		t.Fatalf("SEC 1: %v", err)
	}
	// openssl ecparam -genkey writes an "EC PARAMETERS" block first.
	params := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 5, 43, 129, 4, 0, 34}})
	if k, err := client.ParseDPoPKey(append(params, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})...)); err != nil || k.Algorithm() != "ES384" {
		t.Fatalf("EC PARAMETERS then SEC 1: %v", err)
	}
	if _, err := client.ParsePrivateKey(params); err == nil || !strings.Contains(err.Error(), "no PEM private key") {
		t.Fatalf("parameters alone: %v", err)
	}
	if _, err := client.ParseDPoPKey([]byte("not a key")); err == nil {
		t.Fatal("garbage accepted")
	}
}

func TestDPoPTokenSource(t *testing.T) {
	k, _ := client.GenerateDPoPKey()
	var tokenProof, apiAuthz, apiProof string
	mux := http.NewServeMux()
	var srvURL string
	mux.HandleFunc("POST /oidc/token", func(w http.ResponseWriter, r *http.Request) {
		tokenProof = r.Header.Get("DPoP")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"bound-token","token_type":"DPoP","expires_in":3600}`)
	})
	mux.HandleFunc("POST /products", func(w http.ResponseWriter, r *http.Request) {
		apiAuthz, apiProof = r.Header.Get("Authorization"), r.Header.Get("DPoP")
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	srvURL = srv.URL

	ts := client.NewTokenSource(client.TokenConfig{BaseURL: srvURL, ClientID: "app", ClientSecret: "s", DPoP: k})
	resp, err := ts.Client().Post(srvURL+"/products?x=1", "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "body" {
		t.Fatalf("body %q", b)
	}
	_, tc := decodeProof(t, tokenProof)
	if tc["htm"] != "POST" || tc["htu"] != srvURL+"/oidc/token" || tc["ath"] != nil {
		t.Fatalf("token request proof %v", tc)
	}
	_, ac := decodeProof(t, apiProof)
	sum := sha256.Sum256([]byte("bound-token"))
	if apiAuthz != "DPoP bound-token" || ac["htm"] != "POST" || ac["htu"] != srvURL+"/products" ||
		ac["ath"] != base64.RawURLEncoding.EncodeToString(sum[:]) {
		t.Fatalf("API request: %q %v", apiAuthz, ac)
	}
}
