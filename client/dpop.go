package client

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// DPoPKey is a client's DPoP key (RFC 9449): with it in
// [TokenConfig].DPoP, token requests carry a proof and the server binds the
// tokens to the key, so a stolen token is useless without it. Proof signs
// the proofs; [DPoPTransport] sends API requests with them. Keep the key
// for as long as its tokens live. It is safe for concurrent use.
type DPoPKey struct {
	signer crypto.Signer
	alg    string
	header string // base64url of the JOSE header, jwk included
	jkt    string
	now    func() time.Time
}

// GenerateDPoPKey makes a new P-256 key (ES256), the usual DPoP key.
func GenerateDPoPKey() (*DPoPKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("client: DPoP key: %w", err)
	}
	return NewDPoPKey(k)
}

// NewDPoPKey wraps a private key: ECDSA P-256 (ES256) or P-384 (ES384),
// Ed25519 (EdDSA) or RSA of at least 2048 bits (PS256). The signer may be
// a hardware or KMS key whose Public method returns one of those.
func NewDPoPKey(k crypto.Signer) (*DPoPKey, error) {
	var (
		alg string
		jwk []byte // RFC 7638 canonical form: the required members, sorted
	)
	b64 := base64.RawURLEncoding
	switch pub := k.Public().(type) {
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		switch pub.Curve {
		case elliptic.P256():
			alg = "ES256"
		case elliptic.P384():
			alg = "ES384"
		default:
			return nil, errors.New("client: DPoP key: ECDSA keys must be P-256 or P-384")
		}
		x, y := make([]byte, size), make([]byte, size)
		pub.X.FillBytes(x)
		pub.Y.FillBytes(y)
		jwk = fmt.Appendf(nil, `{"crv":"%s","kty":"EC","x":"%s","y":"%s"}`, pub.Curve.Params().Name, b64.EncodeToString(x), b64.EncodeToString(y))
	case ed25519.PublicKey:
		alg = "EdDSA"
		jwk = fmt.Appendf(nil, `{"crv":"Ed25519","kty":"OKP","x":"%s"}`, b64.EncodeToString(pub))
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			return nil, errors.New("client: DPoP key: RSA keys must have at least 2048 bits")
		}
		alg = "PS256"
		jwk = fmt.Appendf(nil, `{"e":"%s","kty":"RSA","n":"%s"}`, b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()), b64.EncodeToString(pub.N.Bytes()))
	default:
		return nil, fmt.Errorf("client: DPoP key: unsupported key type %T", pub)
	}
	sum := sha256.Sum256(jwk)
	header := `{"typ":"dpop+jwt","alg":"` + alg + `","jwk":` + string(jwk) + `}`
	return &DPoPKey{signer: k, alg: alg, header: b64.EncodeToString([]byte(header)), jkt: b64.EncodeToString(sum[:]), now: time.Now}, nil
}

// ParseDPoPKey reads a PEM private key (see [ParsePrivateKey]) as a
// DPoP key.
func ParseDPoPKey(pemBytes []byte) (*DPoPKey, error) {
	s, err := ParsePrivateKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("client: DPoP key: %w", err)
	}
	return NewDPoPKey(s)
}

// ParsePrivateKey reads the first private key of a PEM file, as openssl
// writes them: PKCS#8 "PRIVATE KEY", SEC 1 "EC PRIVATE KEY" or PKCS#1 "RSA
// PRIVATE KEY"; other blocks ("EC PARAMETERS") are skipped. Its errors
// say what is wrong with the file, for the caller to prefix with its name.
// [KeyAlgorithm] tells whether this package can sign with the key.
func ParsePrivateKey(pemBytes []byte) (crypto.Signer, error) {
	for rest := pemBytes; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return nil, errors.New(`no PEM private key (want a "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" block)`)
		}
		var (
			k   any
			err error
		)
		switch block.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("malformed %q block: %w", block.Type, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("a %T cannot sign", k)
		}
		return s, nil
	}
}

// Thumbprint is the key's RFC 7638 SHA-256 thumbprint, base64url: the
// cnf.jkt of the tokens bound to it.
func (k *DPoPKey) Thumbprint() string { return k.jkt }

// Algorithm is the proofs' JWS algorithm.
func (k *DPoPKey) Algorithm() string { return k.alg }

