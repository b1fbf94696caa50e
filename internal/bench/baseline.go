package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/asn1"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Baseline returns the lower bound a token endpoint is measured against:
// a bare net/http handler that only parses the form, decodes HTTP Basic,
// compares a SHA-256 digest of the secret in constant time and signs an
// ES256 JWT with the standard library. It keeps no state, checks no
// resource or scope and writes no audit log, so nothing real can be faster
// than it on the same machine.
func Baseline(clientID, clientSecret string) (http.Handler, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &baseline{key: key, clientID: clientID, want: sha256.Sum256([]byte(clientSecret)),
		header: base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","typ":"at+jwt"}`))}, nil
}

type baseline struct {
	key      *ecdsa.PrivateKey
	clientID string
	want     [sha256.Size]byte
	header   string
}

// ServeHTTP answers one token request.
func (b *baseline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	id, sec, ok := r.BasicAuth()
	got := sha256.Sum256([]byte(sec))
	if !ok || id != b.clientID || subtle.ConstantTimeCompare(got[:], b.want[:]) != 1 {
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	now := time.Now().Unix()
	payload := `{"sub":"` + id + `","aud":"` + r.PostForm.Get("resource") + `","scope":"` + r.PostForm.Get("scope") +
		`","iat":` + strconv.FormatInt(now, 10) + `,"exp":` + strconv.FormatInt(now+3600, 10) + `}`
	signing := b.header + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	digest := sha256.Sum256([]byte(signing))
	// Deterministic ECDSA (RFC 6979), the cheapest signing the standard
	// library offers, as Gatehouse uses: the baseline must be a lower
	// bound, not a handicapped rival.
	der, err := b.key.Sign(nil, digest[:], crypto.SHA256)
	var sigR, sigS []byte
	if err == nil {
		sigR, sigS, err = parseDERSignature(der)
	}
	if err != nil {
		http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
		return
	}
	sig := make([]byte, 64)
	copy(sig[32-len(sigR):32], sigR)
	copy(sig[64-len(sigS):], sigS)
	tok := signing + "." + base64.RawURLEncoding.EncodeToString(sig)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, `{"access_token":"`+tok+`","expires_in":3600,"token_type":"Bearer","scope":"`+r.PostForm.Get("scope")+`"}`)
}

// parseDERSignature returns the big-endian r and s of an ASN.1 ECDSA
// signature, without leading zeros.
func parseDERSignature(der []byte) (r, s []byte, err error) {
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &sig); err != nil {
		return nil, nil, err
	}
	return sig.R.Bytes(), sig.S.Bytes(), nil
}

// ServeBaseline runs the Baseline handler as a server until ctx ends, so
// that a real endpoint and the lower bound can be measured by the same
// load generator on the same machine ("gatehouse bench baseline").
func ServeBaseline(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gatehouse bench baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:3002", "address to serve the baseline token endpoint on")
	id := fs.String("client-id", "baseline", "the one client id it accepts")
	secret := fs.String("client-secret", "baseline-secret", "that client's secret")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gatehouse bench baseline [flags]\n\n"+
			"Serves a bare token endpoint (parse, check a digest, sign ES256; nothing else) at\n"+
			"http://<listen>/oidc/token: the lower bound to compare a real endpoint with.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	h, err := Baseline(*id, *secret)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse bench baseline:", err)
		return 1
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse bench baseline:", err)
		return 1
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stdout, "baseline token endpoint on http://%s/oidc/token (client %s)\n", ln.Addr(), *id)
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(stderr, "gatehouse bench baseline:", err)
		return 1
	}
	return 0
}
