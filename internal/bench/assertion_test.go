package bench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// assertionServer is a token endpoint that accepts only private_key_jwt
// requests whose assertion verifies with pub and whose jti it has not
// seen; it answers 401 to anything else and remembers the first problem.
type assertionServer struct {
	*httptest.Server
	pub     crypto.PublicKey
	alg     string
	kid     string
	aud     string // "" = the server's token URL
	hits    atomic.Int64
	mu      sync.Mutex
	jtis    map[string]bool
	problem string
}

func newAssertionServer(t *testing.T, pub crypto.PublicKey, alg, kid string) *assertionServer {
	t.Helper()
	as := &assertionServer{pub: pub, alg: alg, kid: kid, jtis: map[string]bool{}}
	as.Server = httptest.NewServer(http.HandlerFunc(as.serve))
	t.Cleanup(as.Close)
	return as
}

func (as *assertionServer) serve(w http.ResponseWriter, r *http.Request) {
	as.hits.Add(1)
	if problem := as.checkRequest(r); problem != "" {
		as.mu.Lock()
		if as.problem == "" {
			as.problem = problem
		}
		as.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client"}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"access_token":"eyJhbGciOiJFUzI1NiJ9.e30.sig","token_type":"Bearer","expires_in":3600}`)
}

// checkRequest checks what the server checks (docs/secretless.md) and
// that the jti is new; it returns the problem, "" if none.
func (as *assertionServer) checkRequest(r *http.Request) string {
	if r.Method != http.MethodPost || r.URL.Path != "/oidc/token" || r.Header.Get("Authorization") != "" {
		return fmt.Sprintf("%s %s authorization %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
	}
	if err := r.ParseForm(); err != nil {
		return "form: " + err.Error()
	}
	f := r.PostForm
	if f.Get("grant_type") != "client_credentials" || f.Get("client_id") != testID || f.Has("client_secret") ||
		f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return fmt.Sprintf("form %v", f)
	}
	jws, err := jose.ParseSigned(f.Get("client_assertion"), []jose.SignatureAlgorithm{jose.SignatureAlgorithm(as.alg)})
	if err != nil {
		return "assertion: " + err.Error()
	}
	if h := jws.Signatures[0].Header; h.KeyID != as.kid {
		return fmt.Sprintf("kid %q, want %q", h.KeyID, as.kid)
	}
	payload, err := jws.Verify(as.pub)
	if err != nil {
		return "signature: " + err.Error()
	}
	var c struct {
		Iss, Sub, Aud, JTI string
		Exp, Iat           int64
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "claims: " + err.Error()
	}
	aud := as.aud
	if aud == "" {
		aud = as.URL + "/oidc/token"
	}
	now := time.Now().Unix()
	switch {
	case c.Iss != testID || c.Sub != testID || c.Aud != aud:
		return fmt.Sprintf("iss %q sub %q aud %q", c.Iss, c.Sub, c.Aud)
	case c.Exp < now || c.Exp > now+5*60 || c.Exp-c.Iat != 60:
		return fmt.Sprintf("exp %d iat %d at %d", c.Exp, c.Iat, now)
	case c.JTI == "":
		return "no jti"
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.jtis[c.JTI] {
		return "jti used twice: " + c.JTI
	}
	as.jtis[c.JTI] = true
	return ""
}

func (as *assertionServer) check(t *testing.T) int {
	t.Helper()
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.problem != "" {
		t.Errorf("server saw a bad request: %s", as.problem)
	}
	return len(as.jtis)
}

// writeKey writes k as a PEM file: PKCS#8, or with sec1 an "EC PRIVATE KEY"
// after an "EC PARAMETERS" block, as openssl ecparam -genkey writes them.
func writeKey(t *testing.T, k crypto.Signer, sec1 bool) string {
	t.Helper()
	var out []byte
	if sec1 {
		der, err := x509.MarshalECPrivateKey(k.(*ecdsa.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		out = pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 5, 43, 129, 4, 0, 34}})
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})...)
	} else {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		out = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	name := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(name, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// mustKey returns a generated key; key generation does not fail.
func mustKey(k crypto.Signer, err error) crypto.Signer {
	if err != nil {
		panic(err)
	}
	return k
}

func TestRunPrivateKeyJWT(t *testing.T) {
	p256 := mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	p384 := mustKey(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, alg, kid string
		key            crypto.Signer
		sec1           bool
		args           []string
	}{
		// Closed loop with a tiny pool: the producers refill it during the run.
		{"ES256 closed loop", "ES256", "k1", p256, false, []string{"-c", "3", "-d", "200ms", "-warmup", "20ms", "-presign", "5"}},
		// Open loop: the whole run is signed ahead.
		{"ES384 open loop", "ES384", "", p384, true, []string{"-c", "2", "-rate", "200", "-d", "200ms", "-warmup", "50ms"}},
		{"EdDSA closed loop", "EdDSA", "ed", ed, false, []string{"-c", "2", "-d", "100ms", "-warmup", "0s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as := newAssertionServer(t, tc.key.Public(), tc.alg, tc.kid)
			args := append([]string{"-url", as.URL + "/oidc/token", "-auth", "private_key_jwt", "-client-id", testID,
				"-key", writeKey(t, tc.key, tc.sec1), "-json"}, tc.args...)
			if tc.kid != "" {
				args = append(args, "-key-id", tc.kid)
			}
			// A secret in the environment is not sent.
			code, out, errOut := bench(t, map[string]string{envClientSecret: "not-this"}, args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %s\n%s", code, errOut, out)
			}
			jtis := as.check(t)
			r := decodeReport(t, out)
			if r.Requests == 0 || r.OK != r.Requests || r.Errors.Total != 0 {
				t.Errorf("requests %d ok %d errors %+v %v", r.Requests, r.OK, r.Errors, r.ErrorSamples)
			}
			if int64(jtis) != as.hits.Load() {
				t.Errorf("%d distinct jtis in %d requests", jtis, as.hits.Load())
			}
			a := r.Assertions
			if a == nil {
				t.Fatalf("no assertions in the report: %s", out)
			}
			if a.Alg != tc.alg || a.KeyID != tc.kid || a.Audience != as.URL+"/oidc/token" || r.Auth != authPrivateKeyJWT {
				t.Errorf("report header %+v auth %s", a, r.Auth)
			}
			if a.Signed != a.Presigned+a.DuringRun+a.Inline || a.Signed < uint64(as.hits.Load()) || a.Presigned == 0 {
				t.Errorf("assertions %+v for %d requests", a, as.hits.Load())
			}
			if tc.name == "ES384 open loop" {
				// (200+50 ms) × 200/s = 50 slots, plus one spare per connection.
				if a.Pool != 52 || a.Presigned != 52 || a.DuringRun != 0 || a.Inline != 0 {
					t.Errorf("open loop: %+v, want all 52 signed ahead", a)
				}
			}
			if tc.name == "ES256 closed loop" && a.Pool != 5 {
				t.Errorf("pool %d, want -presign 5", a.Pool)
			}
		})
	}
}

// The -aud flag replaces the token URL as the assertions' audience (a
// server whose issuer is not the address the bench reaches it at).
func TestRunPrivateKeyJWTAudience(t *testing.T) {
	k := mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	as := newAssertionServer(t, k.Public(), "ES256", "")
	as.aud = "http://localhost:3001/oidc"
	code, out, errOut := bench(t, nil, "-url", as.URL+"/oidc/token", "-auth", "private_key_jwt", "-client-id", testID,
		"-key", writeKey(t, k, false), "-aud", as.aud, "-c", "1", "-rate", "100", "-d", "50ms", "-warmup", "0s")
	if code != 0 || !strings.Contains(out, "Assertions   ES256, aud http://localhost:3001/oidc: ") ||
		!strings.Contains(out, "never fell behind") {
		t.Errorf("exit %d stderr %s\n%s", code, errOut, out)
	}
	if as.check(t) == 0 {
		t.Error("no request reached the server")
	}
}

func TestLoadKey(t *testing.T) {
	rsa2048 := mustKey(rsa.GenerateKey(rand.Reader, 2048))
	p256 := mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	for _, tc := range []struct {
		name string
		key  crypto.Signer
		sec1 bool
		alg  string
	}{
		{"RSA", rsa2048, false, "PS256"},
		{"P-256 SEC 1", p256, true, "ES256"},
		{"P-256 PKCS#8", p256, false, "ES256"},
	} {
		k, alg, err := loadKey(writeKey(t, tc.key, tc.sec1))
		if err != nil || alg != tc.alg || !k.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(tc.key.Public()) {
			t.Errorf("%s: alg %q err %v", tc.name, alg, err)
		}
	}
	// PKCS#1 too, as older openssl writes RSA keys.
	name := filepath.Join(t.TempDir(), "rsa.pem")
	os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsa2048.(*rsa.PrivateKey))}), 0o600)
	if _, alg, err := loadKey(name); err != nil || alg != "PS256" {
		t.Errorf("PKCS#1: alg %q err %v", alg, err)
	}
}

