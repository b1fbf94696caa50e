package oidc

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/grant"
)

// ErrInvalidDPoPProof is RFC 9449 §5's error for a DPoP proof the token
// endpoint does not accept, or one missing where the client requires it.
const ErrInvalidDPoPProof = "invalid_dpop_proof"

// DPoP proof limits. A proof is accepted when its iat lies within
// dpopWindow of the server's clock, either way (clients' clocks drift; a
// proof is made just before its request). Its jti is remembered until the
// proof could no longer pass that check.
const (
	dpopWindow   = 60 * time.Second
	maxDPoPProof = 8 << 10 // an RSA-4096 JWK and the claims fit in 2 KiB
	maxDPoPJTI   = 256
	// dpopReplayMax bounds each of the two generations of the replay cache
	// (dpopReplay): about 1,000 DPoP token requests a second per instance,
	// sustained, and at most a few MiB.
	dpopReplayMax = 1 << 17
)

// dpopAlgs is the proof signature allow-list: asymmetric only, never
// "none" or HMAC (RFC 9449 §4.3 step 6; an HMAC key in the proof's jwk
// would be the secret itself).
var dpopAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.RS256, jose.PS256}

// DPoPAlgs lists the proof algorithms the token endpoint accepts, for the
// discovery document's dpop_signing_alg_values_supported.
func DPoPAlgs() []string {
	out := make([]string, len(dpopAlgs))
	for i, a := range dpopAlgs {
		out[i] = string(a)
	}
	return out
}

func dpopError(desc string) *Error {
	return &Error{http.StatusBadRequest, ErrInvalidDPoPProof, desc}
}

// dpop checks the request's DPoP header (RFC 9449 §4.3) for an
// authenticated client and returns the thumbprint to bind the token to,
// "" for a bearer token. A client with dpopBoundAccessTokens must send one.
func (h *handler) dpop(r *http.Request, c *grant.Client, now time.Time) (string, *Error) {
	proofs := r.Header.Values("DPoP")
	switch len(proofs) {
	case 0:
		if c.DPoPBound {
			return "", dpopError("DPoP proof JWT not provided")
		}
		return "", nil
	case 1:
	default:
		return "", dpopError("more than one DPoP header")
	}
	p, e := parseProof(&h.proofKeys, proofs[0], http.MethodPost, h.issuer+"/token", now)
	if e != nil {
		return "", e
	}
	switch h.replay.add(p.replayKey(), now) {
	case replaySeen:
		return "", dpopError("DPoP proof JWT replay detected")
	case replayFull:
		return "", dpopError("too many DPoP proofs; retry shortly")
	}
	return p.jkt, nil
}

// proof is a DPoP proof that passed every check but the replay check.
type proof struct {
	jkt, jti string
}

// replayKey names the proof in the replay cache: jti is unique per key
// (RFC 9449 §4.2), and a digest bounds the memory an entry takes.
func (p *proof) replayKey() [16]byte {
	sum := sha256.Sum256([]byte(p.jkt + "." + p.jti))
	return [16]byte(sum[:16])
}

// parseProof applies RFC 9449 §4.3 steps 2–11 to raw for a request with
// method to htu (the server's public URL for it, from the configured
// issuer, so that a proxy in front changes nothing). The replay check (step
// 12) is left to the caller.
func parseProof(keys *proofKeys, raw, method, htu string, now time.Time) (*proof, *Error) {
	if raw == "" || len(raw) > maxDPoPProof {
		return nil, dpopError("invalid DPoP proof JWT")
	}
	j, err := parseCompact(raw, dpopAlgs)
	switch {
	case errors.Is(err, errJWSAlg):
		return nil, dpopError("DPoP proof JWT signature algorithm not allowed")
	case errors.Is(err, errJWSCrit):
		return nil, dpopError("DPoP proof JWT crit header not supported")
	case err != nil:
		return nil, dpopError("invalid DPoP proof JWT")
	}
	k := keys.get(j.head)
	if k == nil {
		var e *Error
		if k, e = proofHeaderKey(j); e != nil {
			return nil, e
		}
		keys.put(j.head, k)
	}
	if !verifySignature(j.alg(), k.key, j.input, j.sig) {
		return nil, dpopError("invalid DPoP proof JWT signature")
	}
	var c struct {
		JTI string          `json:"jti"`
		HTM string          `json:"htm"`
		HTU string          `json:"htu"`
		IAT json.RawMessage `json:"iat"`
	}
	if json.Unmarshal(j.payload, &c) != nil {
		return nil, dpopError("invalid DPoP proof JWT claims")
	}
	if c.JTI == "" || len(c.JTI) > maxDPoPJTI {
		return nil, dpopError("DPoP proof JWT jti missing or too long")
	}
	if c.HTM != method {
		return nil, dpopError("DPoP proof JWT htm mismatch")
	}
	if got, ok := normalizeHTU(c.HTU); !ok || got != mustNormalizeHTU(htu) {
		return nil, dpopError("DPoP proof JWT htu mismatch")
	}
	var iat float64
	if json.Unmarshal(c.IAT, &iat) != nil || math.IsNaN(iat) {
		return nil, dpopError("DPoP proof JWT iat missing")
	}
	if d := time.Duration((iat - float64(now.Unix())) * float64(time.Second)); d > dpopWindow || d < -dpopWindow {
		return nil, dpopError("DPoP proof JWT iat is not recent enough")
	}
	return &proof{jkt: k.jkt, jti: c.JTI}, nil
}