// Proof returns a DPoP proof (RFC 9449 §4.2) for a request with method to
// rawURL, whose query and fragment are left out of htu. With accessToken
// set, it carries ath, the token's hash, as requests to an API need; a
// token request has none. Each proof has a fresh random jti: make one per
// request.
func (k *DPoPKey) Proof(method, rawURL, accessToken string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("client: DPoP proof: %w", err)
	}
	u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = "", "", "", false
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("client: DPoP proof: %w", err)
	}
	b64 := base64.RawURLEncoding
	claims := struct {
		JTI string `json:"jti"`
		HTM string `json:"htm"`
		HTU string `json:"htu"`
		IAT int64  `json:"iat"`
		ATH string `json:"ath,omitempty"`
	}{b64.EncodeToString(jti[:]), method, u.String(), k.now().Unix(), ""}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		claims.ATH = b64.EncodeToString(sum[:])
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := k.header + "." + b64.EncodeToString(payload)
	sig, err := k.sign([]byte(input))
	if err != nil {
		return "", fmt.Errorf("client: DPoP proof: %w", err)
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// sign makes the JWS signature of input (RFC 7518 §3.3–3.5, RFC 8037).
func (k *DPoPKey) sign(input []byte) ([]byte, error) { return jwsSign(k.signer, k.alg, input) }

// KeyAlgorithm is the JWS algorithm this package signs with for a key
// ([SignedAssertion], [NewDPoPKey]): ES256 or ES384 for ECDSA P-256 or
// P-384, EdDSA for Ed25519, PS256 for RSA of at least 2048 bits. Other
// keys are an error, which says what is accepted.
func KeyAlgorithm(pub crypto.PublicKey) (string, error) {
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256():
			return "ES256", nil
		case elliptic.P384():
			return "ES384", nil
		}
		return "", errors.New("ECDSA keys must be P-256 or P-384")
	case ed25519.PublicKey:
		return "EdDSA", nil
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			return "", errors.New("RSA keys must have at least 2048 bits")
		}
		return "PS256", nil
	}
	return "", fmt.Errorf("unsupported key type %T", pub)
}

// jwsSign signs input with signer for the JWS algorithm alg (one jwsAlg
// gives), in JWS's encoding (R||S for ECDSA).
func jwsSign(signer crypto.Signer, alg string, input []byte) ([]byte, error) {
	switch alg {
	case "EdDSA":
		return signer.Sign(rand.Reader, input, crypto.Hash(0))
	case "PS256":
		sum := sha256.Sum256(input)
		return signer.Sign(rand.Reader, sum[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
	}
	var (
		digest []byte
		hash   crypto.Hash
		size   int
	)
	if alg == "ES256" {
		sum := sha256.Sum256(input)
		digest, hash, size = sum[:], crypto.SHA256, 32
	} else {
		h := crypto.SHA384.New()
		h.Write(input)
		digest, hash, size = h.Sum(nil), crypto.SHA384, 48
	}
	der, err := signer.Sign(rand.Reader, digest, hash)
	if err != nil {
		return nil, err
	}
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) > 0 {
		return nil, errors.New("malformed ECDSA signature")
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

// DPoPTransport sends requests with a DPoP-bound token from Source
// (Authorization: DPoP and a proof made with Key for each request, with
// ath; RFC 9449 §7). A token the server did not bind (token_type Bearer)
// is sent as a bearer token, without proof. [TokenSource.Client] uses it
// when the TokenConfig has a DPoP key.
type DPoPTransport struct {
	Source oauth2.TokenSource
	Key    *DPoPKey
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper. It does not modify req.
func (t *DPoPTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	closed := false // the base transport closes the body once it has it
	if req.Body != nil {
		defer func() {
			if !closed {
				req.Body.Close()
			}
		}()
	}
	tok, err := t.Source.Token()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	if strings.EqualFold(tok.TokenType, "DPoP") {
		p, err := t.Key.Proof(r.Method, r.URL.String(), tok.AccessToken)
		if err != nil {
			return nil, err
		}
		r.Header.Set("Authorization", "DPoP "+tok.AccessToken)
		r.Header.Set("DPoP", p)
	} else {
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	closed = true
	return base.RoundTrip(r)
}