func TestPrivateKeyJWTUsage(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := writeKey(t, mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)), false)
	p521 := writeKey(t, mustKey(ecdsa.GenerateKey(elliptic.P521(), rand.Reader)), false)
	rsa1024 := writeKey(t, mustKey(rsa.GenerateKey(rand.Reader, 1024)), false)
	pub := write("pub.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}})))
	garbage := write("garbage.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	notPEM := write("key.txt", "just some text\n")
	creds := write("apps.txt", "a s\n")
	pk := []string{"-auth", "private_key_jwt", "-client-id", "x"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no key", pk, "-auth private_key_jwt needs -key FILE"},
		{"missing file", append(pk, "-key", filepath.Join(dir, "nope.pem")), "-key: open "},
		{"not PEM", append(pk, "-key", notPEM), "no PEM private key"},
		{"public key", append(pk, "-key", pub), "no PEM private key"},
		{"bad DER", append(pk, "-key", garbage), "-key " + garbage + ": malformed \"PRIVATE KEY\" block: "},
		{"P-521", append(pk, "-key", p521), "ECDSA keys must be P-256 or P-384"},
		{"RSA 1024", append(pk, "-key", rsa1024), "RSA keys must have at least 2048 bits"},
		{"no client id", []string{"-auth", "private_key_jwt", "-key", good}, "-client-id is required"},
		{"secret", append(pk, "-key", good, "-client-secret", "s"), "takes no -client-secret"},
		{"credentials", []string{"-auth", "private_key_jwt", "-key", good, "-credentials", creds}, "not -credentials"},
		{"negative presign", append(pk, "-key", good, "-presign", "-1"), "-presign must not be negative"},
		{"key without private_key_jwt", []string{"-client-id", "x", "-client-secret", "y", "-key", good}, "-key is only for -auth private_key_jwt"},
		{"presign without private_key_jwt", []string{"-client-id", "x", "-client-secret", "y", "-presign", "5"}, "-presign is only for"},
		{"bad metrics URL", []string{"-client-id", "x", "-client-secret", "y", "-server-metrics", "127.0.0.1:3002/metrics"}, "-server-metrics \"127.0.0.1:3002/metrics\": want an http"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := bench(t, nil, tc.args...)
			if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d stdout %q stderr %q, want 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
}

func TestJWKS(t *testing.T) {
	k := mustKey(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	var stdout, stderr strings.Builder
	if code := JWKS([]string{"-key", writeKey(t, k, true), "-key-id", "bench"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(stdout.String()), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	got := set.Keys[0]
	if !got.IsPublic() || got.KeyID != "bench" || got.Algorithm != "ES384" || got.Use != "sig" ||
		!k.Public().(*ecdsa.PublicKey).Equal(got.Key) {
		t.Errorf("JWK %+v", got)
	}
	stdout.Reset()
	stderr.Reset()
	if code := JWKS(nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "Usage: gatehouse bench jwks") {
		t.Errorf("no -key: exit %d stderr %q", code, stderr.String())
	}
	stderr.Reset()
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("nope"), 0o600)
	if code := JWKS([]string{"-key", bad}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "no PEM private key") {
		t.Errorf("bad key: exit %d stderr %q", code, stderr.String())
	}
}

func TestPoolSize(t *testing.T) {
	for _, tc := range []struct {
		o            options
		size, budget int64
	}{
		{options{}, closedLoopPool, -1},
		{options{presign: 7}, 7, -1},
		// 1,000/s for 1 s + 10 s: the whole run ahead, plus one per connection.
		{options{rate: 1000, warmup: time.Second, duration: 10 * time.Second, conns: 4}, 11_004, 11_004},
		{options{rate: 1000, duration: 10 * time.Second, conns: 4, presign: 500}, 500, 10_004},
		// 30 s of -rate at most, and 100,000.
		{options{rate: 1000, duration: time.Minute, conns: 1}, 30_000, 60_001},
		{options{rate: 10_000, duration: 20 * time.Second, conns: 1}, maxPool, 200_001},
	} {
		size, budget := poolSize(tc.o)
		if int64(size) != tc.size || budget != tc.budget {
			t.Errorf("poolSize(rate %v, d %v, presign %d) = %d, %d; want %d, %d",
				tc.o.rate, tc.o.duration, tc.o.presign, size, budget, tc.size, tc.budget)
		}
	}
}
