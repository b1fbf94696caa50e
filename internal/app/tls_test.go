package app

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned makes a certificate for 127.0.0.1 and returns its PEM
// certificate and key and the parsed certificate.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), cert
}

// trusting is an HTTP/2-capable client that trusts only cert, with
// connections of its own (every client makes a new handshake).
func trusting(cert *x509.Certificate, maxVersion uint16) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, MaxVersion: maxVersion},
		ForceAttemptHTTP2: true,
	}}
}

// TestTLS serves the real public listener over HTTPS with a certificate
// made here: a token request over HTTP/2 with a client trusting it, TLS
// 1.1 refused, then new files written over the old ones and the next
// handshake presenting the new certificate, with no restart; a broken pair
// keeps the previous one in use.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	c1, k1, cert1 := selfSigned(t, "first")
	writeFile(t, certFile, c1)
	writeFile(t, keyFile, k1)

	cfg := testConfig(t, "", t.TempDir())
	cfg.TLSCertFile, cfg.TLSKeyFile = certFile, keyFile
	cfg.Endpoint = "https://127.0.0.1"
	srv, f := startOn(t, cfg, Options{})
	f.seedShop()
	var logs bytes.Buffer
	hs, err := httpServer(cfg, srv.Handler(), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go serveHTTP(hs, ln)
	t.Cleanup(func() { hs.Close() })
	base := "https://" + ln.Addr().String()

	// token posts a token request with client and returns the status, the
	// protocol and the certificate the server presented.
	token := func(client *http.Client) (int, string, *x509.Certificate) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/oidc/token", strings.NewReader(shopGrant))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", basic(shopApp, shopSecret))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, resp.Proto, resp.TLS.PeerCertificates[0]
	}
	st, proto, got := token(trusting(cert1, 0))
	if st != 200 || proto != "HTTP/2.0" || !got.Equal(cert1) {
		t.Fatalf("over HTTPS: %d %s %s", st, proto, got.Subject)
	}
	if _, err := trusting(cert1, tls.VersionTLS11).Get(base + "/healthz"); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}

	// Renewal: new files written over the old ones.
	c2, k2, cert2 := selfSigned(t, "second")
	writeFile(t, certFile, c2)
	writeFile(t, keyFile, k2)
	st, _, got = token(trusting(cert2, 0))
	if st != 200 || !got.Equal(cert2) {
		t.Fatalf("after renewal: %d, certificate %s", st, got.Subject)
	}
	if _, err := trusting(cert1, 0).Get(base + "/healthz"); err == nil {
		t.Fatal("a client trusting only the old certificate still connects")
	}

	// Half a renewal (a new certificate, the old key): the last good pair
	// stays in use, and the failure is logged.
	c3, _, _ := selfSigned(t, "third")
	writeFile(t, certFile, c3)
	if st, _, got = token(trusting(cert2, 0)); st != 200 || !got.Equal(cert2) {
		t.Fatalf("with a broken pair: %d, certificate %s", st, got.Subject)
	}
	if !strings.Contains(logs.String(), "do not load") {
		t.Fatalf("no log line about the broken pair: %s", logs.String())
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