// proofKey is what a proof's protected header establishes: its public key
// and the key's RFC 7638 thumbprint.
type proofKey struct {
	key any
	jkt string
}

// proofHeaderKey checks a proof's protected header (RFC 9449 §4.3 steps
// 4–7): typ dpop+jwt, and a public jwk of the kind alg names.
func proofHeaderKey(j *compactJWS) (*proofKey, *Error) {
	if !strings.EqualFold(j.header.Typ, "dpop+jwt") {
		return nil, dpopError("DPoP proof JWT typ must be dpop+jwt")
	}
	var jwk jose.JSONWebKey
	if len(j.header.JWK) == 0 || jwk.UnmarshalJSON(j.header.JWK) != nil || !jwk.Valid() || !jwk.IsPublic() {
		return nil, dpopError("DPoP proof JWT jwk must be a public key")
	}
	if !keyFits(j.alg(), jwk.Key) {
		return nil, dpopError("DPoP proof JWT jwk does not match its alg")
	}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, dpopError("DPoP proof JWT jwk has no thumbprint")
	}
	return &proofKey{key: jwk.Key, jkt: base64.RawURLEncoding.EncodeToString(tp)}, nil
}

// maxProofKeys bounds the remembered proof headers; past it the memory
// starts afresh. Each entry is a header of at most maxDPoPProof bytes and a
// public key.
const maxProofKeys = 4096

// proofKeys remembers checked proof headers by their text: a client sends
// the same header (typ, alg, jwk) with every proof, so a repeated one costs
// its signature check alone.
type proofKeys struct {
	mu sync.RWMutex
	m  map[string]*proofKey
}

func (c *proofKeys) get(head string) *proofKey {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[head]
}

func (c *proofKeys) put(head string, k *proofKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxProofKeys {
		c.m = make(map[string]*proofKey)
	}
	c.m[head] = k
}

// normalizeHTU returns an http(s) URL without its query and fragment, in
// the syntax- and scheme-based normal form of RFC 3986 §6.2.2–6.2.3:
// scheme and host in lower case, no default port, "/" for an empty path,
// the path's percent-encoding in Go's canonical form.
func normalizeHTU(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" || u.Host == "" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.IndexByte(host, ':') >= 0 {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	path := (&url.URL{Path: u.Path}).EscapedPath() // one encoding for each path
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}

// mustNormalizeHTU normalizes the server's own URL, which is well formed.
func mustNormalizeHTU(s string) string {
	n, ok := normalizeHTU(s)
	if !ok {
		return s
	}
	return n
}

// dpopReplay remembers the proofs accepted in the last two periods, with
// a period of twice the iat window: a proof is remembered for as long as
// its iat passes. It is per instance: a proof replayed to another instance
// behind the same load balancer within the window is not detected (RFC
// 9449 §11.1 leaves the scope of the check to the server; docs/dpop.md).
// Each generation holds at most max entries; when the current one is full,
// proofs are refused until it rotates, rather than forgetting any.
type dpopReplay struct {
	mu        sync.Mutex
	cur, prev map[[16]byte]struct{}
	rotated   time.Time
	period    time.Duration
	max       int
}

func newDPoPReplay(max int) *dpopReplay {
	return &dpopReplay{period: 2 * dpopWindow, max: max}
}

// Results of dpopReplay.add.
const (
	replayNew = iota
	replaySeen
	replayFull
)

// add records key, unless it is there already or there is no room. A
// clock going back rotates nothing.
func (c *dpopReplay) add(key [16]byte, now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch age := now.Sub(c.rotated); {
	case c.cur == nil || age >= 2*c.period:
		c.cur, c.prev, c.rotated = map[[16]byte]struct{}{}, nil, now
	case age >= c.period:
		c.cur, c.prev, c.rotated = map[[16]byte]struct{}{}, c.cur, now
	}
	if _, ok := c.cur[key]; ok {
		return replaySeen
	}
	if _, ok := c.prev[key]; ok {
		return replaySeen
	}
	if len(c.cur) >= c.max {
		return replayFull
	}
	c.cur[key] = struct{}{}
	return replayNew
}
